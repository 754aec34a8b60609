"""Partner B's tokens never reach partner A's submissions through the gateway API itself."""

from __future__ import annotations

from mock_gateway.settings import DEMO_PARTNER, Partner
from tests.gateway_support import Gateway, card, failure

PARTNER_B = Partner("b-client", "b-pass", name="Partner B", onboarding_partners=("B-SDK-KTP_SCAN",))
GATEWAY_SETTINGS = {"partners": (DEMO_PARTNER, PARTNER_B)}
B_USER = {"x-onboarding-partner": "B-SDK-KTP_SCAN", "x-partner-user-id": "user-42",
          "x-partner-user-id-type": "CLIENT_X_USER_ID"}  # fmt: skip


def b_token(gateway: Gateway, path: str, **headers: str) -> str:
    response = gateway.client.get(path, headers={"client-id": "b-client", "pass-key": "b-pass", **headers})
    assert response.status_code == 200, response.text
    return response.json()["data"]["token"]


def test_partner_b_cannot_read_or_drive_partner_as_submission(gateway: Gateway) -> None:
    session = gateway.session("ps-shared")
    done = session.processed_status(card(31).jpeg)
    submission_id = done["submissionId"]
    b_partner = b_token(gateway, "/v1/coe/partner/authentication")
    b_user = b_token(gateway, "/v2/coe/authentication", **B_USER)

    details = {"x-onekyc-token": b_partner}
    by_id = gateway.client.get("/coe/v1/submissions", headers={**details, "x-submission-id": submission_id})
    by_session = gateway.client.get("/coe/v1/submissions", headers={**details, "x-partner-session-id": "ps-shared"})
    sdk = {"x-onekyc-token": b_user, "x-sdk-session-id": "sdk-b", "x-partner-session-id": "ps-shared"}
    status = gateway.client.get(f"/coe/v1/submissions/{submission_id}/status", headers=sdk)
    confirm = gateway.client.put("/coe/v1/submissions/urls", json={"submissionId": submission_id}, headers=sdk)

    assert (by_id.status_code, by_id.json()) == (400, failure("1552", "SUBMISSION_DOES_NOT_EXIST"))
    assert (by_session.status_code, by_session.json()) == (400, failure("1552", "SUBMISSION_DOES_NOT_EXIST"))
    assert (status.status_code, status.json()) == (404, failure("1543", "SUBMISSION_DOES_NOT_EXIST"))
    assert (confirm.status_code, confirm.json()) == (404, failure("404", "SUBMISSION_DOES_NOT_EXIST"))
    assert gateway.client.get(f"/coe/v1/submissions/{submission_id}/status", headers=session.headers).json()[
        "data"]["status"] == "COMPLETED"  # fmt: skip


def test_the_same_partner_session_id_is_two_sessions_for_two_partners(gateway: Gateway) -> None:
    gateway.session("ps-twice")
    b_partner = b_token(gateway, "/v1/coe/partner/authentication")
    opened = gateway.client.post("/coe-partner/v1/initiate-flow", json={"flow": "KTP_SCAN", "source": "SDK"},
                                 headers={"x-onekyc-token": b_partner, **B_USER, "x-partner-session-id": "ps-twice"})
    assert opened.status_code == 200, opened.text
    sessions = [gateway.sandbox.records.session(client, "ps-twice") for client in ("demo-client", "b-client")]
    assert [s.onboarding_partner for s in sessions] == ["DEMO-SDK-KTP_SCAN", "B-SDK-KTP_SCAN"]
