"""The pytest plugin's fixtures, used as a partner's own suite would use them."""

from __future__ import annotations

import uuid

import pytest

from conformance.plugin import DEMO_SDK_PARTNER, KtpCard, KtpGateway, KtpJournal


def run_flow(gateway: KtpGateway, card: KtpCard, session: str) -> dict:
    """What a partner backend plus SDK would do, over the gateway's real HTTP."""
    client = gateway.client
    partner = {"x-onekyc-token": gateway.partner_token(), "x-onboarding-partner": DEMO_SDK_PARTNER,
               "x-partner-user-id": "user-1", "x-partner-user-id-type": "CLIENT_X_USER_ID",
               "x-partner-session-id": session}  # fmt: skip
    token = client.post("/coe-partner/v1/initiate-flow", headers=partner,
                        json={"flow": "KTP_SCAN", "source": "SDK"}).json()["data"]["token"]  # fmt: skip
    sdk = {"x-onekyc-token": token, "x-sdk-session-id": "sdk-1", "x-partner-session-id": session}
    slot = client.get("/coe/v1/submissions/urls", params={"submissionType": "KTP_SCAN"}, headers=sdk).json()["data"]
    assert client.put(slot["documents"]["KTP_FRONT"]["documentUrl"], content=card.image,
                      headers={"content-type": card.content_type}).status_code == 200  # fmt: skip
    client.put("/coe/v1/submissions/urls", json={"submissionId": slot["submissionId"]}, headers=sdk)
    for _ in range(300):
        status = client.get(f"/coe/v1/submissions/{slot['submissionId']}/status", headers=sdk).json()["data"]
        if status["nextAction"] == "EXIT":
            break
        client.get("/__mock/health")
    details = client.get("/coe/v1/submissions", headers={"x-onekyc-token": gateway.partner_token(),
                                                         "x-submission-id": slot["submissionId"]})  # fmt: skip
    return details.json()["data"]


def test_the_fixtures_run_a_flow_and_read_the_journal(ktp_gateway: KtpGateway, ktp_card, ktp_journal: KtpJournal
                                                      ) -> None:  # fmt: skip
    card = ktp_card(seed=71)
    session = f"plugin-{uuid.uuid4().hex[:8]}"
    details = run_flow(ktp_gateway, card, session)
    assert details["submissionDetails"]["ktpData"] == card.truth
    assert ktp_journal.count(partnerSessionId=session, operation="submissions.confirm_submission") == 1
    assert ktp_journal.verify({"partnerSessionId": session, "operation": "details.submission_details"},
                              atLeast=1, atMost=1)["verified"] is True  # fmt: skip


def test_the_gateway_is_reset_before_each_test(ktp_gateway: KtpGateway, ktp_journal: KtpJournal) -> None:
    assert ktp_journal.count() == 0
    assert ktp_gateway.control("GET", "/scenarios") == []


def test_an_override_through_the_fixture_forces_the_outcome(ktp_gateway: KtpGateway, ktp_card) -> None:
    ktp_gateway.override(outcome={"status": "COMPLETED", "result": "INVALID", "reasonCode": "NOT_EKTP"}, times=1)
    details = run_flow(ktp_gateway, ktp_card(seed=72), f"plugin-{uuid.uuid4().hex[:8]}")
    assert (details["status"], details["result"], details["reasonCode"]) == ("COMPLETED", "INVALID", "NOT_EKTP")


@pytest.mark.parametrize(("preset", "content_type"), [("clean", "image/png"), ("camera", "image/jpeg")])
def test_ktp_card_gives_the_photo_and_its_truth(ktp_card, preset: str, content_type: str) -> None:
    card = ktp_card(seed=73, preset=preset)
    assert card.content_type == content_type
    assert len(card.truth["nik"]) == 16
    assert card.image[:2] in (b"\xff\xd8", b"\x89P")
