"""RETRY / EXIT: how the gateway drives the SDK through capture attempts until it succeeds or runs out of them."""

from __future__ import annotations

from typing import Any

from tests.gateway_support import CLIENT_ID, Gateway, card, failure

GLARE_UI = {"message_1": {
    "title": "Ada pantulan cahaya", "message": "Hindari cahaya langsung agar seluruh KTP terbaca, lalu coba lagi",
}}  # fmt: skip
QUALITY_REJECTED_UI = {
    "message_1": {"title": "Verifikasi ditolak", "message": "Foto KTP tidak dapat dibaca dengan jelas"},
}
QUALITY_TRANSLATIONS = {
    "en_ID": {"title": "Verification rejected", "message": "The KTP photo could not be read clearly enough"},
    "id_ID": {"title": "Verifikasi ditolak", "message": "Foto KTP tidak dapat dibaca dengan jelas"},
}
QUOTA_EXCEEDED = failure("429", "SUBMISSION_QUOTA_EXCEEDED")


def driving(status: dict[str, Any]) -> tuple[Any, ...]:
    """What the SDK acts on."""
    return (status["status"], status["nextAction"], status["retryReason"], status["attemptsRemaining"],
            status["pollAfterMs"])  # fmt: skip


def test_glare_card_retries_twice_then_exits_invalid_and_the_fourth_attempt_is_refused(gateway: Gateway) -> None:
    glare = card(1, "retry-glare")
    session = gateway.session("ps-glare")

    first = session.processed_status(glare.jpeg)
    assert driving(first) == ("COMPLETED", "RETRY", "GLARE_DETECTED", 2, None)
    assert first["uiMessages"] == GLARE_UI
    assert first["documents"]["KTP_FRONT"]["status"] == "REJECTED"
    assert first["verificationResult"]["isApproved"] is False
    assert gateway.sandbox.dispatcher.deliveries() == [], "a RETRY is not terminal: no callback"

    second = session.processed_status(glare.jpeg)
    assert second["submissionId"] != first["submissionId"]
    assert driving(second) == ("COMPLETED", "RETRY", "GLARE_DETECTED", 1, None)

    third = session.processed_status(glare.jpeg)
    assert third["submissionId"] not in (first["submissionId"], second["submissionId"])
    assert driving(third) == ("COMPLETED", "EXIT", None, 0, None)
    assert third["uiMessages"] == QUALITY_REJECTED_UI

    fourth = session.presign()
    assert (fourth.status_code, fourth.json()) == (429, QUOTA_EXCEEDED)
    assert [s.attempt for s in gateway.sandbox.records.submissions(CLIENT_ID, "ps-glare")] == [3, 2, 1]
    deliveries = gateway.sandbox.dispatcher.deliveries()
    assert [d.submission_id for d in deliveries] == [third["submissionId"]]
    body = deliveries[0].body
    assert (body["status"], body["result"], body["reasonCode"]) == (
        "COMPLETED", "INVALID", "IMAGE_QUALITY_INSUFFICIENT",
    )  # fmt: skip
    assert body["submissionDetails"]["ktpData"] is None
    assert body["submissionDetails"]["rejectionReasonTranslations"] == QUALITY_TRANSLATIONS
    details = gateway.details(**{"x-partner-session-id": "ps-glare"}).json()["data"]
    assert details["submissionId"] == third["submissionId"], "details by session answer the latest attempt"


def test_glare_first_then_a_clean_card_completes_valid(gateway: Gateway) -> None:
    clean = card(2)
    session = gateway.session("ps-glare-then-clean")

    first = session.processed_status(card(1, "retry-glare").jpeg)
    second = session.processed_status(clean.jpeg)

    assert driving(first) == ("COMPLETED", "RETRY", "GLARE_DETECTED", 2, None)
    assert driving(second) == ("COMPLETED", "EXIT", None, 0, None)
    assert second["verificationResult"]["isApproved"] is True
    details = gateway.details(**{"x-submission-id": second["submissionId"]}).json()["data"]
    assert (details["result"], details["reasonCode"]) == ("VALID", "")
    assert details["submissionDetails"]["ktpData"] == clean.truth
    refused = session.presign()
    assert (refused.status_code, refused.json()) == (429, QUOTA_EXCEEDED), "an EXIT closes the session"


def test_a_retried_attempt_cannot_be_confirmed_again(gateway: Gateway) -> None:
    session = gateway.session("ps-glare-reconfirm")
    first = session.processed_status(card(1, "retry-glare").jpeg)

    again = session.confirm(first["submissionId"])

    assert (again.status_code, again.json()) == (409, failure("409", "SUBMISSION_STATE_CONFLICT"))


def test_the_header_scenario_forces_glare_on_a_clean_card(gateway: Gateway) -> None:
    session = gateway.session("ps-header-glare")

    first = session.processed_status(card(1).jpeg, scenario="retry-glare")
    second = session.processed_status(card(1).jpeg)

    assert driving(first) == ("COMPLETED", "RETRY", "GLARE_DETECTED", 2, None)
    assert driving(second) == ("COMPLETED", "EXIT", None, 0, None)
    assert second["verificationResult"]["isApproved"] is True, "the header steered its own attempt only"


def test_retry_then_valid_from_initiate_flow_holds_for_the_whole_session(gateway: Gateway) -> None:
    clean = card(3)
    session = gateway.session("ps-retry-then-valid", scenario="retry-then-valid")

    first = session.processed_status(clean.jpeg)
    second = session.processed_status(clean.jpeg)

    assert driving(first) == ("COMPLETED", "RETRY", "GLARE_DETECTED", 2, None)
    assert driving(second) == ("COMPLETED", "EXIT", None, 0, None)
    details = gateway.details(**{"x-submission-id": second["submissionId"]}).json()["data"]
    assert (details["status"], details["result"], details["submissionDetails"]["ktpData"]) == (
        "COMPLETED", "VALID", clean.truth,
    )  # fmt: skip


def test_a_really_glared_photo_asks_for_a_retry_and_a_good_photo_then_passes(gateway: Gateway) -> None:
    glared = card(4, preset="harsh")
    clean = card(1)
    session = gateway.session("ps-harsh")

    first = session.processed_status(glared.jpeg)
    second = session.processed_status(clean.jpeg)

    assert driving(first) == ("COMPLETED", "RETRY", "GLARE_DETECTED", 2, None)
    extraction = gateway.sandbox.records.submission(first["submissionId"]).extraction
    assert extraction["quality"] == "GLARE_DETECTED", "the image itself decided, not a scenario"
    assert gateway.sandbox.records.submission(first["submissionId"]).scenario is None
    assert driving(second) == ("COMPLETED", "EXIT", None, 0, None)
    details = gateway.details(**{"x-submission-id": second["submissionId"]}).json()["data"]
    assert details["submissionDetails"]["ktpData"] == clean.truth


def test_a_non_ktp_photo_asks_for_a_retry_with_ktp_not_detected(gateway: Gateway) -> None:
    session = gateway.session("ps-negative")

    status = session.processed_status(card(1, preset="negative").jpeg)

    assert driving(status) == ("COMPLETED", "RETRY", "KTP_NOT_DETECTED", 2, None)
    assert status["uiMessages"] == {"message_1": {
        "title": "KTP tidak ditemukan", "message": "Letakkan KTP di dalam bingkai, lalu coba lagi",
    }}  # fmt: skip
