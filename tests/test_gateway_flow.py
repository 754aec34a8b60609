"""The KTP Scan flow end to end through the gateway: SDK, API-only (E2) and WEB_SDK, the callback and the journal."""

from __future__ import annotations

import dataclasses
import io
import json
from statistics import fmean
from typing import Any

from PIL import Image

from mock_gateway.clock import iso_utc
from mock_gateway.journal import mask_secret
from mock_gateway.settings import DEMO_PARTNER, CallbackSettings
from tests.gateway_support import (
    CLIENT_ID,
    JPEG,
    PASS_KEY,
    USER_HEADERS,
    USER_ID,
    USER_ID_TYPE,
    WEB_PARTNER,
    Gateway,
    Session,
    card,
    failure,
    relative,
)

CALLBACK_URL = "https://partner.example.com/onekyc/callback"
GATEWAY_SETTINGS = {
    "partners": (dataclasses.replace(DEMO_PARTNER, callback=CallbackSettings(url=CALLBACK_URL, method="PUT")),),
}
DETAILS_PATHS = ("/coe/v1/submissions", "/coe-partner/v1/submissions")
FLOW_BODY = {"flow": "KTP_SCAN", "source": "SDK"}
VALID_UI = {"message_1": {"title": "KTP terverifikasi", "message": "KTP Anda berhasil dibaca"}}


def expected_submission_data(gateway: Gateway, submission_id: str, partner_session_id: str, truth: dict[str, str]
                             ) -> dict[str, Any]:  # fmt: skip
    """SubmissionData of a COMPLETED / VALID attempt processed just now (imageUrls checked separately)."""
    return {
        "submissionId": submission_id,
        "flow": "KTP_SCAN",
        "userId": USER_ID,
        "userIdType": USER_ID_TYPE,
        "partnerSessionId": partner_session_id,
        "status": "COMPLETED",
        "result": "VALID",
        "reasonCode": "",
        "processedAt": iso_utc(gateway.clock.now()),
        "submissionDetails": {"ktpData": truth, "imageUrls": {}, "rejectionReasonTranslations": None},
    }


def without_image_url(gateway: Gateway, data: dict[str, Any], image: bytes) -> dict[str, Any]:
    """Check `imageUrls.KTP` is a signed link serving exactly the uploaded bytes, then drop it for comparison."""
    submission = gateway.sandbox.records.submission(data["submissionId"])
    url = data["submissionDetails"]["imageUrls"].pop("KTP")
    assert url.startswith(f"{gateway.settings.base_url}/mock-storage/{submission.document_reference}?X-Amz-")
    downloaded = gateway.client.get(relative(url, gateway.settings))
    assert (downloaded.status_code, downloaded.headers["content-type"], downloaded.content) == (200, JPEG, image)
    return data


def confidence_of(gateway: Gateway, submission_id: str) -> str:
    """`verificationResult.confidence`: the OCR's mean field confidence, in percent."""
    extraction = gateway.sandbox.records.submission(submission_id).extraction
    return str(round(fmean(extraction["confidence"].values()) * 100))


def test_sdk_flow_reads_the_card_and_details_equal_the_truth_on_both_paths(gateway: Gateway) -> None:
    ktp = card(1)
    session = gateway.session("ps-flow-1")
    submission_id = session.attempt(ktp.jpeg)
    submission = gateway.sandbox.records.submission(submission_id)
    assert gateway.process() == 1

    status = session.status(submission_id)

    assert status.status_code == 200
    assert status.json() == {"success": True, "data": {
        "submissionId": submission_id, "status": "COMPLETED", "submissionType": "KTP_SCAN",
        "createdAt": iso_utc(submission.created_at), "completedAt": iso_utc(gateway.clock.now()),
        "verificationResult": {"isApproved": True, "riskLevel": "LOW",
                               "confidence": confidence_of(gateway, submission_id)},
        "errorMessage": None,
        "documents": {"KTP_FRONT": {"status": "VERIFIED", "documentReference": submission.document_reference}},
        "uiMessages": VALID_UI, "nextAction": "EXIT", "retryReason": None, "attemptsRemaining": 0,
        "pollAfterMs": None,
    }}  # fmt: skip
    expected = expected_submission_data(gateway, submission_id, "ps-flow-1", ktp.truth)
    for path in DETAILS_PATHS:
        for lookup in ({"x-submission-id": submission_id}, {"x-partner-session-id": "ps-flow-1"}):
            response = gateway.details(path, **lookup)
            assert response.status_code == 200, (path, lookup, response.text)
            assert response.json()["success"] is True
            assert without_image_url(gateway, response.json()["data"], ktp.jpeg) == expected, (path, lookup)


def test_status_says_status_with_a_poll_hint_until_the_attempt_is_processed(gateway: Gateway) -> None:
    session = gateway.session("ps-polling")
    presigned = session.presign().json()["data"]
    submission_id = presigned["submissionId"]
    reference = presigned["documents"]["KTP_FRONT"]["documentReference"]
    created_at = iso_utc(gateway.clock.now())

    def processing_view(status: str, document_status: str, title: str, message: str) -> dict[str, Any]:
        return {
            "submissionId": submission_id, "status": status, "submissionType": "KTP_SCAN", "createdAt": created_at,
            "completedAt": None, "verificationResult": None, "errorMessage": None,
            "documents": {"KTP_FRONT": {"status": document_status, "documentReference": reference}},
            "uiMessages": {"message_1": {"title": title, "message": message}}, "nextAction": "STATUS",
            "retryReason": None, "attemptsRemaining": 2, "pollAfterMs": 1000,
        }  # fmt: skip

    initiated = session.status(submission_id)
    assert initiated.json()["data"] == processing_view(
        "INITIATED", "PENDING", "Menunggu unggahan", "Unggah foto KTP Anda untuk melanjutkan"
    )
    assert session.upload(presigned["documents"]["KTP_FRONT"]["documentUrl"], card(2).jpeg).status_code == 200
    uploaded = session.status(submission_id)
    assert uploaded.json()["data"] == processing_view(
        "INITIATED", "UPLOADED", "Menunggu unggahan", "Unggah foto KTP Anda untuk melanjutkan"
    )
    confirmed = session.confirm(submission_id)
    assert confirmed.json() == {"success": True, "data": {
        "submissionId": submission_id,
        "uiMessages": {"message_1": {"title": "Sedang diproses", "message": "Data Anda sedang diproses"}},
    }}  # fmt: skip
    in_progress = session.status(submission_id)
    assert in_progress.json()["data"] == processing_view(
        "IN_PROGRESS", "UPLOADED", "Sedang diproses", "Data Anda sedang diproses"
    )
    details = gateway.details(**{"x-submission-id": submission_id}).json()["data"]
    assert (details["status"], details["result"], details["reasonCode"], details["processedAt"],
            details["submissionDetails"]) == ("IN_PROGRESS", None, None, None, None)  # fmt: skip
    assert gateway.process() == 1
    assert session.status(submission_id).json()["data"]["nextAction"] == "EXIT"


def test_presigned_urls_answer_one_ktp_front_slot(gateway: Gateway) -> None:
    session = gateway.session("ps-slot")

    response = session.presign()

    assert response.status_code == 200
    data = response.json()["data"]
    slot = data["documents"]["KTP_FRONT"]
    assert list(data["documents"]) == ["KTP_FRONT"]
    assert data["status"] == "INITIATED"
    assert data["uiMessages"] == {
        "message_1": {"title": "Menunggu unggahan", "message": "Unggah foto KTP Anda untuk melanjutkan"}
    }
    assert slot["expiryInSeconds"] == "600"
    assert slot["documentUrl"].startswith(f"http://127.0.0.1:8080/mock-storage/{slot['documentReference']}?X-Amz-")
    again = session.presign().json()["data"]
    assert again["submissionId"] == data["submissionId"], "an attempt not yet confirmed is handed out again"


def test_api_only_flow_with_a_v2_user_token_opens_the_session_at_the_first_presigned_call(gateway: Gateway) -> None:
    ktp = card(2)
    session = Session(gateway, "ps-api-only", gateway.user_token())
    assert gateway.sandbox.records.session(CLIENT_ID, "ps-api-only") is None

    status = session.processed_status(ktp.jpeg)

    opened = gateway.sandbox.records.session(CLIENT_ID, "ps-api-only")
    assert (opened.source, opened.user_id, opened.user_id_type, opened.attempts_used, opened.closed) == (
        "API", USER_ID, USER_ID_TYPE, 1, True,
    )  # fmt: skip
    assert (status["status"], status["nextAction"], status["attemptsRemaining"]) == ("COMPLETED", "EXIT", 0)
    response = gateway.details("/coe-partner/v1/submissions", **{"x-partner-session-id": "ps-api-only"})
    assert response.status_code == 200
    expected = expected_submission_data(gateway, status["submissionId"], "ps-api-only", ktp.truth)
    assert without_image_url(gateway, response.json()["data"], ktp.jpeg) == expected


def test_a_png_upload_is_read_like_a_jpeg(gateway: Gateway) -> None:
    ktp = card(1)
    png = io.BytesIO()
    Image.open(io.BytesIO(ktp.jpeg)).save(png, "PNG", compress_level=1)

    status = gateway.session("ps-png").processed_status(png.getvalue(), content_type="image/png")

    assert (status["status"], status["nextAction"], status["verificationResult"]["isApproved"]) == (
        "COMPLETED", "EXIT", True,
    )  # fmt: skip
    details = gateway.details(**{"x-submission-id": status["submissionId"]}).json()["data"]
    assert details["submissionDetails"]["ktpData"] == ktp.truth
    submission = gateway.sandbox.records.submission(status["submissionId"])
    assert (submission.image_content_type, submission.image_bytes) == ("image/png", len(png.getvalue()))


def test_token_responses_use_snake_case_strings_and_initiate_flow_camel_case(gateway: Gateway) -> None:
    now = int(gateway.clock.now())
    credentials = {"client-id": CLIENT_ID, "pass-key": PASS_KEY}
    partner = gateway.client.get("/v1/coe/partner/authentication", headers=credentials)
    user = gateway.client.get("/v2/coe/authentication", headers=credentials | USER_HEADERS)
    flow = gateway.initiate("ps-casing")

    assert partner.json()["data"] | {"token": "t"} == {
        "token": "t", "expiry_seconds": "3600", "expires_at": str(now + 3600),
    }  # fmt: skip
    assert user.json()["data"] | {"token": "t"} == {
        "token": "t", "expiry_seconds": "5184000", "expires_at": str(now + 5_184_000),
    }  # fmt: skip
    assert flow.json()["data"] | {"token": "t"} == {
        "token": "t", "expirySeconds": "5184000", "expiresAt": str(now + 5_184_000),
    }  # fmt: skip
    for response in (partner, user, flow):
        assert response.status_code == 200
        assert response.json()["success"] is True
        assert response.json()["data"]["token"].startswith("eyJ")


def test_web_sdk_answers_a_launch_url_whose_token_drives_the_flow(gateway: Gateway) -> None:
    now = int(gateway.clock.now())
    body = {
        "flow": "KTP_SCAN", "source": "WEB_SDK", "successRedirectionUrl": "https://partner.example.com/ok",
        "failureRedirectionUrl": "https://partner.example.com/failed", "theme": "DARK_MODE",
        "additionalDetails": {"userLocale": "en_ID"},
    }  # fmt: skip

    response = gateway.initiate("ps-web", body, **{"x-onboarding-partner": WEB_PARTNER})

    assert response.status_code == 200
    data = response.json()["data"]
    prefix = "http://127.0.0.1:8080/kyc/v2/index.html#/launch-v1?token="
    assert data | {"launchUrl": "…"} == {
        "launchUrl": "…", "expirySeconds": "5184000", "expiresAt": str(now + 5_184_000),
    }  # fmt: skip
    assert data["launchUrl"].startswith(prefix)
    stored = gateway.sandbox.records.session(CLIENT_ID, "ps-web")
    assert (stored.source, stored.onboarding_partner, stored.theme, stored.locale) == (
        "WEB_SDK", WEB_PARTNER, "DARK_MODE", "en_ID",
    )  # fmt: skip
    session = Session(gateway, "ps-web", data["launchUrl"].removeprefix(prefix))
    status = session.processed_status(card(3).jpeg)
    assert (status["status"], status["nextAction"]) == ("COMPLETED", "EXIT")
    assert status["uiMessages"] == {
        "message_1": {"title": "KTP verified", "message": "Your KTP has been read successfully"},
    }, "the user's locale from initiate-flow"


def test_web_sdk_needs_both_redirect_urls(gateway: Gateway) -> None:
    both = {"successRedirectionUrl": "https://partner.example.com/ok",
            "failureRedirectionUrl": "https://partner.example.com/failed"}  # fmt: skip
    for missing, cause in (
        ("successRedirectionUrl", "SUCCESS_REDIRECTION_URL_CAN_NOT_BE_EMPTY"),
        ("failureRedirectionUrl", "FAILURE_REDIRECTION_URL_CAN_NOT_BE_EMPTY"),
    ):
        for value in (None, ""):
            body = {"flow": "KTP_SCAN", "source": "WEB_SDK", **both}
            if value is None:
                del body[missing]
            else:
                body[missing] = value
            response = gateway.initiate(f"ps-web-{missing}-{value}", body)
            assert (response.status_code, response.json()) == (400, failure("1539", cause)), (missing, value)
    assert gateway.sandbox.records.session(CLIENT_ID, "ps-web-successRedirectionUrl-None") is None


def test_a_terminal_attempt_enqueues_one_callback_with_the_submission_data(gateway: Gateway) -> None:
    ktp = card(1)
    session = gateway.session("ps-callback")
    submission_id = session.attempt(ktp.jpeg)
    assert gateway.sandbox.dispatcher.deliveries() == []

    gateway.process()

    deliveries = gateway.sandbox.dispatcher.deliveries()
    assert len(deliveries) == 1
    delivery = deliveries[0]
    assert (delivery.partner_id, delivery.submission_id, delivery.partner_session_id, delivery.url, delivery.method,
            delivery.state, delivery.attempts) == (
        CLIENT_ID, submission_id, "ps-callback", CALLBACK_URL, "PUT", "pending", 0,
    )  # fmt: skip
    details = gateway.details(**{"x-submission-id": submission_id}).json()["data"]
    assert delivery.body == details
    expected = expected_submission_data(gateway, submission_id, "ps-callback", ktp.truth)
    assert without_image_url(gateway, delivery.body, ktp.jpeg) == expected
    session.status(submission_id)
    gateway.process()
    assert len(gateway.sandbox.dispatcher.deliveries()) == 1, "status polls and idle runs send nothing more"


def test_the_journal_holds_one_masked_entry_per_request(gateway: Gateway) -> None:
    ktp = card(1)
    client = gateway.client
    partner = client.get("/v1/coe/partner/authentication", headers={"client-id": CLIENT_ID, "pass-key": PASS_KEY})
    partner_token = partner.json()["data"]["token"]
    flow_headers = {"x-onekyc-token": partner_token, **USER_HEADERS, "x-partner-session-id": "ps-journal"}
    flow = client.post("/coe-partner/v1/initiate-flow", headers=flow_headers, json=FLOW_BODY)
    user_token = flow.json()["data"]["token"]
    sdk_headers = {
        "x-onekyc-token": user_token, "x-sdk-session-id": "sdk-journal", "x-partner-session-id": "ps-journal",
    }  # fmt: skip
    presigned = client.get("/coe/v1/submissions/urls?submissionType=KTP_SCAN", headers=sdk_headers).json()["data"]
    submission_id = presigned["submissionId"]
    slot = presigned["documents"]["KTP_FRONT"]
    upload_path = relative(slot["documentUrl"], gateway.settings)
    client.put(upload_path, content=ktp.jpeg, headers={"content-type": JPEG})
    client.put("/coe/v1/submissions/urls", headers=sdk_headers, json={"submissionId": submission_id})
    gateway.process()
    client.get(f"/coe/v1/submissions/{submission_id}/status", headers=sdk_headers)
    client.get("/coe/v1/submissions", headers={"x-onekyc-token": partner_token, "x-submission-id": submission_id})

    entries = gateway.journal()

    assert [(e.kind, e.method, e.operation, e.status, e.partner_id, e.partner_session_id, e.submission_id,
             e.sdk_session_id) for e in entries] == [
        ("request", "GET", "tokens.partner_token", 200, CLIENT_ID, None, None, None),
        ("request", "POST", "flows.initiate_flow", 200, CLIENT_ID, "ps-journal", None, None),
        ("request", "GET", "submissions.presigned_urls", 200, CLIENT_ID, "ps-journal", submission_id, "sdk-journal"),
        ("request", "PUT", "storage.upload_document", 200, CLIENT_ID, "ps-journal", submission_id, None),
        ("request", "PUT", "submissions.confirm_submission", 200, CLIENT_ID, "ps-journal", submission_id,
         "sdk-journal"),
        ("request", "GET", "submissions.submission_status", 200, CLIENT_ID, "ps-journal", submission_id,
         "sdk-journal"),
        ("request", "GET", "details.submission_details", 200, CLIENT_ID, "ps-journal", submission_id, None),
    ]  # fmt: skip
    token_entry, flow_entry, _, upload, *_ = entries
    assert token_entry.request_headers["pass-key"] == mask_secret(PASS_KEY)
    assert token_entry.response_body["data"]["token"] == mask_secret(partner_token)
    assert flow_entry.request_headers["x-onekyc-token"] == mask_secret(partner_token)
    assert flow_entry.request_body == FLOW_BODY
    assert flow_entry.response_body["data"]["token"] == mask_secret(user_token)
    assert entries[2].request_headers["x-onekyc-token"] == mask_secret(user_token)
    assert upload.request_body == {"ref": slot["documentReference"], "bytes": len(ktp.jpeg), "contentType": JPEG}
    assert upload.url.startswith(upload_path.split("X-Amz-Signature=")[0] + "X-Amz-Signature=****")
    stored = json.dumps([entry.to_json() for entry in entries])
    for secret in (PASS_KEY, partner_token, user_token, slot["documentUrl"].split("X-Amz-Signature=")[1]):
        assert secret not in stored
    assert len(stored) < 64 * 1024, "the image is journaled as a reference, never as bytes"


def test_both_specs_are_served_as_json(gateway: Gateway) -> None:
    gateway_spec = gateway.client.get("/openapi.json")
    control_spec = gateway.client.get("/__mock/openapi.json")
    assert (gateway_spec.status_code, control_spec.status_code) == (200, 200)
    assert "/coe/v1/submissions/{submissionId}/status" in gateway_spec.json()["paths"]
    assert "/journal/verify" in control_spec.json()["paths"]
