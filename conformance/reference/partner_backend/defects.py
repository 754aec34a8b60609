"""Defect switches: each breaks exactly one rule, so the harness proves it catches that rule alone."""

from __future__ import annotations

from collections.abc import Iterable

# defect switch -> the partner-backend rule it breaks
DEFECTS: dict[str, str] = {
    "token-per-flow": "PB-01",  # a new partner token for every flow instead of the cached one
    "no-token-refresh": "PB-02",  # a 401 is not answered with a fresh token; the flow fails
    "session-id-per-user": "PB-03",  # x-partner-session-id = "session-<userId>", so a user's second flow collides
    "leak-partner-token": "PB-04",  # the start response also carries the partner token
    "fail-first-callback": "PB-05",  # stores the result but answers 500 to the first delivery
    "accept-unauthenticated-callback": "PB-06",  # skips the Bearer and signature checks
    "reject-duplicate-callback": "PB-07",  # answers 409 to a callback whose result it already has
    "trust-callback-body": "PB-08",  # takes result and ktpData from the callback body, never calls E8 on a callback
    "reformat-fields": "PB-09",  # stores dateOfBirth as YYYY-MM-DD and the name title-cased
    "verify-any-outcome": "PB-10",  # verified = true for any terminal outcome, INVALID and ERROR too
    "retry-without-backoff": "PB-11",  # retries 429/5xx at once, up to 10 times
    "no-polling-fallback": "PB-12",  # no fallback thread: a lost callback leaves the session pending for ever
}
# defect switch -> the partner-web rule its sign-up page breaks
WEB_DEFECTS: dict[str, str] = {
    "browser-gets-partner-token": "WEB-01",  # the page fetches the partner token and calls initiate-flow itself
    "ignore-return": "WEB-02",  # a successful return (redirect or postMessage) never shows the result
    "fill-wrong-fields": "WEB-03",  # kel/desa and kecamatan swapped when the form is filled
    "no-retry-on-failure": "WEB-04",  # a failure or timeout is shown with no way to try again
}


def checked_defects(names: Iterable[str]) -> frozenset[str]:
    """The switches as a set; a typo must fail loudly, or a defect run would silently test the clean backend."""
    defects = frozenset(names)
    known = {**DEFECTS, **WEB_DEFECTS}
    unknown = sorted(defects - set(known))
    if unknown:
        raise ValueError(f"unknown defect(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return defects
