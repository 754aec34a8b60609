"""The reference partner backend against a real `ktp-sandbox serve`: every rule kept, and each defect breaks its own."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.plugin import KtpGateway, KtpJournal, free_port, reset_gateway
from conformance.reference.partner_backend import DEFECTS, PartnerBackendConfig
from conformance.reference.partner_backend.onekyc import GatewayError, OneKycClient
from tests.partner_backend_support import (
    CALLBACK_TOKEN,
    SIGNING_SECRET,
    Backend,
    BackendHost,
    backends,
    card,
    signature,
    wait_for,
)

pytestmark = pytest.mark.slow

Make = Callable[..., Backend]
INITIATE = "flows.initiate_flow"
DETAILS = "details.submission_details"
PARTNER_TOKEN = "tokens.partner_token"
SESSION_HANDLE = {"partnerSessionId", "userToken", "expiresAt"}
NOT_EKTP = {"status": "COMPLETED", "result": "INVALID", "reasonCode": "NOT_EKTP"}
SYSTEM_ERROR = {"status": "ERROR", "reasonCode": "SYSTEM_ERROR"}


@pytest.fixture
def gateway(gateway_url: str) -> Iterator[KtpGateway]:
    with reset_gateway(gateway_url) as gateway:
        yield gateway


@pytest.fixture
def journal(gateway: KtpGateway) -> KtpJournal:
    return KtpJournal(gateway)


@pytest.fixture
def make(host: BackendHost, gateway: KtpGateway, tmp_path: Path) -> Iterator[Make]:
    yield from backends(host, gateway, tmp_path)


def statuses(journal: KtpJournal, **where: Any) -> list[int | None]:
    return [entry["response"]["status"] for entry in journal.entries(**where)]


def callbacks(journal: KtpJournal, partner_session_id: str, count: int) -> list[dict[str, Any]]:
    """The callback attempts for a session, once `count` of them are in the journal."""
    return wait_for(lambda: journal.entries(kind="callback", partnerSessionId=partner_session_id),
                    lambda entries: len(entries) >= count)  # fmt: skip


def completed_without_callback(backend: Backend, gateway: KtpGateway, user_id: str) -> tuple[dict[str, Any], str]:
    """A flow the gateway has finished but whose callbacks all fail: the backend still has it PENDING."""
    gateway.override(match={"partnerUserId": user_id}, callback={"failTimes": 99})
    reply = backend.started(user_id)
    result = backend.launch(reply)
    assert result.status == "COMPLETED" and result.submission_id
    return reply, result.submission_id


# --- the clean backend -----------------------------------------------------------------------------------------------


def test_defect_switches_name_their_rules() -> None:
    assert DEFECTS == {
        "token-per-flow": "PB-01", "no-token-refresh": "PB-02", "session-id-per-user": "PB-03",
        "leak-partner-token": "PB-04", "fail-first-callback": "PB-05", "accept-unauthenticated-callback": "PB-06",
        "reject-duplicate-callback": "PB-07", "trust-callback-body": "PB-08", "reformat-fields": "PB-09",
        "verify-any-outcome": "PB-10", "retry-without-backoff": "PB-11", "no-polling-fallback": "PB-12",
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown defect"):
        PartnerBackendConfig(gateway_url="http://x", callback_token="t", defects=frozenset({"typo"}))


def test_the_config_keeps_its_secrets_out_of_its_repr() -> None:
    config = PartnerBackendConfig(gateway_url="http://x", callback_token="bearer-secret", pass_key="pass-secret",
                                  signing_secret=SIGNING_SECRET, db_path="dir/db.sqlite3")  # fmt: skip
    assert "secret" not in repr(config).lower() and "whsec" not in repr(config)
    assert config.db_path == Path("dir/db.sqlite3")


def test_health_unknown_sessions_and_wrong_methods_answer_json(make: Make) -> None:
    backend = make()
    health = backend.client.get("/health")
    assert (health.status_code, health.json()) == (200, {"ok": True})
    unknown = backend.client.get("/api/kyc/no-such-session")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")
    wrong = backend.client.get("/onekyc/callback")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "METHOD_NOT_ALLOWED")
    assert set(wrong.headers["allow"].split(", ")) == {"POST", "PUT", "PATCH", "OPTIONS"}


def test_happy_path_stores_the_card_exactly_as_the_gateway_read_it(make: Make, journal: KtpJournal) -> None:
    backend = make()
    reply = backend.started("user-happy")
    assert set(reply) == SESSION_HANDLE
    assert uuid.UUID(reply["partnerSessionId"]).version == 4
    result = backend.launch(reply)
    assert result.status == "COMPLETED"
    _, truth = card()
    assert backend.final(reply["partnerSessionId"]) == {
        "partnerSessionId": reply["partnerSessionId"], "userId": "user-happy", "status": "VERIFIED", "verified": True,
        "submissionId": result.submission_id, "result": "VALID", "reasonCode": "", "ktp": truth,
    }  # fmt: skip
    [initiate] = journal.entries(operation=INITIATE)
    assert {k: initiate["request"]["headers"][k] for k in ("x-onboarding-partner", "x-partner-user-id",
                                                           "x-partner-user-id-type", "x-partner-session-id")} == {
        "x-onboarding-partner": "DEMO-SDK-KTP_SCAN", "x-partner-user-id": "user-happy",
        "x-partner-user-id-type": "PARTNER_USER_ID", "x-partner-session-id": reply["partnerSessionId"],
    }  # fmt: skip
    assert initiate["request"]["body"] == {"flow": "KTP_SCAN", "source": "SDK"}
    [details] = journal.entries(operation=DETAILS)
    assert details["request"]["headers"]["x-submission-id"] == result.submission_id
    assert details["response"]["status"] == 200
    assert statuses(journal, kind="callback") == [200]


def test_web_sdk_start_hands_back_the_launch_url_and_sends_the_redirects(make: Make, journal: KtpJournal) -> None:
    backend = make()
    response = backend.start("user-web", source="WEB_SDK", successUrl="https://shop.example/ok",
                             failureUrl="https://shop.example/ko")  # fmt: skip
    assert response.status_code == 201
    reply = response.json()
    assert set(reply) == {"partnerSessionId", "launchUrl", "expiresAt"}
    [initiate] = journal.entries(operation=INITIATE)
    assert initiate["request"]["headers"]["x-onboarding-partner"] == "DEMO-WEB_SDK-KTP_SCAN"
    assert initiate["request"]["body"] == {"flow": "KTP_SCAN", "source": "WEB_SDK",
                                           "successRedirectionUrl": "https://shop.example/ok",
                                           "failureRedirectionUrl": "https://shop.example/ko"}  # fmt: skip
    before, after = initiate["response"]["body"]["data"]["launchUrl"].split("****")  # the journal masks the token
    assert (reply["launchUrl"].startswith(before), reply["launchUrl"].endswith(after)) == (True, True)
    assert reply["expiresAt"] == initiate["response"]["body"]["data"]["expiresAt"]


@pytest.mark.parametrize(("body", "message"), [
    ([1, 2], "the body must be a JSON object"),
    ({}, "userId is required (a non-empty string)"),
    ({"userId": "  "}, "userId is required (a non-empty string)"),
    ({"userId": "üser"}, "userId must be printable ASCII, at most 128 characters, no outer spaces"),
    ({"userId": "a\nb"}, "userId must be printable ASCII, at most 128 characters, no outer spaces"),
    ({"userId": "u" * 129}, "userId must be printable ASCII, at most 128 characters, no outer spaces"),
    ({"userId": "u", "source": "APP"}, "source must be SDK or WEB_SDK"),
    ({"userId": "u", "source": "WEB_SDK", "successUrl": "https://ok"},
     "successUrl and failureUrl are required for WEB_SDK"),
    ({"userId": "u", "successUrl": 5}, "successUrl and failureUrl must be strings"),
])  # fmt: skip
def test_a_bad_start_body_is_a_400_and_never_reaches_the_gateway(make: Make, journal: KtpJournal, body: Any,
                                                                 message: str) -> None:  # fmt: skip
    response = make().client.post("/api/kyc/start", json=body)
    assert (response.status_code, response.json()) == (400, {"error": {"code": "BAD_REQUEST", "message": message}})
    assert journal.count() == 0


def test_unparseable_json_start_is_a_400(make: Make) -> None:
    response = make().client.post("/api/kyc/start", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_one_partner_token_serves_every_flow(make: Make, journal: KtpJournal) -> None:
    backend = make()
    sessions = {backend.started(f"user-{n}")["partnerSessionId"] for n in range(3)}
    assert len(sessions) == 3
    assert journal.count(operation=PARTNER_TOKEN) == 1
    assert statuses(journal, operation=INITIATE) == [200, 200, 200]


def test_flows_started_at_once_share_one_partner_token(make: Make, journal: KtpJournal) -> None:
    backend = make()
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda n: backend.start(f"user-{n}").status_code, range(6)))
    assert answers == [201] * 6
    assert journal.count(operation=PARTNER_TOKEN) == 1


def test_the_token_is_renewed_five_minutes_before_it_expires(make: Make, journal: KtpJournal) -> None:
    now = [time.time()]
    backend = make(clock=lambda: now[0])
    backend.started("user-a")
    expires_at = float(journal.entries(operation=PARTNER_TOKEN)[0]["response"]["body"]["data"]["expires_at"])
    now[0] = expires_at - 301
    backend.started("user-b")
    assert journal.count(operation=PARTNER_TOKEN) == 1
    now[0] = expires_at - 299
    backend.started("user-c")
    assert journal.count(operation=PARTNER_TOKEN) == 2


def test_a_401_gets_a_new_token_and_one_more_try(make: Make, gateway: KtpGateway, journal: KtpJournal) -> None:
    gateway.override(match={"operation": INITIATE}, fault={"expireToken": True}, times=1)
    backend = make()
    assert backend.start().status_code == 201
    assert statuses(journal, operation=INITIATE) == [401, 200]
    assert journal.count(operation=PARTNER_TOKEN) == 2


def test_a_401_twice_is_a_502_without_a_third_try(make: Make, gateway: KtpGateway, journal: KtpJournal) -> None:
    gateway.override(match={"operation": INITIATE}, fault={"expireToken": True}, times=2)
    response = make().start()
    assert (response.status_code, response.json()["error"]["code"]) == (502, "GATEWAY_UNAVAILABLE")
    assert statuses(journal, operation=INITIATE) == [401, 401]


def test_503s_are_ridden_out_with_bounded_backoff(make: Make, gateway: KtpGateway, journal: KtpJournal) -> None:
    gateway.override(match={"operation": INITIATE}, fault={"status": 503}, times=3)
    backend = make()
    assert backend.start().status_code == 201
    assert statuses(journal, operation=INITIATE) == [503, 503, 503, 200]
    assert backend.sleeps == [0.5, 1.0, 2.0]


def test_a_fourth_503_gives_up_with_a_502_that_tells_no_secret(make: Make, gateway: KtpGateway, journal: KtpJournal,
                                                               caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    gateway.override(match={"operation": INITIATE}, fault={"status": 503})
    backend = make()
    response = backend.start()
    assert response.json() == {"error": {"code": "GATEWAY_UNAVAILABLE",
                                         "message": "the KYC gateway is not answering; try again later"}}  # fmt: skip
    assert response.status_code == 502
    assert statuses(journal, operation=INITIATE) == [503] * 4
    assert backend.sleeps == [0.5, 1.0, 2.0]
    logged = caplog.text
    assert "initiate-flow failed (HTTP 503); retrying in 0.5 s" in logged
    for secret in ("demo-pass-key", CALLBACK_TOKEN, "eyJ"):  # the mock's tokens are JWTs
        assert secret not in logged
        assert secret not in response.text


@pytest.mark.parametrize(("retry_after", "slept"), [("3", [3.0, 3.0, 3.0]), ("0", [0.0, 0.0, 0.0]),
                                                    ("30", [0.5, 1.0, 2.0]), ("soon", [0.5, 1.0, 2.0])])  # fmt: skip
def test_retry_after_is_honoured_up_to_five_seconds(tmp_path: Path, retry_after: str, slept: list[float]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/coe/partner/authentication":
            return httpx.Response(200, json={"success": True, "data": {"token": "t", "expires_at": "9999999999"}})
        return httpx.Response(429, headers={"retry-after": retry_after}, json={"success": False, "errors": []})

    sleeps: list[float] = []
    config = PartnerBackendConfig(gateway_url="http://gateway", callback_token="t", db_path=tmp_path / "db")
    http = httpx.Client(base_url="http://gateway", transport=httpx.MockTransport(answer))
    with pytest.raises(GatewayError, match="429") as raised:
        OneKycClient(config, time.time, sleeps.append, http).submission_details(partner_session_id="s")
    assert raised.value.status == 429
    assert sleeps == slept


def test_callbacks_without_the_right_token_or_signature_are_401_and_change_nothing(
    make: Make, journal: KtpJournal
) -> None:
    backend = make()
    session = backend.started("user-forged")["partnerSessionId"]
    forged = {"partnerSessionId": session, "submissionId": str(uuid.uuid4()), "status": "COMPLETED",
              "result": "VALID", "submissionDetails": {"ktpData": {"name": "MALLORY"}}}  # fmt: skip
    attempts = {
        "no auth at all": backend.callback(forged, token=None, secret=None),
        "no Authorization": backend.callback(forged, token=None),
        "wrong Bearer": backend.callback(forged, token="guessed"),
        "no signature": backend.callback(forged, secret=None),
        "signed with another secret": backend.callback(forged, secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUE="),
        "signature over another body": backend.callback(forged, signed_body={**forged, "result": "INVALID"}),
    }
    assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, 401)
    assert attempts["wrong Bearer"].json() == {
        "error": {"code": "UNAUTHORIZED", "message": "the callback is not authenticated"}
    }
    assert backend.status(session)["status"] == "PENDING"
    assert journal.count(operation=DETAILS) == 0
    in_progress = backend.callback({**forged, "status": "IN_PROGRESS"})  # the same credentials, done right
    assert (in_progress.status_code, in_progress.json()) == (200, {"received": True})


def test_callbacks_that_are_not_submission_data_are_400_and_unknown_sessions_404(make: Make) -> None:
    backend = make()
    session = backend.started("user-bad-callback")["partnerSessionId"]
    garbage = backend.client.post("/onekyc/callback", content=b"{oops", headers={
        "authorization": f"Bearer {CALLBACK_TOKEN}", **signature(SIGNING_SECRET, b"{oops")})  # fmt: skip
    assert garbage.status_code == 400
    assert backend.callback({"partnerSessionId": session, "status": "COMPLETED"}).status_code == 400
    assert backend.callback({"status": "COMPLETED", "submissionId": "s"}).status_code == 400
    unknown = backend.callback({"partnerSessionId": "nobody", "status": "COMPLETED", "submissionId": "s"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert backend.client.put("/onekyc/callback", content=b"{}").status_code == 401  # PUT and PATCH are routed too


def test_duplicate_and_stale_callbacks_change_nothing_and_fetch_nothing(
    make: Make, gateway: KtpGateway, journal: KtpJournal
) -> None:
    gateway.override(match={"partnerUserId": "user-dup"}, callback={"duplicate": True, "outOfOrder": True})
    backend = make()
    reply = backend.started("user-dup")
    backend.launch(reply)
    session = reply["partnerSessionId"]
    sent = callbacks(journal, session, 3)
    assert [(e["request"]["body"]["status"], e["response"]["status"]) for e in sent] == [
        ("COMPLETED", 200), ("COMPLETED", 200), ("IN_PROGRESS", 200)]  # fmt: skip
    assert journal.count(operation=DETAILS) == 1
    assert backend.status(session)["status"] == "VERIFIED"
    assert backend.status(session)["ktp"] == card()[1]


def test_lost_callbacks_are_made_up_for_by_polling_by_partner_session(
    make: Make, gateway: KtpGateway, journal: KtpJournal
) -> None:
    gateway.override(callback={"failTimes": 99})
    backend = make(fallback_after_seconds=0.5, fallback_interval_seconds=0.2)
    reply = backend.started("user-lost")
    session = reply["partnerSessionId"]
    result = backend.launch(reply)
    final = backend.final(session)
    assert (final["status"], final["submissionId"], final["ktp"]) == ("VERIFIED", result.submission_id, card()[1])
    polls = journal.entries(operation=DETAILS)
    assert polls and all(e["request"]["headers"]["x-partner-session-id"] == session for e in polls)
    assert all("x-submission-id" not in e["request"]["headers"] for e in polls)
    assert statuses(journal, operation=DETAILS)[-1] == 200
    assert {e["error"] for e in journal.entries(kind="callback")} == {"injected failure"}
    [initiate] = journal.entries(operation=INITIATE)
    assert _seconds(polls[0]["at"]) - _seconds(initiate["at"]) >= 0.5


def test_a_callback_after_the_fallback_resolved_the_flow_still_fetches_the_details(
    make: Make, gateway: KtpGateway, journal: KtpJournal
) -> None:
    gateway.override(match={"partnerUserId": "user-late"}, callback={"failTimes": 2})  # delivered after 1.5 s
    backend = make(fallback_after_seconds=0.5, fallback_interval_seconds=0.2)
    reply = backend.started("user-late")
    session = reply["partnerSessionId"]
    result = backend.launch(reply)
    assert backend.final(session)["status"] == "VERIFIED"
    delivered = callbacks(journal, session, 3)[-1]
    assert delivered["response"]["status"] == 200
    # the fallback asks by x-partner-session-id; a fetch by x-submission-id is the callback's
    confirmed = [e for e in journal.entries(operation=DETAILS)
                 if e["request"]["headers"].get("x-submission-id") == result.submission_id]  # fmt: skip
    assert [e["response"]["status"] for e in confirmed] == [200]
    assert backend.status(session)["ktp"] == card()[1]


def test_the_fallback_polls_only_between_fallback_after_and_ten_minutes(make: Make, journal: KtpJournal) -> None:
    now = [time.time()]
    backend = make(clock=lambda: now[0], fallback_after_seconds=5, fallback_interval_seconds=0.05)
    session = backend.started("user-window")["partnerSessionId"]
    now[0] += 4.9
    time.sleep(0.3)
    assert journal.count(operation=DETAILS) == 0
    now[0] += 0.2
    polled = wait_for(lambda: journal.entries(operation=DETAILS), lambda entries: len(entries) >= 2)
    # 400 1552: the user has not submitted anything yet, so the flow stays pending
    assert {(e["request"]["headers"]["x-partner-session-id"], e["response"]["status"]) for e in polled} == {
        (session, 400)
    }
    assert backend.status(session)["status"] == "PENDING"
    now[0] += 600
    time.sleep(0.2)
    given_up = journal.count(operation=DETAILS)
    time.sleep(0.3)
    assert journal.count(operation=DETAILS) == given_up


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize(("outcome", "expected"), [
    (NOT_EKTP, {"status": "REJECTED", "verified": False, "result": "INVALID", "reasonCode": "NOT_EKTP"}),
    (SYSTEM_ERROR, {"status": "FAILED", "verified": False, "result": None, "reasonCode": "SYSTEM_ERROR"}),
])  # fmt: skip
def test_invalid_and_error_outcomes_never_verify(make: Make, gateway: KtpGateway, outcome: dict[str, str],
                                                 expected: dict[str, Any]) -> None:  # fmt: skip
    gateway.override(match={"partnerUserId": "user-outcome"}, outcome=outcome)
    backend = make()
    reply = backend.started("user-outcome")
    submission_id = backend.launch(reply).submission_id
    assert backend.final(reply["partnerSessionId"]) == {
        "partnerSessionId": reply["partnerSessionId"], "userId": "user-outcome", "submissionId": submission_id,
        "ktp": None, **expected,
    }  # fmt: skip


# --- each defect breaks its own rule ---------------------------------------------------------------------------------


def test_token_per_flow_fetches_a_partner_token_for_every_flow(make: Make, journal: KtpJournal) -> None:
    backend = make("token-per-flow")
    for n in range(3):
        backend.started(f"user-{n}")
    assert journal.count(operation=PARTNER_TOKEN) == 3


def test_no_token_refresh_turns_a_401_into_a_502(make: Make, gateway: KtpGateway, journal: KtpJournal) -> None:
    gateway.override(match={"operation": INITIATE}, fault={"expireToken": True}, times=1)
    response = make("no-token-refresh").start()
    assert (response.status_code, response.json()["error"]["code"]) == (502, "GATEWAY_UNAVAILABLE")
    assert statuses(journal, operation=INITIATE) == [401]
    assert journal.count(operation=PARTNER_TOKEN) == 1


def test_session_id_per_user_collides_on_a_users_second_flow(make: Make, journal: KtpJournal) -> None:
    clean = make()
    first, second = clean.started("user-twice"), clean.started("user-twice")
    assert first["partnerSessionId"] != second["partnerSessionId"]
    backend = make("session-id-per-user")
    assert backend.started("user-again")["partnerSessionId"] == "session-user-again"
    refused = backend.start("user-again")
    assert (refused.status_code, refused.json()) == (
        502,
        {
            "error": {
                "code": "GATEWAY_REJECTED",
                "message": "the KYC gateway refused the flow (400 DUPLICATE_PARTNER_SESSION_ID)",
            }
        },
    )
    assert statuses(journal, operation=INITIATE) == [200, 200, 200, 400]


def test_leak_partner_token_hands_a_working_partner_token_to_the_front_end(make: Make, gateway: KtpGateway) -> None:
    reply = make("leak-partner-token").started("user-leak")
    assert set(reply) == {*SESSION_HANDLE, "partnerToken"}
    details = gateway.client.get("/coe/v1/submissions", headers={
        "x-onekyc-token": reply["partnerToken"], "x-partner-session-id": reply["partnerSessionId"]})  # fmt: skip
    assert (details.status_code, details.json()["errors"][0]["code"]) == (400, "1552")  # authenticated, no submission


def test_fail_first_callback_answers_500_then_200_and_still_stores(make: Make, journal: KtpJournal) -> None:
    backend = make("fail-first-callback")
    reply = backend.started("user-500")
    backend.launch(reply)
    sent = callbacks(journal, reply["partnerSessionId"], 2)
    assert [e["response"]["status"] for e in sent] == [500, 200]
    assert backend.status(reply["partnerSessionId"])["status"] == "VERIFIED"
    assert journal.count(operation=DETAILS) == 1


@pytest.mark.parametrize(
    ("defects", "answer", "status"), [((), 401, "PENDING"), (("accept-unauthenticated-callback",), 200, "VERIFIED")]
)
def test_accept_unauthenticated_callback_lets_anyone_complete_a_flow(
    make: Make, gateway: KtpGateway, defects: tuple[str, ...], answer: int, status: str
) -> None:
    backend = make(*defects, fallback_after_seconds=60)
    reply, submission_id = completed_without_callback(backend, gateway, "user-unauth")
    forged = {"partnerSessionId": reply["partnerSessionId"], "submissionId": submission_id, "status": "COMPLETED"}
    assert backend.callback(forged, token=None, secret=None).status_code == answer
    assert backend.status(reply["partnerSessionId"])["status"] == status


@pytest.mark.parametrize("trusting", [False, True])
def test_trust_callback_body_stores_what_the_callback_claims(
    make: Make, gateway: KtpGateway, journal: KtpJournal, trusting: bool
) -> None:
    backend = make(*(["trust-callback-body"] if trusting else []), fallback_after_seconds=60)
    reply, submission_id = completed_without_callback(backend, gateway, "user-trust")
    claimed = {"partnerSessionId": reply["partnerSessionId"], "submissionId": submission_id, "status": "COMPLETED",
               "result": "VALID", "submissionDetails": {"ktpData": {**card()[1], "name": "MALLORY"}}}  # fmt: skip
    assert backend.callback(claimed).status_code == 200
    assert backend.status(reply["partnerSessionId"])["ktp"]["name"] == ("MALLORY" if trusting else card()[1]["name"])
    assert journal.count(operation=DETAILS) == (0 if trusting else 1)


def test_reject_duplicate_callback_answers_409_to_the_duplicate(
    make: Make, gateway: KtpGateway, journal: KtpJournal
) -> None:
    gateway.override(callback={"duplicate": True})
    backend = make("reject-duplicate-callback")
    reply = backend.started("user-409")
    backend.launch(reply)
    assert [e["response"]["status"] for e in callbacks(journal, reply["partnerSessionId"], 2)] == [200, 409]
    assert backend.status(reply["partnerSessionId"])["status"] == "VERIFIED"


def test_reformat_fields_changes_the_birth_date_and_the_name(make: Make) -> None:
    backend = make("reformat-fields")
    reply = backend.started("user-reformat")
    backend.launch(reply)
    truth = card()[1]
    day, month, year = truth["dateOfBirth"].split("-")
    assert backend.final(reply["partnerSessionId"])["ktp"] == {
        **truth, "dateOfBirth": f"{year}-{month}-{day}", "name": truth["name"].title()}  # fmt: skip
    assert truth["name"] != truth["name"].title()


def test_verify_any_outcome_verifies_a_rejected_card(make: Make, gateway: KtpGateway) -> None:
    gateway.override(match={"partnerUserId": "user-any"}, outcome=NOT_EKTP)
    backend = make("verify-any-outcome")
    reply = backend.started("user-any")
    backend.launch(reply)
    final = backend.final(reply["partnerSessionId"])
    assert (final["status"], final["verified"], final["result"]) == ("REJECTED", True, "INVALID")


def test_retry_without_backoff_hammers_the_gateway(make: Make, gateway: KtpGateway, journal: KtpJournal) -> None:
    gateway.override(match={"operation": INITIATE}, fault={"status": 503})
    backend = make("retry-without-backoff")
    assert backend.start().status_code == 502
    assert statuses(journal, operation=INITIATE) == [503] * 11
    assert backend.sleeps == []


def test_no_polling_fallback_leaves_a_lost_callback_pending(
    make: Make, gateway: KtpGateway, journal: KtpJournal
) -> None:
    gateway.override(callback={"failTimes": 99})
    backend = make("no-polling-fallback", fallback_after_seconds=0.5, fallback_interval_seconds=0.2)
    reply = backend.started("user-no-fallback")
    assert backend.launch(reply).status == "COMPLETED"
    assert len(callbacks(journal, reply["partnerSessionId"], 3)) == 3  # the last retry, 1.5 s after the first
    time.sleep(0.5)
    assert backend.status(reply["partnerSessionId"])["status"] == "PENDING"
    assert journal.count(operation=DETAILS) == 0


# --- the command line ------------------------------------------------------------------------------------------------


def test_the_cli_refuses_an_unknown_defect_with_exit_2() -> None:
    command = [sys.executable, "-m", "conformance.reference.partner_backend", "--port", "1", "--gateway", "http://x",
               "--callback-token", "t", "--defect", "token-per-flow", "--defects", "typo,no-token-refresh"]  # fmt: skip
    finished = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 2
    assert "error: unknown defect(s) typo; known: token-per-flow, no-token-refresh" in finished.stderr


def test_the_cli_serves_until_sigterm_and_exits_0(tmp_path: Path, gateway: KtpGateway) -> None:
    port = free_port()
    command = [sys.executable, "-m", "conformance.reference.partner_backend", "--port", str(port), "--gateway",
               gateway.base_url, "--callback-token", CALLBACK_TOKEN, "--db", str(tmp_path / "cli.sqlite3"),
               "--defect", "leak-partner-token", "--defects", "token-per-flow,"]  # fmt: skip
    log = tmp_path / "cli.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not _healthy(f"http://127.0.0.1:{port}") and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        started = httpx.post(f"http://127.0.0.1:{port}/api/kyc/start", json={"userId": "cli-user"})
        assert (started.status_code, "partnerToken" in started.json()) == (201, True)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    printed = log.read_text()
    assert f"reference partner backend on http://127.0.0.1:{port}" in printed
    assert "defects: leak-partner-token, token-per-flow" in printed
    for secret in ("demo-pass-key", CALLBACK_TOKEN, "eyJ"):
        assert secret not in printed


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
