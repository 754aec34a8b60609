"""The rule catalogue: each rule has an id, a title, a severity, a suite, and a check that returns evidence.

SDK rules judge one launch from the gateway's journal alone (entries as `/__mock/journal` returns them), so any SDK
build pointed at the mock is judged the same way; the app-visible result is used only where a rule needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Severity = Literal["MUST", "SHOULD"]
Status = Literal["pass", "fail", "skip"]
SDK_OPERATIONS = ("submissions.presigned_urls", "submissions.confirm_submission", "submissions.submission_status")
UPLOAD = "storage.upload_document"
POLL_TOLERANCE = 0.8  # a poll may come 20% before pollAfterMs has passed
MAX_TRANSIENT_RETRIES = 3
MIN_BACKOFF_SECONDS = 0.25


@dataclass(frozen=True)
class Verdict:
    """A rule's outcome and the journal entries (or responses) that prove it."""

    status: Status
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class SdkLaunch:
    """What the SDK rules look at: one launch's journal entries, oldest first, and its reported result if known."""

    correlation_id: str
    entries: tuple[dict[str, Any], ...]
    reported_status: str | None = None  # COMPLETED | NOT_COMPLETED | ERROR, from the app
    reported_submission_id: str | None = None
    max_upload_bytes: int = 10 * 1024 * 1024

    @property
    def calls(self) -> list[dict[str, Any]]:
        """The SDK-facing API calls (E4, E6, E7), without the storage uploads."""
        return [entry for entry in self.entries if entry["operation"] in SDK_OPERATIONS]


@dataclass(frozen=True)
class Rule:
    """One line of the catalogue."""

    id: str
    title: str
    severity: Severity
    suite: str
    check: Callable[[Any], Verdict] = field(repr=False)

    def judge(self, subject: Any) -> Verdict:
        """Run the check."""
        return self.check(subject)


def describe(entry: dict[str, Any]) -> str:
    """How evidence names a request: journal id, method, path, status."""
    path = entry["url"].split("?", 1)[0]
    return f"#{entry['id']} {entry['method']} {path} -> {entry['response']['status']}"


def _verdict(offending: Sequence[str], passing: str) -> Verdict:
    return Verdict("fail", tuple(offending)) if offending else Verdict("pass", (passing,))


def _seconds(entry: dict[str, Any]) -> float:
    return datetime.fromisoformat(entry["at"].replace("Z", "+00:00")).timestamp()


def _data(entry: dict[str, Any]) -> dict[str, Any]:
    body = entry["response"]["body"]
    return body.get("data") or {} if isinstance(body, dict) else {}


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
    return _verdict(offending, f"{len(launch.calls)} calls, one x-sdk-session-id {seen[0] if seen else None!r}")


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
    return _verdict(offending, f"{len(confirmed)} confirm(s), each after its upload")


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
            wait = (_data(previous).get("pollAfterMs") or 0) / 1000
            gap = _seconds(call) - _seconds(previous)
            if gap < wait * POLL_TOLERANCE:
                offending.append(f"{describe(call)}: {gap * 1000:.0f} ms after the last poll; pollAfterMs was"
                                 f" {wait * 1000:.0f}")  # fmt: skip
        finished = _data(call).get("nextAction") == "EXIT"
        previous = call
    return _verdict(offending, "every poll waited pollAfterMs; none after EXIT")


def sdk_04_retry_recaptures(launch: SdkLaunch) -> Verdict:
    """On RETRY: a new presigned URL, upload and confirm, within attemptsRemaining."""
    offending, retried, rejected = [], None, set()
    for entry in launch.entries:
        data = _data(entry)
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
    return _verdict(offending, "every RETRY was followed by a new capture")


def sdk_05_no_loop_on_401(launch: SdkLaunch) -> Verdict:
    """On 401 the launch ends with an error result, with no further calls."""
    unauthorized = [call for call in launch.calls if call["response"]["status"] == 401]
    if not unauthorized:
        return Verdict("skip", ("no 401 in this launch",))
    later = [call for call in launch.calls if call["id"] > unauthorized[0]["id"]]
    offending = [f"{describe(call)}: called again after {describe(unauthorized[0])}" for call in later]
    if launch.reported_status not in (None, "ERROR"):
        offending.append(f"reported {launch.reported_status} after {describe(unauthorized[0])}")
    return _verdict(offending, f"stopped at {describe(unauthorized[0])}")


def sdk_06_backoff_on_5xx(launch: SdkLaunch) -> Verdict:
    """Transient 5xx answers are retried at most three times, each wait longer than the one before."""
    offending, streak, last_gap = [], [], 0.0
    for call in launch.calls:
        if streak:
            gap = _seconds(call) - _seconds(streak[-1])
            if gap < max(MIN_BACKOFF_SECONDS, last_gap):
                offending.append(f"{describe(call)}: retried {gap * 1000:.0f} ms after {describe(streak[-1])}")
            last_gap = gap
        if call["response"]["status"] >= 500:
            streak.append(call)
            if len(streak) > MAX_TRANSIENT_RETRIES + 1:
                offending.append(f"{describe(call)}: retry {len(streak) - 1} of a transient failure")
        else:
            streak, last_gap = [], 0.0
    return _verdict(offending, "transient failures retried with growing waits, at most three times")


def sdk_07_completes(launch: SdkLaunch) -> Verdict:
    """A finished launch reports COMPLETED with the submissionId of its last attempt."""
    finals = [call for call in launch.calls if _data(call).get("nextAction") == "EXIT"]
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


RULES: tuple[Rule, ...] = (
    Rule("SDK-01", "Uses the user token, one x-sdk-session-id per launch, x-partner-session-id = correlationId",
         "MUST", "sdk", sdk_01_identity),
    Rule("SDK-02", "Uploads an allowed image within the size limit before confirming, and confirms once",
         "MUST", "sdk", sdk_02_upload_then_confirm_once),
    Rule("SDK-03", "Polls no faster than pollAfterMs and stops at EXIT", "MUST", "sdk", sdk_03_poll_pace),
    Rule("SDK-04", "On RETRY captures again (new presigned URL, upload, confirm) within attemptsRemaining",
         "MUST", "sdk", sdk_04_retry_recaptures),
    Rule("SDK-05", "On 401 ends with an error result and does not loop", "MUST", "sdk", sdk_05_no_loop_on_401),
    Rule("SDK-06", "Retries transient 5xx/503 with bounded backoff", "SHOULD", "sdk", sdk_06_backoff_on_5xx),
    Rule("SDK-07", "Completes a happy path and reports COMPLETED with the submissionId", "MUST", "sdk",
         sdk_07_completes),
)  # fmt: skip


def rules_of(suite: str) -> tuple[Rule, ...]:
    """The catalogue's rules of one suite, in id order."""
    return tuple(rule for rule in RULES if rule.suite == suite)
