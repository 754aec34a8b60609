// The reference partner's sign-up page. "Verify with KTP" asks this app's backend for a launch URL (the gateway's
// credentials stay on the server), runs the hosted flow by redirect or in an iframe, and when the flow says it ended
// reads the result from the backend, which got it from the gateway: the return itself proves nothing.

const settings = JSON.parse(document.getElementById("settings").textContent);
const RESULT_MESSAGE = "onekyc.ktp_scan.result"; // the hosted flow's postMessage type
const FLOW_KEY = "signup.flow"; // sessionStorage: the flow this tab started ({partnerSessionId, origin})
const POLL_MS = 1000;

const page = {
  status: document.getElementById("status"),
  failure: document.getElementById("failure"),
  failureText: document.getElementById("failure-text"),
  tryAgain: document.getElementById("try-again"),
  flowBox: document.getElementById("flow-box"),
  flow: document.getElementById("flow"),
  verify: document.getElementById("verify"),
  form: document.getElementById("signup"),
};

// What the user reads for each error_code of the return (§9 of the API notes; the hosted page's own codes).
const FAILURES = {
  USER_CANCELLED: "You cancelled the KTP verification.",
  TOKEN_EXPIRED: "The verification link expired before the scan finished.",
  SESSION_TIMEOUT: "The KTP check took too long.",
  CAPTURE_FAILED: "The photo of your KTP could not be taken or uploaded.",
  SYSTEM_ERROR: "The KTP service had a problem.",
};
const UNVERIFIED = "We could not verify this KTP. Check that it is an e-KTP and the photo is sharp.";
const TIMED_OUT = "Your KTP is still being checked and we have not heard back. Please try again.";

const defect = (name) => settings.defects.includes(name);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function say(text) {
  page.status.textContent = text;
}

function showFailure(text) {
  say("");
  page.failureText.textContent = text;
  page.tryAgain.hidden = defect("no-retry-on-failure");
  page.failure.hidden = false;
  page.failure.focus();
}

// Start a flow through this app's backend, then hand the user to the hosted page.
async function startFlow() {
  page.failure.hidden = true;
  page.verify.disabled = true;
  say("Starting the KTP verification…");
  try {
    if (defect("browser-gets-partner-token")) {
      await callGatewayFromTheBrowser();
    }
    const response = await fetch("/api/kyc/start", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        userId: settings.userId, source: "WEB_SDK", successUrl: settings.returnUrl, failureUrl: settings.returnUrl,
      }),
    });
    if (!response.ok) {
      throw new Error(`start answered ${response.status}`);
    }
    const flow = await response.json();
    const origin = new URL(flow.launchUrl).origin;
    sessionStorage.setItem(FLOW_KEY, JSON.stringify({ partnerSessionId: flow.partnerSessionId, origin }));
    if (settings.mode === "iframe") {
      page.flow.src = flow.launchUrl;
      page.flowBox.hidden = false;
      page.verify.hidden = true; // one flow at a time: the iframe's own cancel ends this one
      say("Follow the steps below to scan your KTP.");
    } else {
      window.location.assign(flow.launchUrl);
    }
  } catch {
    showFailure("The KTP verification could not start. Please try again.");
  } finally {
    page.verify.disabled = false;
  }
}

// The browser-gets-partner-token defect: a page wired straight to the gateway, holding the partner token. The
// gateway allows no cross-origin call, so the browser blocks the attempt and the page carries on via its backend.
async function callGatewayFromTheBrowser() {
  const debug = await (await fetch("/debug/partner-token")).json();
  sessionStorage.setItem("onekyc.partnerToken", debug.partnerToken);
  try {
    await fetch(`${debug.gatewayUrl}/coe-partner/v1/initiate-flow`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-onekyc-token": debug.partnerToken },
      body: JSON.stringify({ flow: "KTP_SCAN", source: "WEB_SDK" }),
    });
  } catch {
    // blocked by the browser (no CORS at the gateway)
  }
}

// The flow ended (redirect query or postMessage): show the failure, or fetch the result and fill the form.
async function flowEnded(status, partnerSessionId, errorCode) {
  const started = JSON.parse(sessionStorage.getItem(FLOW_KEY) || "null");
  if (!started || started.partnerSessionId !== partnerSessionId) {
    showFailure("This verification result is not for the verification you started. Please try again.");
    return;
  }
  if (status !== "COMPLETED") {
    showFailure(FAILURES[errorCode] || "The KTP verification did not finish.");
    return;
  }
  say("Checking your KTP…");
  const result = await resultOf(partnerSessionId);
  if (result === null) {
    showFailure(TIMED_OUT);
  } else if (defect("ignore-return")) {
    say(""); // the defect: the result of a successful return is dropped, so the form stays empty
  } else if (result.verified && result.ktp) {
    fill(result.ktp);
    say("KTP verified: we filled in the form from your card. Check it, then sign up.");
  } else {
    showFailure(UNVERIFIED);
  }
}

// The backend's result once it is no longer PENDING, or null after waitSeconds.
async function resultOf(partnerSessionId) {
  const deadline = Date.now() + settings.waitSeconds * 1000;
  while (Date.now() < deadline) {
    const response = await fetch(`/api/kyc/${encodeURIComponent(partnerSessionId)}`);
    if (response.ok) {
      const session = await response.json();
      if (session.status !== "PENDING") {
        return session;
      }
    }
    await sleep(POLL_MS);
  }
  return null;
}

function fill(ktp) {
  const values = { ...ktp };
  if (defect("fill-wrong-fields")) {
    [values.town, values.district] = [ktp.district, ktp.town];
  }
  for (const input of page.form.querySelectorAll("[data-ktp]")) {
    input.value = values[input.dataset.ktp] ?? "";
  }
}

// Iframe mode: only the hosted flow's own frame and origin may end the flow.
window.addEventListener("message", (event) => {
  const started = JSON.parse(sessionStorage.getItem(FLOW_KEY) || "null");
  const data = event.data;
  if (!started || event.origin !== started.origin || event.source !== page.flow.contentWindow) {
    return;
  }
  if (!data || data.type !== RESULT_MESSAGE) {
    return;
  }
  page.flowBox.hidden = true;
  page.flow.src = "about:blank"; // the hosted page is done: let go of the camera
  page.verify.hidden = false;
  flowEnded(data.status, data.partnerSessionId, data.errorCode);
});

page.verify.addEventListener("click", startFlow);
page.tryAgain.addEventListener("click", startFlow);
page.form.addEventListener("submit", (event) => {
  event.preventDefault();
  say("Thank you for signing up (this demo stores nothing).");
});

// Redirect mode: the hosted flow came back to this page with status and partner_session_id in the query.
const query = new URLSearchParams(window.location.search);
if (query.has("status")) {
  flowEnded(query.get("status"), query.get("partner_session_id"), query.get("error_code"));
}
