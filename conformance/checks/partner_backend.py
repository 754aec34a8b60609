"""Partner-backend rules: each judges one scenario's run from the gateway's journal and the partner's own answers.

The journal shows what the backend sent to the gateway and how it answered the callbacks; the front-end exchanges
(the harness acting as the partner's app) show what the backend exposed and what result it recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.evidence import Verdict, backoff_offences, carries_partner_token, describe, seconds, verdict

TOKEN = "tokens.partner_token"
USER_TOKEN = "tokens.user_token"
INITIATE = "flows.initiate_flow"
DETAILS = ("details.submission_details", "details.partner_submission_details")
CALLBACK = "callback"
REQUIRED_HEADERS = {
    USER_TOKEN: ("client-id", "pass-key", "x-onboarding-partner", "x-partner-user-id", "x-partner-user-id-type"),
    INITIATE: ("x-onekyc-token", "x-onboarding-partner", "x-partner-user-id", "x-partner-user-id-type",
               "x-partner-session-id"),
}  # fmt: skip
MIN_FLOWS_FOR_CACHING = 5
ACK_WITHIN_MS = 10_000
MAX_TRANSIENT_RETRIES = 5
MIN_BACKOFF_SECONDS = 0.25


@dataclass(frozen=True)
class FrontendExchange:
    """One call the harness made to the partner's front-end-facing API, as the partner's app would."""

    method: str
    url: str
    status: int | None
    body: str  # the response body as text ("" when the call failed)

    def describe(self) -> str:
        """How evidence names it: method, URL, status."""
        return f"{self.method} {self.url} -> {self.status}"


@dataclass(frozen=True)
class PartnerResult:
    """What the partner's backend recorded for a flow, read through its result API."""

    exchange: FrontendExchange
    verified: bool | None
    fields: dict[str, Any] = field(default_factory=dict)  # ktpData key -> the value the partner shows


@dataclass(frozen=True)
class Flow:
    """One user's flow as the harness drove it, and what the gateway decided for it."""

    user_id: str
    start: FrontendExchange
    partner_session_id: str | None
    expected: str  # VALID | INVALID | ERROR: the gateway's terminal outcome for this flow
    truth: dict[str, str] | None = None  # the card's ktpData when the outcome is VALID
    result: PartnerResult | None = None

    @property
    def started(self) -> bool:
        """The partner's backend handed out a flow."""
        return self.start.status is not None and 200 <= self.start.status < 300


@dataclass(frozen=True)
class ForgedCallback:
    """A callback the harness sent straight to the partner with broken authentication."""

    how: str  # "without authentication", "with a wrong credential", "with a bad signature"
    exchange: FrontendExchange
    before: PartnerResult | None
    after: PartnerResult | None


@dataclass(frozen=True)
class PartnerRun:
    """Everything one scenario saw of the partner's backend."""

    flows: tuple[Flow, ...]
    entries: tuple[dict[str, Any], ...]  # the gateway's journal during the scenario, in request order
    frontend: tuple[FrontendExchange, ...]  # every answer the partner's front-end API gave
    forged: tuple[ForgedCallback, ...] = ()
    pass_key: str = ""
    faults: tuple[str, ...] = ()  # what the harness injected: "expire-token", "transient", "no-callback", ...

    def of(self, *operations: str) -> list[dict[str, Any]]:
        """Journal entries of these operations."""
        return [entry for entry in self.entries if entry["operation"] in operations]


def pb_01_caches_token(run: PartnerRun) -> Verdict:
    """At most one partner token per token lifetime (plus one per 401 the gateway answered) across ≥ 5 flows."""
    started = [flow for flow in run.flows if flow.started]
    if len(started) < MIN_FLOWS_FOR_CACHING:
        return Verdict("skip", (f"{len(started)} flow(s) started; caching needs at least {MIN_FLOWS_FOR_CACHING}",))
    issued = [entry for entry in run.of(TOKEN) if entry["response"]["status"] == 200]
    unauthorized = [entry for entry in run.of(INITIATE, *DETAILS) if entry["response"]["status"] == 401]
    allowed = 1 + len(unauthorized)
    offending = [f"{describe(entry)}: partner token {number} within one token lifetime ({len(started)} flows)"
                 for number, entry in enumerate(issued, 1) if number > allowed]  # fmt: skip
    served = f"{len(issued)} new partner token(s)" if issued else "a partner token cached before the scenario"
    return verdict(offending, f"{len(started)} flows served by {served}")


def pb_02_refreshes_token(run: PartnerRun) -> Verdict:
    """After a 401 on a partner-token call: a new partner token, then the same call succeeds."""
    rejected = [entry for entry in run.of(INITIATE, *DETAILS) if entry["response"]["status"] == 401]
    if not rejected:
        return Verdict("skip", ("the gateway answered no 401 to a partner-token call",))
    offending, held = [], []
    for entry in rejected:
        later = list(run.entries[run.entries.index(entry) + 1 :])
        refreshed = next((o for o in later if o["operation"] == TOKEN and o["response"]["status"] == 200), None)
        if refreshed is None:
            offending.append(f"{describe(entry)}: no new partner token was requested after it")
            continue
        retried = next((o for o in later[later.index(refreshed) + 1 :] if o["operation"] == entry["operation"]
                        and 200 <= (o["response"]["status"] or 0) < 300), None)  # fmt: skip
        if retried is None:
            offending.append(f"{describe(entry)}: {describe(refreshed)} was not followed by a successful retry")
        else:
            held.append(f"{describe(entry)}, then {describe(refreshed)}, then {describe(retried)}")
    return verdict(offending, "; ".join(held))


def pb_03_required_headers(run: PartnerRun) -> Verdict:
    """Every required header on user-token and initiate-flow, and a fresh x-partner-session-id for every flow."""
    offending, used = [], {}
    for entry in run.of(USER_TOKEN, INITIATE):
        headers = {name.lower(): value for name, value in entry["request"]["headers"].items()}
        missing = [name for name in REQUIRED_HEADERS[entry["operation"]] if not str(headers.get(name, "")).strip()]
        if missing:
            offending.append(f"{describe(entry)}: missing {', '.join(missing)}")
        session = headers.get("x-partner-session-id")
        if entry["operation"] != INITIATE or not session:
            continue
        if session in used:
            offending.append(f"{describe(entry)}: x-partner-session-id {session!r} was already used by flow "
                             f"{describe(used[session])}")  # fmt: skip
        elif entry["response"]["status"] == 200:
            used[session] = entry
    return verdict(offending, f"{len(run.of(USER_TOKEN, INITIATE))} calls with every header, {len(used)} session ids")


def pb_04_no_secrets_to_frontend(run: PartnerRun) -> Verdict:
    """No front-end answer carries the pass-key or a partner token."""
    offending = []
    for exchange in run.frontend:
        if run.pass_key and run.pass_key in exchange.body:
            offending.append(f"{exchange.describe()}: the answer contains the pass-key")
        if carries_partner_token(exchange.body):
            offending.append(f"{exchange.describe()}: the answer contains a partner token")
    return verdict(offending, f"{len(run.frontend)} front-end answers carry no pass-key and no partner token")


def pb_05_acknowledges_callback(run: PartnerRun) -> Verdict:
    """The first sent attempt of every callback is answered 2xx within 10 s."""
    firsts = [attempts[0] for attempts in _deliveries(run).values() if attempts]
    if not firsts:
        return Verdict("skip", ("no callback reached the partner",))
    offending = []
    for entry in firsts:
        status = entry["response"]["status"]
        if status is None or not 200 <= status < 300:
            offending.append(f"callback {describe(entry)}: not acknowledged ({entry['error'] or status})")
        elif entry["latencyMs"] > ACK_WITHIN_MS:
            offending.append(f"callback {describe(entry)}: acknowledged after {entry['latencyMs']:.0f} ms")
    return verdict(offending, f"{len(firsts)} callback(s) acknowledged 2xx within {ACK_WITHIN_MS // 1000} s")


def pb_06_rejects_forged_callback(run: PartnerRun) -> Verdict:
    """A callback with broken authentication gets 401/403 and changes nothing."""
    if not run.forged:
        return Verdict("skip", ("no forged callback was sent",))
    offending = []
    for forged in run.forged:
        if forged.exchange.status not in (401, 403):
            offending.append(f"forged callback {forged.how}: {forged.exchange.describe()}, expected 401 or 403")
        if _state(forged.before) != _state(forged.after):
            offending.append(
                f"forged callback {forged.how} changed the result: {_state(forged.before)} -> "
                f"{_state(forged.after)} ({forged.after.exchange.describe() if forged.after else ''})"
            )
    return verdict(offending, f"{len(run.forged)} forged callback(s) refused, results unchanged")


def pb_07_duplicate_callback(run: PartnerRun) -> Verdict:
    """A callback delivered again is acknowledged 2xx and leaves the result as it was."""
    repeats = [entry for attempts in _deliveries(run).values() for entry in _after_first_success(attempts)]
    if not repeats:
        return Verdict("skip", ("no callback was delivered twice",))
    offending = [f"duplicate callback {describe(entry)}: answered {entry['error'] or entry['response']['status']}"
                 for entry in repeats if not 200 <= (entry["response"]["status"] or 0) < 300]  # fmt: skip
    for flow in _flows_with(run, {entry["partnerSessionId"] for entry in repeats}):
        if flow.result is not None and flow.result.verified != (flow.expected == "VALID"):
            offending.append(f"{flow.result.exchange.describe()}: verified {flow.result.verified} after the duplicate")
    return verdict(offending, f"{len(repeats)} duplicate delivery(ies) acknowledged; results unchanged")


def pb_08_fetches_details(run: PartnerRun) -> Verdict:
    """After a callback arrives, Get Submission Details with the partner token and the submission or session id."""
    arrived = {}
    for attempts in _deliveries(run).values():
        acknowledged = any(200 <= (entry["response"]["status"] or 0) < 300 for entry in attempts)
        if acknowledged and _terminal(attempts[0]):
            arrived.setdefault(attempts[0]["partnerSessionId"], attempts[0])
    if not arrived:
        return Verdict("skip", ("no callback was acknowledged",))
    offending, held = [], []
    for session, callback in arrived.items():
        sent = seconds(callback) - callback["latencyMs"] / 1000  # journal times are when an exchange ended
        fetches = [entry for entry in run.of(*DETAILS) if seconds(entry) >= sent]
        fetch = next((e for e in fetches if e["response"]["status"] == 200 and _identifies(e, session, callback)), None)
        if fetch is None:
            offending.append(
                f"callback {describe(callback)} for session {session}: no Get Submission Details with "
                "the partner token and its x-submission-id or x-partner-session-id followed"
            )
        else:
            held.append(describe(fetch))
    return verdict(offending, f"details fetched after each callback: {', '.join(held)}")


def pb_09_surfaces_fields(run: PartnerRun) -> Verdict:
    """The partner shows the extracted fields exactly as the card has them."""
    judged = [flow for flow in run.flows if flow.expected == "VALID" and flow.truth and flow.result]
    if not judged:
        return Verdict("skip", ("no VALID flow's result was read",))
    offending, compared = [], 0
    for flow in judged:
        assert flow.result is not None and flow.truth is not None
        for key, shown in flow.result.fields.items():
            compared += 1
            if shown != flow.truth.get(key):
                offending.append(f"{flow.result.exchange.describe()}: {key} {shown!r}, the card says "
                                 f"{flow.truth.get(key)!r}")  # fmt: skip
    if not compared:
        return Verdict("skip", ("the target maps no result fields",))
    return verdict(offending, f"{compared} field(s) over {len(judged)} flow(s) equal the cards")


def pb_10_never_verifies_failures(run: PartnerRun) -> Verdict:
    """INVALID and ERROR outcomes never leave the user verified."""
    judged = [flow for flow in run.flows if flow.expected in ("INVALID", "ERROR") and flow.result]
    if not judged:
        return Verdict("skip", ("no INVALID or ERROR flow's result was read",))
    offending = [f"{flow.result.exchange.describe()}: verified after a {flow.expected} outcome"
                 for flow in judged if flow.result and flow.result.verified]  # fmt: skip
    return verdict(offending, f"{len(judged)} INVALID/ERROR flow(s) left unverified")


def pb_11_backs_off(run: PartnerRun) -> Verdict:
    """5xx and 429 from the gateway are retried with growing waits, a bounded number of times, then it recovers."""
    if "transient" not in run.faults:
        return Verdict("skip", ("the gateway answered no injected 5xx/429",))
    offending = []
    for operation in (TOKEN, USER_TOKEN, INITIATE, *DETAILS):
        calls = [entry for entry in run.of(operation) if entry["kind"] == "request"]
        offending += backoff_offences(calls, lambda status: status >= 500 or status == 429, MAX_TRANSIENT_RETRIES,
                                      MIN_BACKOFF_SECONDS)  # fmt: skip
    offending += [f"{flow.start.describe()}: the flow did not recover after the gateway did"
                  for flow in run.flows if not flow.started]  # fmt: skip
    return verdict(offending, "transient failures retried with growing waits; every flow recovered")


def pb_12_polls_without_callback(run: PartnerRun) -> Verdict:
    """With no callback delivered, the partner polls Get Submission Details and records the outcome."""
    if "no-callback" not in run.faults:
        return Verdict("skip", ("every callback was delivered",))
    offending = []
    for flow in run.flows:
        shown = flow.result.exchange.describe() if flow.result else flow.start.describe()
        fetched = [entry for entry in run.of(*DETAILS) if entry["response"]["status"] == 200
                   and entry["partnerSessionId"] == flow.partner_session_id]  # fmt: skip
        if not fetched:
            offending.append(f"{shown}: no Get Submission Details for session {flow.partner_session_id} while no "
                             "callback came")  # fmt: skip
        if flow.result is None or flow.result.verified != (flow.expected == "VALID"):
            offending.append(f"{shown}: the {flow.expected} outcome was not recorded without a callback")
    return verdict(offending, f"{len(run.flows)} flow(s) resolved by polling Get Submission Details")


def _deliveries(run: PartnerRun) -> dict[str, list[dict[str, Any]]]:
    """Callback attempts that reached the partner, grouped by webhook-id (injected failures were never sent)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for entry in run.of(CALLBACK):
        if entry["response"]["status"] is None and entry["error"] and "injected" in entry["error"]:
            continue
        headers = {name.lower(): value for name, value in entry["request"]["headers"].items()}
        grouped.setdefault(headers.get("webhook-id") or f"#{entry['id']}", []).append(entry)
    return grouped


def _after_first_success(attempts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The attempts sent again after the partner had already acknowledged the callback."""
    for index, entry in enumerate(attempts):
        if 200 <= (entry["response"]["status"] or 0) < 300:
            return attempts[index + 1 :]
    return []


def _terminal(entry: dict[str, Any]) -> bool:
    body = entry["request"]["body"]
    return isinstance(body, dict) and body.get("status") in ("COMPLETED", "ERROR")


def _identifies(entry: dict[str, Any], session: str, callback: dict[str, Any]) -> bool:
    """The details request carried the partner token and named the callback's submission or session."""
    headers = {name.lower(): value for name, value in entry["request"]["headers"].items()}
    return bool(headers.get("x-onekyc-token")) and (
        headers.get("x-submission-id") == callback["submissionId"] or headers.get("x-partner-session-id") == session
    )


def _flows_with(run: PartnerRun, sessions: set[str]) -> list[Flow]:
    return [flow for flow in run.flows if flow.partner_session_id in sessions]


def _state(result: PartnerResult | None) -> tuple[bool | None, tuple[tuple[str, Any], ...]] | None:
    return None if result is None else (result.verified, tuple(sorted(result.fields.items())))
