"""The rule catalogue: each rule has an id, a title, a severity, a suite, and a check that returns evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.checks.gateway import (
    gw_01_partner_token,
    gw_02_user_token,
    gw_03_initiate_flow,
    gw_04_presigned_urls,
    gw_05_upload_and_confirm,
    gw_06_status,
    gw_07_details,
    gw_08_token_errors,
    gw_09_fuzzing,
    gw_10_reads_the_card,
)
from conformance.checks.partner_backend import (
    pb_01_caches_token,
    pb_02_refreshes_token,
    pb_03_required_headers,
    pb_04_no_secrets_to_frontend,
    pb_05_acknowledges_callback,
    pb_06_rejects_forged_callback,
    pb_07_duplicate_callback,
    pb_08_fetches_details,
    pb_09_surfaces_fields,
    pb_10_never_verifies_failures,
    pb_11_backs_off,
    pb_12_polls_without_callback,
)
from conformance.checks.partner_web import (
    web_01_launch_url_from_backend,
    web_02_handles_the_return,
    web_03_fills_the_card,
    web_04_failure_and_retry,
)
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


PB = "partner-backend"
GW = "gateway"
WEB = "partner-web"
RULES: tuple[Rule, ...] = (
    Rule("PB-01", "Caches the partner token: one token request per token lifetime across at least 5 flows", "MUST",
         PB, pb_01_caches_token),
    Rule("PB-02", "Refreshes the partner token after a 401 or expiry, then succeeds", "MUST", PB,
         pb_02_refreshes_token),
    Rule("PB-03", "Sends every required header on user-token / initiate-flow; x-partner-session-id unique per flow",
         "MUST", PB, pb_03_required_headers),
    Rule("PB-04", "Never exposes the pass-key or the partner token to its front end", "MUST", PB,
         pb_04_no_secrets_to_frontend),
    Rule("PB-05", "Acknowledges a valid callback with 2xx within 10 s", "MUST", PB, pb_05_acknowledges_callback),
    Rule("PB-06", "Rejects a callback that fails authentication with 401/403; its result does not change", "MUST", PB,
         pb_06_rejects_forged_callback),
    Rule("PB-07", "Handles a duplicated callback idempotently", "MUST", PB, pb_07_duplicate_callback),
    Rule("PB-08", "Fetches Get Submission Details after the callback with the partner token and submission or "
         "session id", "MUST", PB, pb_08_fetches_details),
    Rule("PB-09", "Surfaces the extracted fields unchanged (equal to the card's ground truth)", "MUST", PB,
         pb_09_surfaces_fields),
    Rule("PB-10", "Never marks a user verified after an INVALID or ERROR outcome", "MUST", PB,
         pb_10_never_verifies_failures),
    Rule("PB-11", "Backs off on 5xx/429 from the gateway (bounded retry rate) and recovers", "SHOULD", PB,
         pb_11_backs_off),
    Rule("PB-12", "Falls back to polling Get Submission Details when no callback arrives", "SHOULD", PB,
         pb_12_polls_without_callback),
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
    Rule("GW-01", 'Partner token (E1): a JWT with a kid, expiry_seconds/expires_at strings; 400 "1539" without '
         'credentials, 401 "110" with wrong ones', "MUST", GW, gw_01_partner_token),
    Rule("GW-02", "User token (E2): the same token; refusals carry the integer codes 1539 and 110", "MUST", GW,
         gw_02_user_token),
    Rule("GW-03", "Initiate flow (E3): SDK gives a token, WEB_SDK a launchUrl with token=, camelCase expirySeconds/"
         'expiresAt strings; 400 "1539" for a missing or reused x-partner-session-id', "MUST", GW, gw_03_initiate_flow),
    Rule("GW-04", 'Presigned URLs (E4): an INITIATED submission with one KTP_FRONT slot; 400 "1539" without '
         "x-sdk-session-id", "MUST", GW, gw_04_presigned_urls),
    Rule("GW-05", "Upload and confirm (E5, E6): the upload is stored and confirmed once; 422 before the upload, 409 "
         "the second time", "MUST", GW, gw_05_upload_and_confirm),
    Rule("GW-06", 'Status polling (E7): nextAction STATUS with pollAfterMs until EXIT at a terminal status; 404 "1543" '
         "for an unknown submission", "MUST", GW, gw_06_status),
    Rule("GW-07", "Submission details (E8): the KTP_SCAN SubmissionData, alike by x-submission-id and "
         'x-partner-session-id; 400 "1539" without either, "1552" for an unknown one', "MUST", GW, gw_07_details),
    Rule("GW-08", 'Every non-token API answers a missing, forged or expired token with 401 "110" UNAUTHORIZED in the '
         "failure envelope", "MUST", GW, gw_08_token_errors),
    Rule("GW-09", "Schemathesis finds no failure in the contract's operations (fixed seed, bounded examples)", "MUST",
         GW, gw_09_fuzzing),
    Rule("GW-10", "Reads a synthetic card back exactly: ktpData equals the card's printed fields", "SHOULD", GW,
         gw_10_reads_the_card),
    Rule("WEB-01", "Gets the launchUrl through its own backend: the browser never calls the token or initiate-flow "
         "paths and never holds the pass-key or a partner token", "MUST", WEB, web_01_launch_url_from_backend),
    Rule("WEB-02", "Handles the success return, redirect and postMessage: the result is shown and the form filled",
         "MUST", WEB, web_02_handles_the_return),
    Rule("WEB-03", "Fills the form with exactly the card's values", "MUST", WEB, web_03_fills_the_card),
    Rule("WEB-04", "Shows a failure or a timeout and offers a way to try again that works", "MUST", WEB,
         web_04_failure_and_retry),
)  # fmt: skip


def rules_of(suite: str) -> tuple[Rule, ...]:
    """The catalogue's rules of one suite, in id order."""
    return tuple(rule for rule in RULES if rule.suite == suite)
