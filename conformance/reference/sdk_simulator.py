"""The reference SDK: a Python client of E4–E7 that honours `nextAction`, with one defect switch per SDK rule.

It behaves as the GoPayEnterprise / Digital Identity SDK's KTP Scan would, judged only by the traffic it sends:
one `x-sdk-session-id` per launch, upload before confirm, polls paced by `pollAfterMs`, a new capture on RETRY,
an error result (no loop) on 401, bounded backoff on 5xx, and `COMPLETED` with the submissionId at the end.
Each defect breaks exactly one of those, so the conformance suite can prove it catches that rule alone.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

# defect switch -> the SDK rule it breaks
DEFECTS: dict[str, str] = {
    "sdk-session-per-call": "SDK-01",  # a fresh x-sdk-session-id on every request
    "confirm-twice": "SDK-02",  # confirms each submission a second time (and shrugs off the 409)
    "poll-too-fast": "SDK-03",  # polls without waiting pollAfterMs
    "poll-after-retry": "SDK-04",  # on RETRY keeps polling the rejected submission a while before capturing
    "loop-on-401": "SDK-05",  # keeps calling after a 401
    "no-backoff-on-5xx": "SDK-06",  # retries 5xx/503 at once, many times
    "report-wrong-submission": "SDK-07",  # reports COMPLETED with a submissionId that is not the final one
}
TRANSIENT = frozenset({500, 502, 503, 504})
BACKOFF_SECONDS = (0.5, 1.0, 2.0)  # three retries of a transient failure, then give up
LOOP_ON_401_CALLS = 5
IMPATIENT_POLLS = 20
STUBBORN_POLLS = 2
POLL_LIMIT = 600


@dataclass(frozen=True)
class SdkResult:
    """What the SDK hands back to the app (EnterpriseDocumentVerificationResult)."""

    correlation_id: str
    status: str  # COMPLETED | NOT_COMPLETED | ERROR
    submission_id: str | None = None
    error_code: str | None = None  # API | NETWORK | VERIFICATION, as the SDK's extra data says
    error_message: str | None = None


class SdkStopped(Exception):  # noqa: N818 (a control-flow signal inside the simulator, not an error type)
    """The launch ends early with this result."""

    def __init__(self, result: SdkResult) -> None:
        super().__init__(result.status)
        self.result = result


@dataclass
class SdkSimulator:
    """One launch of the SDK against `base_url` with the user token, for the partner session `correlation_id`."""

    base_url: str
    token: str
    correlation_id: str
    capture: Callable[[int], bytes]  # attempt number (1-based) -> the JPEG the camera takes
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))
    sleep: Callable[[float], None] = time.sleep
    defects: frozenset[str] = frozenset()
    sdk_session_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        unknown = sorted(set(self.defects) - set(DEFECTS))
        if unknown:
            raise ValueError(f"unknown defect(s) {', '.join(unknown)}; known: {', '.join(DEFECTS)}")
        self.base_url = self.base_url.rstrip("/")

    def launch(self) -> SdkResult:
        """Capture, upload, confirm and poll until EXIT, capturing again on RETRY."""
        try:
            return self._run()
        except SdkStopped as stopped:
            return stopped.result
        except httpx.HTTPError as error:
            return self._result("ERROR", error_code="NETWORK", error_message=str(error))

    def _run(self) -> SdkResult:
        attempt, submission_id = 1, self._capture_and_confirm(1)
        first_submission = submission_id
        while True:
            status = self._poll(submission_id)
            if status["nextAction"] == "RETRY":
                attempt += 1
                if "poll-after-retry" in self.defects:
                    for _ in range(STUBBORN_POLLS):
                        self.sleep(1.0)
                        self._call("GET", f"/coe/v1/submissions/{submission_id}/status")
                submission_id = self._capture_and_confirm(attempt)
                continue
            if status["status"] == "ERROR":
                return self._result("ERROR", submission_id, "VERIFICATION", status.get("errorMessage"))
            reported = first_submission if "report-wrong-submission" in self.defects else submission_id
            return self._result("COMPLETED", reported)

    def _capture_and_confirm(self, attempt: int) -> str:
        slot = self._call("GET", "/coe/v1/submissions/urls", params={"submissionType": "KTP_SCAN"})["data"]
        document = slot["documents"]["KTP_FRONT"]
        upload = self.http.put(document["documentUrl"], content=self.capture(attempt),
                               headers={"content-type": "image/jpeg"})  # fmt: skip
        if upload.status_code != 200:
            raise SdkStopped(self._result("ERROR", error_code="API", error_message=f"upload {upload.status_code}"))
        self._confirm(slot["submissionId"])
        if "confirm-twice" in self.defects:
            self._confirm(slot["submissionId"], tolerate_conflict=True)
        return slot["submissionId"]

    def _confirm(self, submission_id: str, tolerate_conflict: bool = False) -> None:
        """E6; a defect's extra confirm meets 409 and carries on, so only its own rule breaks."""
        body = {"submissionId": submission_id}
        self._call("PUT", "/coe/v1/submissions/urls", json=body, tolerated=(409,) if tolerate_conflict else ())

    def _poll(self, submission_id: str) -> dict:
        for _ in range(POLL_LIMIT):
            status = self._call("GET", f"/coe/v1/submissions/{submission_id}/status")["data"]
            if status["nextAction"] != "STATUS":
                return status
            wait = (status.get("pollAfterMs") or 1000) / 1000
            self.sleep(wait / IMPATIENT_POLLS if "poll-too-fast" in self.defects else wait)
        raise SdkStopped(self._result("NOT_COMPLETED", submission_id, "API", "the submission never ended"))

    def _call(self, method: str, path: str, tolerated: tuple[int, ...] = (), **kwargs: object) -> dict:
        """One API call with the SDK's headers, transient failures retried with bounded backoff."""
        backoff = (0.0,) * 10 if "no-backoff-on-5xx" in self.defects else BACKOFF_SECONDS
        for delay in (*backoff, None):
            response = self.http.request(method, self.base_url + path, headers=self._headers(), **kwargs)
            if response.status_code == 401:
                if "loop-on-401" in self.defects:
                    for _ in range(LOOP_ON_401_CALLS):
                        self.http.request(method, self.base_url + path, headers=self._headers(), **kwargs)
                raise SdkStopped(self._result("ERROR", error_code="API", error_message="401 UNAUTHORIZED"))
            if response.status_code not in TRANSIENT or delay is None:
                break
            self.sleep(delay)
        if response.status_code in tolerated:
            return response.json()
        if response.status_code != 200:
            cause = _cause(response)
            raise SdkStopped(self._result("ERROR", error_code="API", error_message=f"{response.status_code} {cause}"))
        return response.json()

    def _headers(self) -> dict[str, str]:
        session = str(uuid.uuid4()) if "sdk-session-per-call" in self.defects else self.sdk_session_id
        return {"x-onekyc-token": self.token, "x-sdk-session-id": session, "x-partner-session-id": self.correlation_id}

    def _result(self, status: str, submission_id: str | None = None, error_code: str | None = None,
                error_message: str | None = None) -> SdkResult:  # fmt: skip
        return SdkResult(self.correlation_id, status, submission_id, error_code, error_message)


def _cause(response: httpx.Response) -> str:
    try:
        return response.json()["errors"][0]["cause"]
    except (ValueError, KeyError, IndexError, TypeError):
        return response.text[:80]
