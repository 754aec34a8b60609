"""SDK rules: each judges one launch from the gateway's journal alone (entries as `/__mock/journal` returns them).

Any SDK build pointed at the mock is judged the same way; the app-visible result is used only where a rule needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.evidence import Verdict, backoff_offences, describe, response_data, seconds, verdict

SDK_OPERATIONS = ("submissions.presigned_urls", "submissions.confirm_submission", "submissions.submission_status")
UPLOAD = "storage.upload_document"
POLL_TOLERANCE = 0.8  # a poll may come 20% before pollAfterMs has passed
MAX_TRANSIENT_RETRIES = 3
MIN_BACKOFF_SECONDS = 0.25


@dataclass(frozen=True)
class SdkLaunch:
    """What the SDK rules look at: one launch's journal entries in request order, and its reported result if known."""

    correlation_id: str
    entries: tuple[dict[str, Any], ...]
    reported_status: str | None = None  # COMPLETED | NOT_COMPLETED | ERROR, from the app
    reported_submission_id: str | None = None
    max_upload_bytes: int = 10 * 1024 * 1024

    @property
    def calls(self) -> list[dict[str, Any]]:
        """The SDK-facing API calls (E4, E6, E7), without the storage uploads."""
        return [entry for entry in self.entries if entry["operation"] in SDK_OPERATIONS]


def sdk_01_identity(launch: SdkLaunch) -> Verdict:
    """The user token, one x-sdk-session-id per launch, x-partner-session-id = correlationId."""
    offending, seen = [], []
    for call in launch.calls:
        headers = call["request"]["headers"]
        if "x-onekyc-token" not in headers:
            offending.append(f"{describe(call)}: no x-onekyc-token")
        if call["partnerSessionId"] != launch.correlation_id:
            offending.append(f"{describe(call)}: x-partner-session-id {call['partnerSessionId']!r}")
        session = call["sdkSessionId"]
        if seen and session not in seen:
            offending.append(f"{describe(call)}: a new x-sdk-session-id {session!r} after {seen[0]!r}")
        if session not in seen:
            seen.append(session)
    return verdict(offending, f"{len(launch.calls)} calls, one x-sdk-session-id {seen[0] if seen else None!r}")


def sdk_02_upload_then_confirm_once(launch: SdkLaunch) -> Verdict:
    """An allowed image within the size limit is uploaded before the one confirm of its submission."""
    offending, uploaded, confirmed = [], set(), set()
    for entry in launch.entries:
        if entry["operation"] == UPLOAD:
            body = entry["request"]["body"] or {}
            allowed = body.get("contentType") in ("image/jpeg", "image/png")
            if not allowed or body.get("bytes", 0) > launch.max_upload_bytes:
                offending.append(f"{describe(entry)}: upload {body.get('contentType')} of {body.get('bytes')} bytes")
            elif entry["response"]["status"] == 200:
                uploaded.add(entry["submissionId"])
        elif entry["operation"] == "submissions.confirm_submission":
            submission = entry["submissionId"]
            if submission not in uploaded:
                offending.append(f"{describe(entry)}: confirm of {submission} before any upload to it")
            if submission in confirmed:
                offending.append(f"{describe(entry)}: a second confirm of {submission}")
            confirmed.add(submission)
    return verdict(offending, f"{len(confirmed)} confirm(s), each after its upload")


def sdk_03_poll_pace(launch: SdkLaunch) -> Verdict:
    """Polls no faster than pollAfterMs (with 20% tolerance) and none after EXIT."""
    offending, previous, finished = [], None, False
    for call in launch.calls:
        if finished:
            offending.append(f"{describe(call)}: a call after nextAction EXIT")
            continue
        if call["operation"] != "submissions.submission_status":
            previous = None
            continue
        if previous is not None and previous["response"]["status"] == 200:
            wait = (response_data(previous).get("pollAfterMs") or 0) / 1000
            gap = seconds(call) - seconds(previous)
            if gap < wait * POLL_TOLERANCE:
                offending.append(f"{describe(call)}: {gap * 1000:.0f} ms after the last poll; pollAfterMs was"
                                 f" {wait * 1000:.0f}")  # fmt: skip
        finished = response_data(call).get("nextAction") == "EXIT"
        previous = call
    return verdict(offending, "every poll waited pollAfterMs; none after EXIT")


def sdk_04_retry_recaptures(launch: SdkLaunch) -> Verdict:
    """On RETRY: a new presigned URL, upload and confirm, within attemptsRemaining."""
    offending, retried, rejected = [], None, set()
    for entry in launch.entries:
        data = response_data(entry)
        if entry["operation"] == "submissions.submission_status" and entry["submissionId"] in rejected:
            offending.append(f"{describe(entry)}: polled {entry['submissionId']} again after it answered RETRY")
        elif entry["operation"] == "submissions.submission_status" and data.get("nextAction") == "RETRY":
            retried = entry["submissionId"]
            rejected.add(retried)
        elif entry["operation"] == "submissions.confirm_submission" and retried and entry["submissionId"] == retried:
            offending.append(f"{describe(entry)}: confirmed {retried} again after RETRY instead of capturing anew")
        elif entry["operation"] == "submissions.presigned_urls" and entry["response"]["status"] == 429:
            offending.append(f"{describe(entry)}: asked for another attempt after attemptsRemaining ran out")
        elif entry["operation"] == "submissions.presigned_urls" and entry["response"]["status"] == 200:
            retried = None
    return verdict(offending, "every RETRY was followed by a new capture")


def sdk_05_no_loop_on_401(launch: SdkLaunch) -> Verdict:
    """On 401 the launch ends with an error result, with no further calls."""
    unauthorized = [call for call in launch.calls if call["response"]["status"] == 401]
    if not unauthorized:
        return Verdict("skip", ("no 401 in this launch",))
    calls = launch.calls
    later = calls[calls.index(unauthorized[0]) + 1 :]
    offending = [f"{describe(call)}: called again after {describe(unauthorized[0])}" for call in later]
    if launch.reported_status not in (None, "ERROR"):
        offending.append(f"reported {launch.reported_status} after {describe(unauthorized[0])}")
    return verdict(offending, f"stopped at {describe(unauthorized[0])}")


def sdk_06_backoff_on_5xx(launch: SdkLaunch) -> Verdict:
    """Transient 5xx answers are retried at most three times, each wait longer than the one before."""
    offending = backoff_offences(launch.calls, lambda status: status >= 500, MAX_TRANSIENT_RETRIES, MIN_BACKOFF_SECONDS)
    return verdict(offending, "transient failures retried with growing waits, at most three times")


def sdk_07_completes(launch: SdkLaunch) -> Verdict:
    """A finished launch reports COMPLETED with the submissionId of its last attempt."""
    finals = [call for call in launch.calls if response_data(call).get("nextAction") == "EXIT"]
    if not finals:
        return Verdict("fail", ("no status answered nextAction EXIT",))
    final = finals[-1]
    if launch.reported_status is None:
        return Verdict("skip", (f"{describe(final)} ended the flow; the app's result is not known",))
    reported = (launch.reported_status, launch.reported_submission_id)
    expected = ("COMPLETED", final["submissionId"])
    if reported != expected:
        return Verdict("fail", (f"reported {reported}, but {describe(final)} ended {final['submissionId']}",))
    return Verdict("pass", (f"reported COMPLETED {final['submissionId']} after {describe(final)}",))
