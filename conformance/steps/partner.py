"""Partner-backend steps: the harness plays the partner's app (start a flow, read the result) and the user's SDK.

Everything the partner's front-end API answers is kept, so the rules can inspect it (PB-04) and compare the
recorded result with the card (PB-09, PB-10).
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
from pytest_bdd import parsers, then, when

from conformance.checks.partner_backend import Flow, ForgedCallback, FrontendExchange, PartnerResult
from conformance.plugin import KtpCard, KtpGateway, KtpJournal, make_card
from conformance.reference.sdk_simulator import SdkSimulator
from conformance.steps.context import RunSettings, World
from conformance.targets import PartnerFrontend, Target
from mock_gateway.delivery.signing import generate_secret, signature_headers
from mock_gateway.settings import CallbackAuth

RESULT_WAIT_SECONDS = 30.0
RESULT_POLL_SECONDS = 0.2
FORGERIES = ("without authentication", "with a wrong credential", "with a bad signature")


@when(parsers.parse("{count:d} users complete a KTP scan"))
def users_complete_scans(count: int, world: World, partner_frontend: PartnerFrontend, ktp_run: RunSettings,
                         gateway_under_test: KtpGateway) -> None:  # fmt: skip
    """Each user gets a clean synthetic card of their own and goes through the whole flow, one after another."""
    for number in range(1, count + 1):
        card = make_card(number, "camera")
        complete_flow(world, partner_frontend, ktp_run, gateway_under_test, world.user_id(f"user-{number}"), card)


@when(parsers.re(r'(?:the |a )?user(?: "(?P<name>[^"]+)")? completes a KTP scan(?P<twice> twice)?'))
def user_completes_scan(name: str | None, twice: str | None, world: World, partner_frontend: PartnerFrontend,
                        ktp_run: RunSettings, gateway_under_test: KtpGateway) -> None:  # fmt: skip
    """One user goes through the whole flow with the scenario's card (a clean one if none was given)."""
    card = world.captures()[-1]
    for _ in range(2 if twice else 1):
        complete_flow(world, partner_frontend, ktp_run, gateway_under_test, world.user_id(name), card)


@when(parsers.re(rf"a forged callback is sent (?P<how>{'|'.join(FORGERIES)})"))
def forged_callback(how: str, world: World, ktp_target: Target, partner_frontend: PartnerFrontend,
                    gateway_under_test: KtpGateway) -> None:  # fmt: skip
    """The last flow's callback, rewritten to say INVALID, sent straight to the partner with broken authentication."""
    flow = world.flows[-1]
    delivered = [entry for entry in KtpJournal(gateway_under_test).entries(kind="callback")
                 if entry["partnerSessionId"] == flow.partner_session_id]  # fmt: skip
    assert delivered, f"no callback was sent for session {flow.partner_session_id} to forge from"
    body = {**delivered[-1]["request"]["body"], "result": "INVALID", "reasonCode": "NOT_EKTP"}
    content = json.dumps(body).encode()
    headers = _forged_headers(how, ktp_target, content)
    if headers is None:
        return  # the target's callback auth cannot be broken this way (e.g. no signing secret); PB-06 says so
    before = read_result(world, partner_frontend, flow)
    try:
        response = httpx.request(ktp_target.callback.method, ktp_target.callback.url, content=content,
                                 headers={"Content-Type": "application/json", **headers}, timeout=30)  # fmt: skip
        exchange = FrontendExchange(ktp_target.callback.method, ktp_target.callback.url, response.status_code,
                                    response.text)  # fmt: skip
    except httpx.HTTPError as error:
        exchange = FrontendExchange(ktp_target.callback.method, ktp_target.callback.url, None, str(error))
    world.forged.append(ForgedCallback(how, exchange, before, read_result(world, partner_frontend, flow)))


def complete_flow(world: World, frontend: PartnerFrontend, run: RunSettings, gateway: KtpGateway, user_id: str,
                  card: KtpCard) -> Flow:  # fmt: skip
    """Start a flow through the partner, scan `card` with the reference SDK, then wait for the partner's result."""
    start, token, session = frontend.start_flow(user_id)
    world.frontend.append(start)
    flow = Flow(user_id, start, session, card.expected, card.truth)
    if token is not None:
        session = session or _session_of(gateway, user_id)
        flow = Flow(user_id, start, session, card.expected, card.truth)
        sdk = SdkSimulator(run.gateway_url, token, session or str(uuid.uuid4()), capture=lambda _attempt: card.image)
        sdk.launch()
        flow = Flow(user_id, start, session, card.expected, card.truth, wait_for_result(world, frontend, flow))
    world.flows.append(flow)
    return flow


def wait_for_result(world: World, frontend: PartnerFrontend, flow: Flow) -> PartnerResult | None:
    """Read the partner's result until it has an outcome or RESULT_WAIT_SECONDS pass; the last read counts."""
    deadline = time.monotonic() + RESULT_WAIT_SECONDS
    result = read_result(world, frontend, flow)
    while result is not None and frontend.pending(result) and time.monotonic() < deadline:
        time.sleep(RESULT_POLL_SECONDS)
        result = read_result(world, frontend, flow)
    return result


def read_result(world: World, frontend: PartnerFrontend, flow: Flow) -> PartnerResult | None:
    """One read of the partner's result, kept for the front-end rules."""
    if flow.partner_session_id is None:
        return None
    result = frontend.read_result(flow.partner_session_id)
    world.frontend.append(result.exchange)
    return result


def _session_of(gateway: KtpGateway, user_id: str) -> str | None:
    """The x-partner-session-id of the user's latest started flow, from the journal (when the target has no path)."""
    started = [entry for entry in KtpJournal(gateway).entries(operation="flows.initiate_flow", status=200)
               if entry["request"]["headers"].get("x-partner-user-id") == user_id]  # fmt: skip
    return started[-1]["partnerSessionId"] if started else None


def _forged_headers(how: str, target: Target, content: bytes) -> dict[str, str] | None:
    """The callback headers for one forgery, or None when the target's auth leaves nothing to break that way."""
    auth = target.callback.auth
    genuine = CallbackAuth(**auth).headers()
    if how == "without authentication":
        return {} if genuine or target.callback.signing_secret else None
    if how == "with a wrong credential":
        wrong = {key: f"wrong-{value}" for key, value in auth.items() if key not in ("kind", "header_name")}
        return CallbackAuth(**{**auth, **wrong}).headers() or None
    if not target.callback.signing_secret:
        return None
    return {**genuine, **signature_headers(generate_secret(), f"msg_{uuid.uuid4().hex}", time.time(), content)}


@then("the partner shows the user as verified with the card's fields")
def partner_shows_verified(world: World) -> None:
    """The last flow's result, as the partner's app reads it: verified, and every mapped field equals the card."""
    flow = world.flows[-1]
    assert flow.result is not None, f"{flow.start.describe()}: the flow never started"
    assert flow.result.verified is True, f"{flow.result.exchange.describe()}: not verified"
    differing = {key: value for key, value in flow.result.fields.items() if value != (flow.truth or {}).get(key)}
    assert not differing, f"{flow.result.exchange.describe()}: fields differ from the card: {differing}"


@then("the partner shows the user as not verified")
def partner_shows_unverified(world: World) -> None:
    """The last flow's result is not verified (or the flow never got that far)."""
    result = world.flows[-1].result
    assert result is None or result.verified is not True, f"{result.exchange.describe()}: verified"
