// The hosted KTP Scan flow, launched as /kyc/v2/index.html#/launch-v1?token=<user token>:
// session settings -> camera (or a file) -> E4/E5/E6 -> E7 until EXIT, capturing again on RETRY -> back to the
// partner by redirect or postMessage.

import { Gateway, delay, loadSession } from "./api.js";
import { FileSource, canPickFiles, openCamera } from "./capture.js";
import { FlowEnded, completed, failed, returnToPartner } from "./ending.js";
import { Ui, applyTheme, element } from "./ui.js";

const RETRY_PAUSE_MS = 1500; // after a RETRY, time to read the reason before the camera may fire again

// The user token from "#/launch-v1?token=…" (a fragment: it never reaches a server or its logs).
function launchToken() {
  const hash = window.location.hash;
  return new URLSearchParams(hash.slice(hash.indexOf("?") + 1)).get("token");
}

// The camera when there is one and the user allows it, else the file picker.
async function openSource(ui, signal) {
  ui.say("cameraStarting");
  try {
    const camera = await openCamera(element("preview"));
    ui.show(".camera");
    return camera;
  } catch (error) {
    signal.throwIfAborted();
    console.info("no camera, offering a file instead:", error);
    const input = element("upload-file");
    if (!canPickFiles(input)) {
      throw failed("CAPTURE_FAILED");
    }
    ui.show(".upload");
    return new FileSource(input);
  }
}

// Capture, submit and wait for the verdict until the gateway says EXIT; returns how the flow ended.
async function attempts(ui, source, gateway, signal) {
  for (;;) {
    ui.say(source.prompt);
    const photo = await source.next(signal, {
      button: element("capture"),
      onHint: (key) => ui.advise(key),
      onUnreadable: () => ui.say("unreadableFile"),
    });
    ui.say("uploading");
    const submissionId = await gateway.submit(photo);
    ui.say("processing");
    const status = await gateway.outcome(submissionId);
    if (status.nextAction !== "RETRY") {
      // EXIT: COMPLETED whether the card was VALID or INVALID; ERROR is the gateway's SYSTEM_ERROR.
      return status.status === "COMPLETED" ? completed() : failed("SYSTEM_ERROR");
    }
    ui.showRetry(status.retryReason, status.attemptsRemaining);
    await delay(RETRY_PAUSE_MS, signal);
  }
}

async function main() {
  const ui = new Ui();
  applyTheme("NO_PREFERENCE");
  const flow = new AbortController();
  const cancel = element("cancel");
  cancel.addEventListener("click", () => flow.abort(failed("USER_CANCELLED")));
  const token = launchToken();
  let session = {};
  let source = null;
  let ending;
  try {
    ui.say("loading");
    session = await loadSession(token, flow.signal);
    ui.setLocale(session.locale);
    applyTheme(session.theme);
    if (session.ended) {
      // A reload after EXIT: the session takes no more attempts, so return the user with how it ended.
      throw session.ended.status === "COMPLETED" ? completed() : failed(session.ended.errorCode);
    }
    cancel.disabled = false;
    source = await openSource(ui, flow.signal);
    ending = await attempts(ui, source, new Gateway(token, session.partnerSessionId, flow.signal), flow.signal);
  } catch (error) {
    if (!(error instanceof FlowEnded)) {
      console.error(error);
    }
    ending = error instanceof FlowEnded ? error : failed("SYSTEM_ERROR");
    session = { ...session, ...error?.wayBack }; // a refused token still says where to send the user back
  }
  source?.close();
  cancel.disabled = true;
  ui.show(".camera", false);
  ui.show(".upload", false);
  ui.say(returnToPartner(ending, session));
}

main();
