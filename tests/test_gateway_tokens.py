"""Tokens: what they carry, how long they last, and that no forged, expired or misused token gets through."""

from __future__ import annotations

import jwt
import pytest

from mock_gateway.app import create_app
from mock_gateway.clock import ManualClock
from mock_gateway.domain.tokens import SigningKey
from tests.gateway_support import (
    CLIENT_ID,
    PASS_KEY,
    SDK_PARTNER,
    USER_HEADERS,
    USER_ID,
    USER_ID_TYPE,
    Gateway,
    Session,
    card,
    failure,
)

TOKEN_SERVICE = "ONEKYC_TOKEN_SERVICE"
UNAUTHORIZED = failure("110", "UNAUTHORIZED")
FORBIDDEN = failure("110", "FORBIDDEN")


def claims(token: str) -> dict:
    """A token's payload, read without checking it."""
    return jwt.decode(token, options={"verify_signature": False})


def test_tokens_are_jwts_with_a_kid_bound_to_partner_and_user(gateway: Gateway) -> None:
    now = int(gateway.clock.now())
    key = SigningKey.load_or_create(gateway.settings.data_dir)

    partner = gateway.partner_token()
    user = gateway.user_token()
    flow = gateway.initiate("ps-claims").json()["data"]["token"]

    for token in (partner, user, flow):
        assert token.startswith("eyJ")
        assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": key.kid, "typ": "JWT"}
    assert claims(partner) | {"jti": "-"} == {
        "iss": "ktp-sandbox", "sub": CLIENT_ID, "typ": "partner", "iat": now, "exp": now + 3600, "jti": "-",
    }  # fmt: skip
    user_claims = {"iss": "ktp-sandbox", "sub": CLIENT_ID, "typ": "user", "iat": now, "exp": now + 5_184_000,
                   "jti": "-", "op": SDK_PARTNER, "uid": USER_ID, "uidt": USER_ID_TYPE}  # fmt: skip
    assert claims(user) | {"jti": "-"} == user_claims
    assert claims(flow) | {"jti": "-"} == user_claims | {"psid": "ps-claims"}


@pytest.mark.parametrize(("client_id", "pass_key"), [(CLIENT_ID, "wrong-pass-key"), ("no-such-client", PASS_KEY)])
def test_wrong_credentials_are_unauthorized_in_each_token_apis_own_code_type(gateway: Gateway, client_id: str,
                                                                             pass_key: str) -> None:  # fmt: skip
    credentials = {"client-id": client_id, "pass-key": pass_key}

    partner = gateway.client.get("/v1/coe/partner/authentication", headers=credentials)
    user = gateway.client.get("/v2/coe/authentication", headers=credentials | USER_HEADERS)

    assert (partner.status_code, partner.json()) == (401, failure("110", "UNAUTHORIZED", TOKEN_SERVICE))
    assert (user.status_code, user.json()) == (401, failure(110, "UNAUTHORIZED", TOKEN_SERVICE))
    assert [(e.operation, e.status, e.partner_id) for e in gateway.journal()] == [
        ("tokens.partner_token", 401, None), ("tokens.user_token", 401, None),
    ], "a failed login writes into no partner's journal"  # fmt: skip


def test_a_user_token_for_a_foreign_onboarding_partner_is_forbidden(gateway: Gateway) -> None:
    headers = {"client-id": CLIENT_ID, "pass-key": PASS_KEY, **USER_HEADERS, "x-onboarding-partner": "OTHER-SDK"}

    response = gateway.client.get("/v2/coe/authentication", headers=headers)

    assert (response.status_code, response.json()) == (
        403, failure("110", "ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT", TOKEN_SERVICE),
    )  # fmt: skip


def test_a_partner_token_expires_after_an_hour(gateway: Gateway) -> None:
    token = gateway.partner_token()
    flow_headers = {"x-onekyc-token": token, **USER_HEADERS}
    body = {"flow": "KTP_SCAN", "source": "SDK"}
    gateway.clock.advance(3599)
    assert gateway.client.post(
        "/coe-partner/v1/initiate-flow", headers=flow_headers | {"x-partner-session-id": "ps-in-time"}, json=body,
    ).status_code == 200  # fmt: skip

    gateway.clock.advance(1)
    flow = gateway.client.post(
        "/coe-partner/v1/initiate-flow", headers=flow_headers | {"x-partner-session-id": "ps-late"}, json=body,
    )  # fmt: skip
    details = gateway.client.get("/coe/v1/submissions", headers={"x-onekyc-token": token, "x-partner-session-id": "x"})

    assert (flow.status_code, flow.json()) == (401, UNAUTHORIZED)
    assert (details.status_code, details.json()) == (401, UNAUTHORIZED)
    assert gateway.sandbox.records.session(CLIENT_ID, "ps-late") is None


def test_a_user_token_lasts_sixty_days(gateway: Gateway) -> None:
    session = gateway.session("ps-long")
    gateway.clock.advance(5_184_000 - 1)
    assert session.presign().status_code == 200

    gateway.clock.advance(1)
    response = session.presign()

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_a_token_signed_with_another_key_or_kid_or_none_is_unauthorized(gateway: Gateway) -> None:
    real = gateway.partner_token()
    payload, header = claims(real), jwt.get_unverified_header(real)
    key = SigningKey.load_or_create(gateway.settings.data_dir)
    forged = {
        "other key": jwt.encode(payload, "not-the-sandbox-key-0123456789abcdef", headers={"kid": header["kid"]}),
        "other kid": jwt.encode(payload, key.secret, headers={"kid": "another-kid"}),
        "alg none": jwt.encode(payload, None, algorithm="none", headers={"kid": header["kid"]}),
        "other issuer": jwt.encode(payload | {"iss": "someone"}, key.secret, headers={"kid": header["kid"]}),
        "garbage": "eyJ.not.a-token",
    }

    for name, token in forged.items():
        response = gateway.client.post(
            "/coe-partner/v1/initiate-flow", json={"flow": "KTP_SCAN", "source": "SDK"},
            headers={"x-onekyc-token": token, **USER_HEADERS, "x-partner-session-id": f"ps-{name}"},
        )  # fmt: skip
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED), name
    still = gateway.client.get("/coe/v1/submissions", headers={"x-onekyc-token": real, "x-partner-session-id": "x"})
    assert still.json() == failure("1552", "SUBMISSION_DOES_NOT_EXIST"), "the real token still works"


def test_a_partner_token_is_not_a_user_token_and_vice_versa(gateway: Gateway) -> None:
    session = gateway.session("ps-kinds")
    submission_id = session.attempt(card(1).jpeg)
    partner = Session(gateway, "ps-kinds", gateway.partner_token(), session.sdk_session_id)
    user_headers = {"x-onekyc-token": session.token, **USER_HEADERS}

    refused = {
        "presigned with partner token": partner.presign(),
        "confirm with partner token": partner.confirm(submission_id),
        "status with partner token": partner.status(submission_id),
        "initiate with user token": gateway.client.post(
            "/coe-partner/v1/initiate-flow", headers=user_headers | {"x-partner-session-id": "ps-new"},
            json={"flow": "KTP_SCAN", "source": "SDK"},
        ),
        "details with user token": gateway.client.get(
            "/coe/v1/submissions", headers={"x-onekyc-token": session.token, "x-submission-id": submission_id},
        ),
        "partner details with user token": gateway.client.get(
            "/coe-partner/v1/submissions", headers=user_headers | {"x-submission-id": submission_id},
        ),
    }  # fmt: skip

    for name, response in refused.items():
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED), name


def test_a_flow_token_serves_its_own_session_only(gateway: Gateway) -> None:
    session_a = gateway.session("ps-a")
    session_b = gateway.session("ps-b")
    submission_b = session_b.attempt(card(1).jpeg)
    a_token_on_b = Session(gateway, "ps-b", session_a.token)

    refused = {
        "presigned": a_token_on_b.presign(), "confirm": a_token_on_b.confirm(submission_b),
        "status": a_token_on_b.status(submission_b),
    }  # fmt: skip

    for name, response in refused.items():
        assert (response.status_code, response.json()) == (403, FORBIDDEN), name
    assert [s.submission_id for s in gateway.sandbox.records.submissions(CLIENT_ID, "ps-b")] == [submission_b]


def test_a_v2_user_token_serves_its_user_but_not_another_users_session(gateway: Gateway) -> None:
    own = Session(gateway, "ps-own", gateway.user_token())
    assert own.presign().status_code == 200
    someone_else = Session(gateway, "ps-own", gateway.user_token(**{"x-partner-user-id": "user-43"}))

    response = someone_else.presign()

    assert (response.status_code, response.json()) == (403, FORBIDDEN)


def test_tokens_survive_a_restart_on_the_same_data_dir(gateway: Gateway) -> None:
    token = gateway.partner_token()
    restarted = create_app(gateway.settings, clock=ManualClock(gateway.clock.now()), start_workers=False)
    try:
        response = restarted.test_client().get(
            "/coe/v1/submissions", headers={"x-onekyc-token": token, "x-partner-session-id": "ps-nothing"}
        )
    finally:
        restarted.sandbox.stop()

    assert (response.status_code, response.json()) == (400, failure("1552", "SUBMISSION_DOES_NOT_EXIST"))
