"""Gateway scenario steps: faults, forced token expiry and callback misbehaviour, set on the mock's control plane.

Each override is pinned to the partner under test, so a shared mock's other partners are not disturbed.
"""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers

from conformance.plugin import KtpGateway
from conformance.steps.context import World

# how a feature names a gateway call -> its operationId
OPERATIONS = {
    "partner-token": "tokens.partner_token",
    "user-token": "tokens.user_token",
    "initiate-flow": "flows.initiate_flow",
    "presigned-URL": "submissions.presigned_urls",
    "upload": "storage.upload_document",
    "confirm": "submissions.confirm_submission",
    "status": "submissions.submission_status",
    "submission-details": "details.submission_details",
}
OPERATION = "|".join(OPERATIONS)


def override(gateway: KtpGateway, world: World, injected: str | None = None, **spec: Any) -> None:
    """POST /__mock/scenarios for the partner under test, remembering what was injected for the rules."""
    spec["match"] = {"clientId": gateway.client_id, **spec.get("match", {})}
    gateway.override(**spec)
    if injected is not None:
        world.faults.append(injected)


@given(parsers.re(rf"the gateway answers (?P<status>\d{{3}}) to the next (?P<count>\d+) (?P<call>{OPERATION}) calls?"),
       converters={"status": int, "count": int})  # fmt: skip
def gateway_answers(gateway_under_test: KtpGateway, world: World, status: int, count: int, call: str) -> None:
    """The next N calls of one endpoint get this status in the gateway's error envelope (e.g. 503, 429, 500)."""
    transient = status >= 500 or status == 429
    override(gateway_under_test, world, "transient" if transient else None, match={"operation": OPERATIONS[call]},
             fault={"status": status}, times=count)  # fmt: skip


@given(parsers.re(rf"the gateway treats the token as expired on the next (?P<call>{OPERATION}) call"))
def token_expires(gateway_under_test: KtpGateway, world: World, call: str) -> None:
    """The next call of one endpoint is answered 401 as if its token had expired."""
    override(gateway_under_test, world, "expire-token", match={"operation": OPERATIONS[call]},
             fault={"expireToken": True}, times=1)  # fmt: skip


@given(parsers.re(rf"the gateway adds (?P<ms>\d+) ms of latency to (?P<call>{OPERATION}) calls"),
       converters={"ms": int})  # fmt: skip
def gateway_latency(gateway_under_test: KtpGateway, world: World, ms: int, call: str) -> None:
    """Every call of one endpoint is answered this much later."""
    override(gateway_under_test, world, match={"operation": OPERATIONS[call]}, fault={"latencyMs": ms})


@given(parsers.parse("the gateway takes {ms:d} ms to process each submission"))
def processing_delay(gateway_under_test: KtpGateway, world: World, ms: int) -> None:
    """Submissions stay IN_PROGRESS this long before the OCR result is in."""
    override(gateway_under_test, world, processingDelayMs=ms)


@given("callbacks to the partner never get through")
def callbacks_fail(gateway_under_test: KtpGateway, world: World) -> None:
    """Every callback attempt fails before it is sent (an outage between the gateway and the partner)."""
    override(gateway_under_test, world, "no-callback", callback={"failTimes": 99})


@given(parsers.parse("callbacks to the partner fail {count:d} times first"))
def callbacks_fail_first(gateway_under_test: KtpGateway, world: World, count: int) -> None:
    """The first N attempts of each callback fail; the retry schedule then delivers it."""
    override(gateway_under_test, world, callback={"failTimes": count})


@given("every callback is delivered twice")
def callbacks_duplicated(gateway_under_test: KtpGateway, world: World) -> None:
    """After the partner acknowledges a callback, the identical request comes once more."""
    override(gateway_under_test, world, "duplicate-callback", callback={"duplicate": True})


@given("a stale callback arrives after the final one")
def callbacks_out_of_order(gateway_under_test: KtpGateway, world: World) -> None:
    """After delivery, an IN_PROGRESS copy with an older timestamp follows."""
    override(gateway_under_test, world, "stale-callback", callback={"outOfOrder": True})


@given("callbacks carry a bad signature")
def callbacks_badly_signed(gateway_under_test: KtpGateway, world: World) -> None:
    """Callbacks are signed with a wrong secret (partners with a signing secret only)."""
    override(gateway_under_test, world, "bad-signature", callback={"badSignature": True})
