"""Gateway suite steps: probe any gateway base URL as a partner backend and its SDK would, then judge the GW rules.

Nothing here touches the mock's control plane, so a real gateway is probed exactly like the mock. Every request is
recorded in the world as an Exchange saying what it tried; `Then the gateway follows GW-..` judges them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pytest_bdd import parsers, then, when

from conformance.checks.gateway import (
    CONFIRM,
    DETAILS_BY_SESSION,
    PARTNER_DETAILS,
    PRESIGN,
    STATUS,
    TERMINAL,
    TOKEN_CASES,
    Case,
    Exchange,
    GatewayRun,
)
from conformance.checks.partner_backend import DETAILS, INITIATE, TOKEN, USER_TOKEN
from conformance.checks.sdk import UPLOAD
from conformance.evidence import jwt_segment
from conformance.plugin import KtpCard, KtpGateway
from conformance.steps.context import RunSettings, Scorecard, World
from conformance.steps.verdicts import judge, rule_ids
from conformance.targets import Credentials

PATHS = {
    TOKEN: "/v1/coe/partner/authentication",
    USER_TOKEN: "/v2/coe/authentication",
    INITIATE: "/coe-partner/v1/initiate-flow",
    PRESIGN: "/coe/v1/submissions/urls",
    CONFIRM: "/coe/v1/submissions/urls",
    DETAILS_BY_SESSION: "/coe/v1/submissions",
    PARTNER_DETAILS: "/coe-partner/v1/submissions",
}
WRONG_PASS_KEY = "not-the-pass-key"
BENT_CREDENTIALS = {Case.NO_CLIENT_ID: {"client-id": None}, Case.NO_PASS_KEY: {"pass-key": None},
                    Case.WRONG_PASS_KEY: {"pass-key": WRONG_PASS_KEY}}  # fmt: skip
REDIRECTS = {"successRedirectionUrl": "https://partner.example/kyc/success",
             "failureRedirectionUrl": "https://partner.example/kyc/failure"}  # fmt: skip
# how a feature says the details are looked up -> (operation, case)
LOOKUPS = {
    "by submission id": (DETAILS_BY_SESSION, Case.BY_SUBMISSION),
    "by partner session id": (DETAILS_BY_SESSION, Case.BY_SESSION),
    "by partner session id on the partner path": (PARTNER_DETAILS, Case.BY_SESSION),
    "without a submission or session id": (DETAILS_BY_SESSION, Case.NO_LOOKUP),
    "of a submission that does not exist": (DETAILS_BY_SESSION, Case.UNKNOWN),
}
POLL_LIMIT_SECONDS = 30.0
DEFAULT_POLL_MS = 1000  # when a gateway gives no pollAfterMs
FORGERY_KEY = b"not-the-gateway-signing-key"


def _new_id() -> str:
    """A fresh partner session, SDK session or submission id."""
    return str(uuid.uuid4())


@dataclass
class Probe:
    """One scenario's side of the conversation with the gateway: the ids and tokens it holds, and its exchanges."""

    gateway: KtpGateway
    credentials: Credentials
    world: World
    user_id: str
    partner_session_id: str = field(default_factory=_new_id)
    sdk_session_id: str = field(default_factory=_new_id)
    user_token: str | None = None
    submission_id: str | None = None
    document_url: str | None = None
    card: KtpCard | None = None
    _partner_token: str | None = field(default=None, init=False, repr=False)

    def user(self, onboarding_partner: str | None = None) -> dict[str, str]:
        """The headers naming the scenario's user (of the SDK onboarding partner unless told otherwise)."""
        return {"x-onboarding-partner": onboarding_partner or self.credentials.onboarding_partner,
                "x-partner-user-id": self.user_id, "x-partner-user-id-type": "CLIENT_X_USER_ID"}  # fmt: skip

    def partner_token(self) -> str:
        """A partner token for setting up a probe (E1, not itself a probe)."""
        self._partner_token = self._partner_token or self.gateway.partner_token()
        return self._partner_token

    def sdk_token(self) -> str:
        """The user token of the scenario's SDK flow, or one from E2 when no flow was started (not a probe)."""
        if self.user_token is None:
            response = self.gateway.client.get(PATHS[USER_TOKEN], headers={**self._credentials(), **self.user()})
            response.raise_for_status()
            self.user_token = response.json()["data"]["token"]
        return self.user_token

    def send(self, operation: str, case: Case, method: str, url: str, headers: dict[str, str | None], *,
             submission_id: str | None = None, partner_session_id: str | None = None,
             truth: dict[str, str] | None = None, **request: Any) -> Exchange:  # fmt: skip
        """Make the request (headers set to None are left out) and record the exchange in the world."""
        sent = {name: value for name, value in headers.items() if value is not None}
        try:
            response = self.gateway.client.request(method, url, headers=sent, **request)
            status, body = response.status_code, _body(response)
        except httpx.TransportError as error:
            status, body = None, str(error)
        exchange = Exchange(operation, case, method, httpx.URL(url).path, status, body, time.time(), submission_id,
                            partner_session_id, truth)  # fmt: skip
        self.world.gateway_exchanges.append(exchange)
        return exchange

    def token(self, operation: str, case: Case) -> Exchange:
        """E1 or E2, with the credentials bent the way `case` says."""
        user = self.user() if operation == USER_TOKEN else {}
        return self.send(operation, case, "GET", PATHS[operation], {**self._credentials(case), **user})

    def initiate(self, case: Case, token: str | None, source: str, session_id: str | None) -> Exchange:
        """E3 for a KTP scan of the scenario's user."""
        web = source == "WEB_SDK"
        headers = {"x-onekyc-token": token, **self.user(self.credentials.web_onboarding_partner if web else None),
                   "x-partner-session-id": session_id}  # fmt: skip
        body = {"flow": "KTP_SCAN", "source": source, **(REDIRECTS if web else {})}
        return self.send(INITIATE, case, "POST", PATHS[INITIATE], headers, json=body)

    def sdk_headers(self, token: str | None, sdk_session: bool = True) -> dict[str, str | None]:
        """What the SDK sends on E4, E6 and E7."""
        return {"x-onekyc-token": token, "x-sdk-session-id": self.sdk_session_id if sdk_session else None,
                "x-partner-session-id": self.partner_session_id}  # fmt: skip

    def presign(self, case: Case, token: str | None, sdk_session: bool = True) -> Exchange:
        """E4 for the scenario's partner session."""
        return self.send(PRESIGN, case, "GET", PATHS[PRESIGN], self.sdk_headers(token, sdk_session),
                         params={"submissionType": "KTP_SCAN"})  # fmt: skip

    def upload(self, card: KtpCard) -> Exchange:
        """E5: the card's photo to the presigned URL, as object storage takes it."""
        assert self.document_url, "no presigned URL yet: the SDK asks for upload URLs first"
        self.card = card
        return self.send(UPLOAD, Case.PLAIN, "PUT", self.document_url, {"content-type": card.content_type},
                         submission_id=self.submission_id, content=card.image)  # fmt: skip

    def confirm(self, case: Case, token: str | None, submission_id: str) -> Exchange:
        """E6 of a submission."""
        return self.send(CONFIRM, case, "PUT", PATHS[CONFIRM], self.sdk_headers(token),
                         submission_id=submission_id, json={"submissionId": submission_id})  # fmt: skip

    def poll(self, case: Case, token: str | None, submission_id: str) -> Exchange:
        """E7 of a submission."""
        return self.send(STATUS, case, "GET", f"/coe/v1/submissions/{submission_id}/status", self.sdk_headers(token),
                         submission_id=submission_id)  # fmt: skip

    def details(self, operation: str, case: Case, token: str | None, lookup: dict[str, str | None]) -> Exchange:
        """E8 (either variant) with these lookup headers; a lookup of the scenario's own flow expects its ids back."""
        own = case in (Case.BY_SUBMISSION, Case.BY_SESSION)
        truth = self.card.truth if own and self.card and self.card.expected == "VALID" else None
        user = self.user() if operation == PARTNER_DETAILS else {}
        return self.send(operation, case, "GET", PATHS[operation], {"x-onekyc-token": token, **user, **lookup},
                         submission_id=self.submission_id if own else None,
                         partner_session_id=self.partner_session_id if own else None, truth=truth)  # fmt: skip

    def _credentials(self, case: Case = Case.PLAIN) -> dict[str, str | None]:
        credentials = {"client-id": self.credentials.client_id, "pass-key": self.credentials.pass_key}
        return {**credentials, **BENT_CREDENTIALS.get(case, {})}


@pytest.fixture
def probe(world: World, gateway_under_test: KtpGateway, ktp_run: RunSettings) -> Probe:
    """The scenario's conversation with the gateway, shared by its steps."""
    return Probe(gateway_under_test, ktp_run.credentials, world, world.user_id())


@when(parsers.re(r"the partner asks for an? (?P<kind>partner|user) token"
                 rf"(?: (?P<how>{Case.NO_CLIENT_ID}|{Case.NO_PASS_KEY}|{Case.WRONG_PASS_KEY}))?"))  # fmt: skip
def ask_for_token(probe: Probe, kind: str, how: str | None) -> None:
    """E1 (partner) or E2 (user) with the partner's credentials, or without a client-id / pass-key, or a wrong one."""
    probe.token(TOKEN if kind == "partner" else USER_TOKEN, Case(how or ""))


@when(parsers.re(r"the partner starts an? (?P<source>SDK|web) flow"
                 rf"(?: (?P<how>{Case.NO_PARTNER_SESSION}|{Case.REUSED_SESSION}))?"))  # fmt: skip
def start_flow(probe: Probe, source: str, how: str | None) -> None:
    """E3 for a KTP scan: an SDK flow is the scenario's flow (its user token is kept), a web flow a separate one.

    `with a reused x-partner-session-id` starts the SDK flow's session again (after it was started).
    """
    if how:
        session = probe.partner_session_id if how == Case.REUSED_SESSION else None
        probe.initiate(Case(how), probe.partner_token(), "SDK", session)
    elif source == "web":
        probe.initiate(Case.WEB_SDK, probe.partner_token(), "WEB_SDK", _new_id())
    else:
        exchange = probe.initiate(Case.SDK, probe.partner_token(), "SDK", probe.partner_session_id)
        probe.user_token = exchange.data.get("token") or probe.user_token


@when(parsers.re(rf"the SDK asks for upload URLs(?: (?P<how>{Case.NO_SDK_SESSION}))?"))
def ask_for_upload_urls(probe: Probe, how: str | None) -> None:
    """E4 with the user token; the KTP_FRONT slot (or the only one) is where the card goes."""
    exchange = probe.presign(Case(how or ""), probe.sdk_token(), sdk_session=not how)
    documents = exchange.data.get("documents")
    slots = documents if isinstance(documents, dict) else {}
    slot = slots.get("KTP_FRONT") or next(iter(slots.values()), None)
    if isinstance(slot, dict):
        probe.submission_id, probe.document_url = exchange.data.get("submissionId"), slot.get("documentUrl")


@when("the SDK uploads the card")
def upload_card(probe: Probe) -> None:
    """E5: the last card given (a clean synthetic KTP if none) to the presigned URL."""
    probe.upload(probe.world.captures()[-1])


@when("the SDK confirms before uploading the card")
def confirm_before_upload(probe: Probe) -> None:
    """E6 while nothing is uploaded yet."""
    probe.confirm(Case.BEFORE_UPLOAD, probe.sdk_token(), _submission(probe))


@when(parsers.re(rf"the SDK confirms the upload(?: (?P<again>{Case.AGAIN}))?"))
def confirm_upload(probe: Probe, again: str | None) -> None:
    """E6 of the uploaded card, or `a second time`."""
    probe.confirm(Case.AGAIN if again else Case.PLAIN, probe.sdk_token(), _submission(probe))


@when("the SDK polls the status until the flow ends")
def poll_until_done(probe: Probe) -> None:
    """E7 every pollAfterMs while the gateway says STATUS (or, without nextAction, until a terminal status)."""
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while True:
        exchange = probe.poll(Case.PLAIN, probe.sdk_token(), _submission(probe))
        data = exchange.data
        action = data.get("nextAction", "EXIT" if data.get("status") in TERMINAL else "STATUS")
        if action != "STATUS" or time.monotonic() > deadline:
            return
        wait = data.get("pollAfterMs")
        time.sleep((wait if type(wait) is int and wait > 0 else DEFAULT_POLL_MS) / 1000)


@when("the SDK polls the status of a submission that does not exist")
def poll_unknown(probe: Probe) -> None:
    """E7 of a made-up submission id."""
    probe.poll(Case.UNKNOWN, probe.sdk_token(), _new_id())


@when(parsers.re(rf"the partner fetches the submission details (?P<how>{'|'.join(LOOKUPS)})"))
def fetch_details(probe: Probe, how: str) -> None:
    """E8 of the scenario's flow by submission id or partner session id (also on the partner path), or a bad lookup."""
    operation, case = LOOKUPS[how]
    lookup = {Case.BY_SUBMISSION: {"x-submission-id": probe.submission_id},
              Case.BY_SESSION: {"x-partner-session-id": probe.partner_session_id},
              Case.UNKNOWN: {"x-submission-id": _new_id()}}.get(case, {})  # fmt: skip
    probe.details(operation, case, probe.partner_token(), lookup)


@when(parsers.re(rf"the partner calls every API (?P<how>{'|'.join(TOKEN_CASES)})"))
def every_api_with_a_bad_token(probe: Probe, how: str) -> None:
    """Every API that takes an x-onekyc-token, each with a token of its kind that is missing, forged or expired."""
    case = Case(how)
    bend = {Case.NO_TOKEN: lambda token: None, Case.FORGED_TOKEN: forged, Case.EXPIRED_TOKEN: expired}[case]
    partner, user, unknown = bend(probe.partner_token()), bend(probe.sdk_token()), _new_id()
    probe.initiate(case, partner, "SDK", _new_id())
    probe.presign(case, user)
    probe.confirm(case, user, unknown)
    probe.poll(case, user, unknown)
    for operation in DETAILS:
        probe.details(operation, case, partner, {"x-submission-id": unknown})


@when(parsers.parse("schemathesis fuzzes the contract's operations with {examples:d} examples each (seed {seed:d})"))
def fuzz_the_contract(probe: Probe, ktp_run: RunSettings, examples: int, seed: int) -> None:
    """Schemathesis' examples, coverage and fuzzing phases on every gateway operation, with the partner's tokens."""
    from conformance.fuzz import Identity, fuzz  # schemathesis loads only in runs that fuzz

    credentials = probe.credentials
    identity = Identity(credentials.client_id, credentials.pass_key, credentials.onboarding_partner, probe.user_id)
    probe.world.gateway_exchanges.append(fuzz(ktp_run.gateway_url, identity, seed, examples))


@then(parsers.re(r"the gateway follows (?P<rules>.+)"))
def gateway_follows(rules: str, world: World, ktp_scorecard: Scorecard) -> None:
    """Judge gateway rules (GW-xx) on this scenario's exchanges and fuzzing runs."""
    judge(ktp_scorecard, world, rule_ids(rules), [GatewayRun.of(world.gateway_exchanges)])


def forged(token: str) -> str:
    """The token's header and claims, signed with a key the gateway does not have."""
    header, payload, _ = token.split(".")
    signature = hmac.new(FORGERY_KEY, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def expired(token: str) -> str:
    """The token with its exp an hour gone (its signature no longer fits either: only the gateway could re-sign)."""
    header, payload, signature = token.split(".")
    claims = {**jwt_segment(payload), "exp": int(time.time()) - 3600}
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _body(response: httpx.Response) -> Any:
    """The parsed JSON answer, else its text."""
    try:
        return response.json()
    except ValueError:
        return response.text


def _submission(probe: Probe) -> str:
    assert probe.submission_id, "no submission yet: the SDK asks for upload URLs first"
    return probe.submission_id
