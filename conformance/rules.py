"""The rule catalogue: each rule has an id, a title, a severity, a suite, and a check that returns evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.checks.sdk import (
    sdk_01_identity,
    sdk_02_upload_then_confirm_once,
    sdk_03_poll_pace,
    sdk_04_retry_recaptures,
    sdk_05_no_loop_on_401,
    sdk_06_backoff_on_5xx,
    sdk_07_completes,
)
from conformance.evidence import Verdict

Severity = Literal["MUST", "SHOULD"]


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
