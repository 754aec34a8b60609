"""Bad input never gets a 500 or loses a record: every malformed request gets the real gateway's exact error."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.gateway_support import (
    CLIENT_ID,
    JPEG,
    PASS_KEY,
    USER_HEADERS,
    Gateway,
    Session,
    card,
    failure,
    relative,
    storage_error,
)

UPLOAD_LIMIT = 300_000  # above a camera JPEG (~224 kB)
GATEWAY_SETTINGS = {"upload_max_bytes": UPLOAD_LIMIT}
TOKEN_SERVICE = "ONEKYC_TOKEN_SERVICE"
UNAUTHORIZED = failure("110", "UNAUTHORIZED")
FORBIDDEN = failure("110", "FORBIDDEN")
INVALID_CONFIRM = failure("1542", "INVALID_CONFIRM_UPLOAD_REQUEST")
INVALID_ARTIFACT = failure("422", "INVALID_UPLOAD_ARTIFACT")
DETAILS_LOOKUP_MISSING = failure("1539", "X_SUBMISSION_ID_OR_X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY")
TOO_LARGE = storage_error(
    "EntityTooLarge", f"Your proposed upload exceeds the maximum allowed size of {UPLOAD_LIMIT} bytes."
)
SIGNATURE_MISMATCH = storage_error(
    "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
)
FLOW_BODY = {"flow": "KTP_SCAN", "source": "SDK"}


def one_header_off(gateway: Gateway, operation: str) -> tuple[str, str, dict[str, str], dict[str, Any] | None]:
    """A request to `operation` that is valid in every header: method, path, headers, JSON body."""
    if operation == "tokens.partner_token":
        return "GET", "/v1/coe/partner/authentication", {"client-id": CLIENT_ID, "pass-key": PASS_KEY}, None
    if operation == "tokens.user_token":
        return "GET", "/v2/coe/authentication", {"client-id": CLIENT_ID, "pass-key": PASS_KEY, **USER_HEADERS}, None
    if operation == "flows.initiate_flow":
        return "POST", "/coe-partner/v1/initiate-flow", gateway.partner_headers("ps-headers"), FLOW_BODY
    if operation == "details.submission_details":
        headers = {"x-onekyc-token": gateway.partner_token(), "x-submission-id": "00000000-0000-0000-0000-000000000000"}
        return "GET", "/coe/v1/submissions", headers, None
    if operation == "details.partner_submission_details":
        return "GET", "/coe-partner/v1/submissions", gateway.partner_headers("ps-headers"), None
    session = gateway.session("ps-headers")
    return {
        "submissions.presigned_urls": ("GET", "/coe/v1/submissions/urls?submissionType=KTP_SCAN", session.headers,
                                       None),
        "submissions.confirm_submission": ("PUT", "/coe/v1/submissions/urls", session.headers, {"submissionId": "s"}),
        "submissions.submission_status": ("GET", "/coe/v1/submissions/s/status", session.headers, None),
    }[operation]  # fmt: skip


HEADER_CASES = [
    ("tokens.partner_token", "client-id", 400, failure("1539", "CLIENT_ID_CAN_NOT_BE_EMPTY", TOKEN_SERVICE)),
    ("tokens.partner_token", "pass-key", 400, failure("1539", "PASS_KEY_CAN_NOT_BE_EMPTY", TOKEN_SERVICE)),
    ("tokens.user_token", "client-id", 400, failure(1539, "MISSING_CLIENT_ID_OR_PASS_KEY", TOKEN_SERVICE)),
    ("tokens.user_token", "pass-key", 400, failure(1539, "MISSING_CLIENT_ID_OR_PASS_KEY", TOKEN_SERVICE)),
    ("tokens.user_token", "x-onboarding-partner", 400, failure(1539, "COE_PARTNER_CAN_NOT_BE_EMPTY", TOKEN_SERVICE)),
    ("tokens.user_token", "x-partner-user-id", 400, failure(1539, "PARTNER_USER_ID_CAN_NOT_BE_EMPTY", TOKEN_SERVICE)),
    ("tokens.user_token", "x-partner-user-id-type", 400,
     failure(1539, "PARTNER_USER_ID_TYPE_CAN_NOT_BE_EMPTY", TOKEN_SERVICE)),
    ("flows.initiate_flow", "x-onekyc-token", 401, UNAUTHORIZED),
    ("flows.initiate_flow", "x-onboarding-partner", 400, failure("1539", "COE_PARTNER_CAN_NOT_BE_EMPTY")),
    ("flows.initiate_flow", "x-partner-user-id", 400, failure("1539", "PARTNER_USER_ID_CAN_NOT_BE_EMPTY")),
    ("flows.initiate_flow", "x-partner-user-id-type", 400, failure("1539", "PARTNER_USER_ID_TYPE_CAN_NOT_BE_EMPTY")),
    ("flows.initiate_flow", "x-partner-session-id", 400, failure("1539", "X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY")),
    ("submissions.presigned_urls", "x-onekyc-token", 401, UNAUTHORIZED),
    ("submissions.presigned_urls", "x-sdk-session-id", 400, failure("1539", "X_SDK_SESSION_ID_CAN_NOT_BE_EMPTY")),
    ("submissions.presigned_urls", "x-partner-session-id", 400,
     failure("1539", "X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY")),
    ("submissions.confirm_submission", "x-onekyc-token", 401, UNAUTHORIZED),
    ("submissions.confirm_submission", "x-sdk-session-id", 400, failure("1539", "X_SDK_SESSION_ID_CAN_NOT_BE_EMPTY")),
    ("submissions.confirm_submission", "x-partner-session-id", 400,
     failure("1539", "X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY")),
    ("submissions.submission_status", "x-onekyc-token", 401, UNAUTHORIZED),
    ("submissions.submission_status", "x-sdk-session-id", 400, failure("1539", "X_SDK_SESSION_ID_CAN_NOT_BE_EMPTY")),
    ("submissions.submission_status", "x-partner-session-id", 400,
     failure("1539", "X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY")),
    ("details.submission_details", "x-onekyc-token", 401, UNAUTHORIZED),
    ("details.submission_details", "x-submission-id", 400, DETAILS_LOOKUP_MISSING),
    ("details.partner_submission_details", "x-onekyc-token", 401, UNAUTHORIZED),
    ("details.partner_submission_details", "x-onboarding-partner", 400,
     failure("1539", "COE_PARTNER_CAN_NOT_BE_EMPTY")),
    ("details.partner_submission_details", "x-partner-user-id", 400,
     failure("1550", "PARTNER_USER_ID_CAN_NOT_BE_EMPTY")),
    ("details.partner_submission_details", "x-partner-user-id-type", 400,
     failure("1539", "PARTNER_USER_ID_TYPE_CAN_NOT_BE_EMPTY")),
    ("details.partner_submission_details", "x-partner-session-id", 400, DETAILS_LOOKUP_MISSING),
]  # fmt: skip


@pytest.mark.parametrize("absent", ["missing", "empty"])
@pytest.mark.parametrize(("operation", "header", "status", "expected"), HEADER_CASES)
def test_a_missing_or_empty_header_names_its_cause(gateway: Gateway, operation: str, header: str, status: int,
                                                   expected: dict[str, Any], absent: str) -> None:  # fmt: skip
    method, path, headers, body = one_header_off(gateway, operation)
    if absent == "missing":
        del headers[header]
    else:
        headers[header] = ""

    response = gateway.client.request(method, path, headers=headers, json=body)

    assert (response.status_code, response.json()) == (status, expected)
    assert [e.status for e in gateway.journal(operation=operation)][-1] == status, "journaled like any request"


@pytest.mark.parametrize(("content", "content_type", "cause"), [
    (b'{"flow": "KTP_SCAN",', "application/json", "INVALID_REQUEST_BODY"),
    (b"", "application/json", "INVALID_REQUEST_BODY"),
    (b"[1, 2]", "application/json", "INVALID_REQUEST_BODY"),
    (b"flow=KTP_SCAN", "text/plain", "INVALID_REQUEST_BODY"),
    (b'{"flow": "PASSPORT", "source": "SDK"}', "application/json", "INVALID_FLOW"),
    (b'{"flow": "FACE_VERIFICATION", "source": "SDK"}', "application/json", "INVALID_FLOW"),
    (b'{"source": "SDK"}', "application/json", "INVALID_FLOW"),
    (b'{"flow": 7, "source": "SDK"}', "application/json", "INVALID_FLOW"),
    (b'{"flow": "KTP_SCAN", "source": "APP"}', "application/json", "INVALID_SOURCE"),
    (b'{"flow": "KTP_SCAN"}', "application/json", "INVALID_SOURCE"),
    (b'{"flow": "KTP_SCAN", "source": "SDK", "theme": "PINK"}', "application/json", "INVALID_THEME"),
    (b'{"flow": "KTP_SCAN", "source": "SDK", "additionalDetails": {"userLocale": "fr_FR"}}', "application/json",
     "INVALID_ADDITIONAL_DETAILS"),
    (b'{"flow": "KTP_SCAN", "source": "SDK", "nickname": "x"}', "application/json", "INVALID_NICKNAME"),
])  # fmt: skip
def test_initiate_flow_refuses_a_body_it_cannot_accept(gateway: Gateway, content: bytes, content_type: str,
                                                       cause: str) -> None:  # fmt: skip
    headers = gateway.partner_headers("ps-body") | {"content-type": content_type}

    response = gateway.client.post("/coe-partner/v1/initiate-flow", headers=headers, content=content)

    assert (response.status_code, response.json()) == (400, failure("1539", cause))
    assert gateway.sandbox.records.session(CLIENT_ID, "ps-body") is None


def test_initiate_flow_refuses_a_second_flow_on_one_session_and_a_foreign_onboarding_partner(gateway: Gateway) -> None:
    assert gateway.initiate("ps-twice").status_code == 200

    again = gateway.initiate("ps-twice")
    foreign = gateway.initiate("ps-foreign", **{"x-onboarding-partner": "OTHER-SDK-KTP_SCAN"})

    assert (again.status_code, again.json()) == (400, failure("1539", "DUPLICATE_PARTNER_SESSION_ID"))
    assert (foreign.status_code, foreign.json()) == (
        403, failure("110", "ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT"),
    )  # fmt: skip


@pytest.mark.parametrize("query", ["", "?submissionType=", "?submissionType=PASSPORT", "?submissionType=ktp_scan",
                                   "?submissionType=FACE_MATCH"])  # fmt: skip
def test_presigned_urls_need_the_ktp_scan_submission_type(gateway: Gateway, query: str) -> None:
    session = gateway.session("ps-type")

    response = gateway.client.get(f"/coe/v1/submissions/urls{query}", headers=session.headers)

    assert (response.status_code, response.json()) == (400, failure("1542", "INVALID_SUBMISSION_TYPE"))
    assert gateway.sandbox.records.submissions(CLIENT_ID, "ps-type") == []


@pytest.mark.parametrize(("content", "content_type"), [
    (b'{"submissionId": ', "application/json"),
    (b"", "application/json"),
    (b"{}", "application/json"),
    (b'{"submissionId": ""}', "application/json"),
    (b'{"submissionId": 5}', "application/json"),
    (b'{"submissionId": "s", "extra": true}', "application/json"),
    (b"submissionId=s", "text/plain"),
])  # fmt: skip
def test_confirm_refuses_a_body_it_cannot_accept(gateway: Gateway, content: bytes, content_type: str) -> None:
    session = gateway.session("ps-confirm-body")
    headers = session.headers | {"content-type": content_type}

    response = gateway.client.put("/coe/v1/submissions/urls", headers=headers, content=content)

    assert (response.status_code, response.json()) == (400, INVALID_CONFIRM)


def upload_slot(session: Session) -> tuple[str, str, str]:
    """E4: the new attempt's submission id, upload path and document reference."""
    data = session.presign().json()["data"]
    slot = data["documents"]["KTP_FRONT"]
    return data["submissionId"], relative(slot["documentUrl"], session.gateway.settings), slot["documentReference"]


def xml(response: httpx.Response) -> tuple[int, str, str]:
    """Status, content type and body of a storage answer."""
    return response.status_code, response.headers["content-type"], response.text


def test_an_upload_over_the_limit_is_refused_by_its_content_length(gateway: Gateway) -> None:
    session = gateway.session("ps-large")
    submission_id, path, _ = upload_slot(session)

    response = gateway.client.put(path, content=b"\xff" * (UPLOAD_LIMIT + 1), headers={"content-type": JPEG})

    assert xml(response) == (413, "application/xml", TOO_LARGE)
    assert gateway.journal(operation="storage.upload_document")[-1].status == 413
    assert session.confirm(submission_id).json() == INVALID_ARTIFACT, "nothing was stored"


def chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body sent with Transfer-Encoding: chunked (no Content-Length)."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_chunked_upload_is_stored_and_one_over_the_limit_is_refused(gateway: Gateway) -> None:
    session = gateway.session("ps-chunked")
    submission_id, path, reference = upload_slot(session)

    too_large = gateway.client.put(path, content=chunks(b"\xff" * (UPLOAD_LIMIT + 1)), headers={"content-type": JPEG})
    stored = gateway.client.put(path, content=chunks(card(1).jpeg), headers={"content-type": JPEG})

    assert xml(too_large) == (413, "application/xml", TOO_LARGE)
    assert (stored.status_code, stored.content) == (200, b"")
    assert [e.request_body for e in gateway.journal(operation="storage.upload_document")] == [
        {"ref": reference, "bytes": UPLOAD_LIMIT + 1, "contentType": JPEG},
        {"ref": reference, "bytes": len(card(1).jpeg), "contentType": JPEG},
    ], "what arrived (reading stops past the limit), as a reference"  # fmt: skip
    assert gateway.sandbox.gateway.images.get(gateway.sandbox.records.submission(submission_id).document_reference) == (
        card(1).jpeg, JPEG,
    )  # fmt: skip
    assert session.confirm(submission_id).status_code == 200


@pytest.mark.parametrize(("content", "content_type", "expected"), [
    (b"hello", "text/plain",
     "Invalid Content-type (text/plain), expected ['image/jpeg', 'image/png']"),
    (b"", JPEG, "The request body is empty."),
])  # fmt: skip
def test_an_upload_must_be_a_non_empty_jpeg_or_png(gateway: Gateway, content: bytes, content_type: str,
                                                   expected: str) -> None:  # fmt: skip
    _, path, _ = upload_slot(gateway.session("ps-upload-type"))

    response = gateway.client.put(path, content=content, headers={"content-type": content_type})

    assert xml(response) == (400, "application/xml", storage_error("InvalidArgument", expected))


def test_a_tampered_or_expired_presigned_url_is_refused(gateway: Gateway) -> None:
    session = gateway.session("ps-presigned")
    submission_id, path, reference = upload_slot(session)
    signature = path.split("X-Amz-Signature=")[1]
    put = {"content": card(1).jpeg, "headers": {"content-type": JPEG}}

    forged = gateway.client.put(path.replace(signature, "0" * len(signature)), **put)
    longer = gateway.client.put(path.replace("X-Amz-Expires=600", "X-Amz-Expires=86400"), **put)
    elsewhere = gateway.client.put(path.replace(reference, "f" * len(reference)), **put)
    unsigned = gateway.client.put(path.split("?")[0], **put)
    gateway.clock.advance(601)
    expired = gateway.client.put(path, **put)

    for response in (forged, longer, elsewhere):
        assert xml(response) == (403, "application/xml", SIGNATURE_MISMATCH)
    assert xml(unsigned) == (
        400, "application/xml", storage_error("InvalidArgument", "Missing query parameter 'X-Amz-Algorithm'"),
    )  # fmt: skip
    assert xml(expired) == (403, "application/xml", storage_error("AccessDenied", "Request has expired"))
    assert gateway.sandbox.records.submission(submission_id).document_status == "PENDING"


def test_an_upload_after_confirm_is_refused(gateway: Gateway) -> None:
    session = gateway.session("ps-late-upload")
    submission_id, path, _ = upload_slot(session)
    gateway.client.put(path, content=card(1).jpeg, headers={"content-type": JPEG})
    session.confirm(submission_id)

    late = gateway.client.put(path, content=card(2).jpeg, headers={"content-type": JPEG})

    assert xml(late) == (403, "application/xml", storage_error(
        "AccessDenied", "The submission was already confirmed; request a new upload URL.",
    ))  # fmt: skip


def bomb_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny PNG whose header declares a huge image (a decompression bomb's signature)."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    png = bytearray(buffer.getvalue())
    png[16:24] = struct.pack(">II", width, height)  # the IHDR width and height
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    return bytes(png)


@pytest.mark.parametrize(("content", "content_type"), [
    (None, None),
    (b"this is not an image at all", JPEG),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 64, JPEG),
    (bomb_png(), "image/png"),
])  # fmt: skip
def test_confirm_refuses_an_attempt_without_a_readable_image_and_keeps_it_open(
    gateway: Gateway, content: bytes | None, content_type: str | None
) -> None:
    session = gateway.session("ps-artifact")
    submission_id, path, _ = upload_slot(session)
    if content is not None:
        assert gateway.client.put(path, content=content, headers={"content-type": content_type}).status_code == 200

    response = session.confirm(submission_id)

    assert (response.status_code, response.json()) == (422, INVALID_ARTIFACT)
    assert gateway.sandbox.records.submission(submission_id).status == "INITIATED"
    assert gateway.client.put(path, content=card(1).jpeg, headers={"content-type": JPEG}).status_code == 200
    assert session.confirm(submission_id).status_code == 200, "a good image still goes through"


def test_a_second_confirm_conflicts(gateway: Gateway) -> None:
    session = gateway.session("ps-twice-confirmed")
    submission_id = session.attempt(card(1).jpeg)

    again = session.confirm(submission_id)
    gateway.process()
    after_processing = session.confirm(submission_id)

    assert (again.status_code, again.json()) == (409, failure("409", "SUBMISSION_STATE_CONFLICT"))
    assert (after_processing.status_code, after_processing.json()) == (409, failure("409", "SUBMISSION_STATE_CONFLICT"))


def test_presigned_urls_conflict_while_the_last_attempt_is_processing(gateway: Gateway) -> None:
    session = gateway.session("ps-busy")
    session.attempt(card(1, "retry-glare").jpeg)

    response = session.presign()

    assert (response.status_code, response.json()) == (409, failure("409", "SUBMISSION_STATE_CONFLICT"))


def test_unknown_submissions_are_not_found_in_each_endpoints_own_words(gateway: Gateway) -> None:
    session = gateway.session("ps-unknown")
    unknown = "3f2b8c1e-0000-4000-8000-000000000000"

    confirm = session.confirm(unknown)
    status = session.status(unknown)
    details = gateway.details(**{"x-submission-id": unknown})
    by_session = gateway.details("/coe-partner/v1/submissions", **{"x-partner-session-id": "ps-never-opened"})

    assert (confirm.status_code, confirm.json()) == (404, failure("404", "SUBMISSION_DOES_NOT_EXIST"))
    assert (status.status_code, status.json()) == (404, failure("1543", "SUBMISSION_DOES_NOT_EXIST"))
    assert (details.status_code, details.json()) == (400, failure("1552", "SUBMISSION_DOES_NOT_EXIST"))
    assert (by_session.status_code, by_session.json()) == (400, failure("1552", "SUBMISSION_DOES_NOT_EXIST"))


def test_another_sessions_submission_is_forbidden_and_details_check_the_session_and_user(gateway: Gateway) -> None:
    owner = gateway.session("ps-owner")
    submission_id = owner.attempt(card(1).jpeg)
    other = gateway.session("ps-other")

    confirm = other.confirm(submission_id)
    status = other.status(submission_id)
    mismatch = gateway.details(**{"x-submission-id": submission_id, "x-partner-session-id": "ps-other"})
    other_user = gateway.details(
        "/coe-partner/v1/submissions", **{"x-submission-id": submission_id, "x-partner-user-id": "someone-else"}
    )
    foreign = gateway.details(
        "/coe-partner/v1/submissions", **{"x-submission-id": submission_id, "x-onboarding-partner": "OTHER-SDK"}
    )

    assert (confirm.status_code, confirm.json()) == (403, FORBIDDEN)
    assert (status.status_code, status.json()) == (403, FORBIDDEN)
    not_of_user = failure("1553", "PARTNER_SESSION_ID_DOES_NOT_BELONG_TO_THE_USER")
    assert (mismatch.status_code, mismatch.json()) == (400, not_of_user)
    assert (other_user.status_code, other_user.json()) == (400, not_of_user)
    assert (foreign.status_code, foreign.json()) == (403, failure("903", "FORBIDDEN"))


@pytest.mark.parametrize(("method", "path", "status", "expected"), [
    ("GET", "/no/such/path", 404, failure("404", "NOT_FOUND")),
    ("GET", "/coe/v1/nothing-here", 404, failure("404", "NOT_FOUND")),
    ("POST", "/coe/v1/submissions/urls", 405, failure("405", "METHOD_NOT_ALLOWED")),
    ("DELETE", "/coe/v1/submissions", 405, failure("405", "METHOD_NOT_ALLOWED")),
])  # fmt: skip
def test_unknown_paths_and_methods_answer_in_the_envelope(gateway: Gateway, method: str, path: str, status: int,
                                                          expected: dict[str, Any]) -> None:  # fmt: skip
    response = gateway.client.request(method, path)

    assert (response.status_code, response.headers["content-type"], response.json()) == (
        status, "application/json", expected,
    )  # fmt: skip
