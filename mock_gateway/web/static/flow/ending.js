// How a flow ends, and how the partner learns of it: a redirect (top-level window, WebView) or a postMessage
// (the page inside an iframe). The contract is in the README ("The hosted web flow").

export const MESSAGE_TYPE = "onekyc.ktp_scan.result";

// Thrown (or used as an abort reason) by anything that ends the flow; main.js turns it into the return.
export class FlowEnded extends Error {
  constructor(status, errorCode = null) {
    super(errorCode || status);
    this.status = status; // COMPLETED | ERROR
    this.errorCode = errorCode; // null | TOKEN_EXPIRED | SYSTEM_ERROR | SESSION_TIMEOUT | USER_CANCELLED | CAPTURE_FAILED
  }
}

export const completed = () => new FlowEnded("COMPLETED");
export const failed = (errorCode) => new FlowEnded("ERROR", errorCode);

// The partner URL for this ending: success for COMPLETED (valid or invalid card alike), failure otherwise.
function partnerUrl(ending, session) {
  const raw = ending.status === "COMPLETED" ? session.successRedirectionUrl : session.failureRedirectionUrl;
  try {
    return raw ? new URL(raw) : null;
  } catch {
    return null; // not an absolute URL: nowhere to send the user
  }
}

// Hands the ending to the partner; returns what the page should say afterwards (a text key).
export function returnToPartner(ending, session) {
  const url = partnerUrl(ending, session);
  const framed = window.parent !== window;
  if (framed) {
    const message = {
      type: MESSAGE_TYPE,
      status: ending.status,
      partnerSessionId: session.partnerSessionId ?? null,
      errorCode: ending.errorCode,
    };
    // Only the partner's own origin may read the result; without a usable redirection URL there is none to name.
    const origin = url && url.origin !== "null" ? url.origin : "*";
    window.parent.postMessage(message, origin);
  }
  if (framed || url === null) {
    // The page stays: say how it ended (a refused launch token, with nowhere to go back to, is a dead link).
    if (ending.status === "COMPLETED") {
      return "completedHere";
    }
    return !framed && ending.errorCode === "TOKEN_EXPIRED" ? "invalidLink" : "failedHere";
  }
  url.searchParams.set("status", ending.status);
  url.searchParams.set("partner_session_id", session.partnerSessionId ?? "");
  if (ending.errorCode) {
    url.searchParams.set("error_code", ending.errorCode);
  }
  // replace(): the back button must not land on a finished flow and start it again.
  window.location.replace(url.href);
  return ending.status === "COMPLETED" ? "completed" : "failed";
}
