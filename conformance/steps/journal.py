"""Journal steps: assert what crossed the gateway, from its request and callback journal."""

from __future__ import annotations

import time
from typing import Any

from pytest_bdd import parsers, then

from conformance.plugin import KtpGateway, KtpJournal
from conformance.steps.gateway_scenarios import OPERATION, OPERATIONS

QUIET_SECONDS = 0.3
SETTLE_LIMIT_SECONDS = 10.0


def settled_entries(journal: KtpJournal, **where: Any) -> tuple[dict[str, Any], ...]:
    """The matching entries once the journal has gone quiet: an exchange is journaled just after its answer."""
    deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
    count = journal.count(**where)
    while time.monotonic() < deadline:
        time.sleep(QUIET_SECONDS)
        count, previous = journal.count(**where), count
        if count == previous:
            break
    return tuple(journal.entries(**where))


@then(parsers.re(rf"the gateway saw (?P<bound>exactly|at least|at most) (?P<count>\d+) (?P<call>{OPERATION}) calls?"),
      converters={"count": int})  # fmt: skip
def gateway_saw(gateway_under_test: KtpGateway, bound: str, count: int, call: str) -> None:
    """Count the journal's requests of one endpoint in this scenario."""
    seen = len(settled_entries(KtpJournal(gateway_under_test), operation=OPERATIONS[call]))
    holds = {"exactly": seen == count, "at least": seen >= count, "at most": seen <= count}[bound]
    assert holds, f"the gateway saw {seen} {call} call(s), expected {bound} {count}"


@then(parsers.re(rf"the gateway answered (?P<call>{OPERATION}) with (?P<status>\d{{3}})"), converters={"status": int})
def gateway_answered(gateway_under_test: KtpGateway, call: str, status: int) -> None:
    """At least one call of this endpoint got this status."""
    seen = settled_entries(KtpJournal(gateway_under_test), operation=OPERATIONS[call])
    statuses = [entry["response"]["status"] for entry in seen]
    assert status in statuses, f"{call} was answered {statuses}, never {status}"


@then(parsers.parse("within {seconds:d} seconds the partner acknowledged a callback"))
def callback_acknowledged(gateway_under_test: KtpGateway, seconds: int) -> None:
    """Wait (up to the limit) for a callback attempt the partner answered 2xx."""
    where = {"kind": "callback", "status": 200}
    outcome = KtpJournal(gateway_under_test).verify(where, atLeast=1, withinMs=seconds * 1000)
    assert outcome["verified"], f"no callback was acknowledged within {seconds} s: {outcome}"


@then(parsers.parse("the gateway made {count:d} callback attempts"))
def callback_attempts(gateway_under_test: KtpGateway, count: int) -> None:
    """Count callback attempts, injected failures included."""
    seen = len(settled_entries(KtpJournal(gateway_under_test), kind="callback"))
    assert seen == count, f"{seen} callback attempt(s), expected {count}"


@then(parsers.parse("the gateway asked for a new photo because of {reason}"))
def gateway_asked_for_retry(gateway_under_test: KtpGateway, reason: str) -> None:
    """A status answer said nextAction RETRY with this retryReason (GLARE_DETECTED, BLUR_DETECTED, …)."""
    answers = [entry["response"]["body"] for entry in
               settled_entries(KtpJournal(gateway_under_test), operation=OPERATIONS["status"], status=200)]  # fmt: skip
    reasons = [(body.get("data") or {}).get("retryReason") for body in answers if isinstance(body, dict)]
    assert reason in reasons, f"the status answers gave retry reasons {sorted(set(filter(None, reasons)))}"
