// The gateway as the page speaks to it: the session lookup, then E4 (upload slot), E5 (upload), E6 (confirm) and
// E7 (status), with the SDK's rules: one x-sdk-session-id per page load, stop at the first 401, bounded backoff on
// transient failures, polls paced by pollAfterMs.

import { failed } from "./ending.js";

const TRANSIENT = new Set([500, 502, 503, 504]);
const BACKOFF_MS = [500, 1000, 2000]; // three retries of a transient failure, then give up (as the reference SDK)
const POLL_LIMIT_MS = 2 * 60 * 1000; // SESSION_TIMEOUT after this long without an answer
const DEFAULT_POLL_MS = 1000;

// Waits `ms`, or rejects with the abort reason as soon as the flow is cancelled.
export function delay(ms, signal) {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

// A UUID even where crypto.randomUUID is missing (it needs a secure context; a phone on a LAN address has none).
function uuid() {
  if (crypto.randomUUID) {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The session behind the token. Refused: throws TOKEN_EXPIRED, with where to send the user back when known.
export async function loadSession(token, signal) {
  const response = await fetchWithBackoff("/kyc/v2/session", { headers: { "x-onekyc-token": token } }, signal);
  const body = await response.json().catch(() => null);
  if (response.status === 401) {
    const ending = failed("TOKEN_EXPIRED");
    ending.wayBack = body?.data ?? {};
    throw ending;
  }
  if (!response.ok || !body?.data) {
    throw failed("SYSTEM_ERROR");
  }
  return body.data;
}

// fetch() that retries transient failures (5xx listed above, or no answer at all) with bounded backoff.
async function fetchWithBackoff(url, init, signal) {
  for (let attempt = 0; ; attempt += 1) {
    let response = null;
    try {
      response = await fetch(url, { ...init, signal, cache: "no-store" });
    } catch {
      if (signal.aborted) {
        throw signal.reason;
      }
      // a network failure: treated as transient, like a 503
    }
    if (response !== null && !TRANSIENT.has(response.status)) {
      return response;
    }
    if (attempt >= BACKOFF_MS.length) {
      throw failed("SYSTEM_ERROR");
    }
    await delay(BACKOFF_MS[attempt], signal);
  }
}

export class Gateway {
  constructor(token, partnerSessionId, signal) {
    this.signal = signal;
    this.headers = {
      "x-onekyc-token": token,
      "x-sdk-session-id": uuid(),
      "x-partner-session-id": partnerSessionId,
    };
  }

  // One API call; returns `data`. 401 ends the flow at once; a refusal listed in `refusals` ends it with that code.
  async call(method, path, { body, refusals = {} } = {}) {
    const init = { method, headers: { ...this.headers } };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetchWithBackoff(path, init, this.signal);
    if (response.status === 401) {
      throw failed("TOKEN_EXPIRED");
    }
    if (!response.ok) {
      throw failed(refusals[response.status] || "SYSTEM_ERROR");
    }
    return (await response.json()).data;
  }

  // E4 + E5 + E6: a new attempt carrying `photo`; returns its submissionId.
  async submit(photo) {
    const slot = await this.call("GET", "/coe/v1/submissions/urls?submissionType=KTP_SCAN");
    const upload = await fetchWithBackoff(slot.documents.KTP_FRONT.documentUrl, {
      method: "PUT",
      headers: { "content-type": photo.type || "image/jpeg" },
      body: photo,
    }, this.signal);
    if (!upload.ok) {
      throw failed("CAPTURE_FAILED"); // the storage refused the bytes (type, size, signature)
    }
    await this.call("PUT", "/coe/v1/submissions/urls", {
      body: { submissionId: slot.submissionId },
      refusals: { 422: "CAPTURE_FAILED" }, // INVALID_UPLOAD_ARTIFACT: the gateway could not use the upload
    });
    return slot.submissionId;
  }

  // E7 until nextAction is no longer STATUS; returns that status `data`.
  async outcome(submissionId) {
    const deadline = Date.now() + POLL_LIMIT_MS;
    for (;;) {
      const status = await this.call("GET", `/coe/v1/submissions/${encodeURIComponent(submissionId)}/status`);
      if (status.nextAction !== "STATUS") {
        return status;
      }
      const wait = status.pollAfterMs ?? DEFAULT_POLL_MS;
      if (Date.now() + wait > deadline) {
        throw failed("SESSION_TIMEOUT");
      }
      await delay(wait, this.signal);
    }
  }
}
