"""Control plane: submissions as the mock keeps them, with the uploaded image and the OCR extraction."""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionResponse

from mock_gateway.clock import iso_utc
from mock_gateway.domain.records import PartnerSession, Submission
from mock_gateway.handlers.context import sandbox
from mock_gateway.handlers.control import not_found, owner, visible
from mock_gateway.handlers.envelope import ok
from mock_gateway.routes import CONTROL_PREFIX


def list_submissions(limit: int = 100, offset: int = 0, partnerSessionId: str | None = None  # noqa: N803
                     ) -> tuple[list, int]:  # fmt: skip
    """GET /__mock/submissions: the caller's attempts, newest first."""
    records = sandbox().records
    submissions = records.submissions(owner(), partnerSessionId, limit, offset)
    return ok([submission_record(s, records.session(s.client_id, s.partner_session_id)) for s in submissions])


def get_submission(submissionId: str) -> tuple[dict, int]:  # noqa: N803 (the path name)
    """GET /__mock/submissions/{submissionId}."""
    submission = _visible_submission(submissionId)
    session = sandbox().records.session(submission.client_id, submission.partner_session_id)
    return ok(submission_record(submission, session))


def get_submission_image(submissionId: str) -> ConnexionResponse:  # noqa: N803 (the path name)
    """GET /__mock/submissions/{submissionId}/image: the bytes exactly as uploaded."""
    submission = _visible_submission(submissionId)
    stored = sandbox().gateway.images.get(submission.document_reference)
    if stored is None:
        raise not_found("image for submission", submissionId)
    data, content_type = stored
    return ConnexionResponse(status_code=200, content_type=content_type, body=data)


def submission_record(submission: Submission, session: PartnerSession | None) -> dict[str, Any]:
    """The SubmissionRecord: the attempt, who it is for, and what the OCR read."""
    image = None
    if submission.image_content_type is not None:
        image = {
            "contentType": submission.image_content_type,
            "bytes": submission.image_bytes,
            "url": f"{CONTROL_PREFIX}/submissions/{submission.submission_id}/image",
        }
    return {
        "submissionId": submission.submission_id,
        "clientId": submission.client_id,
        "partnerSessionId": submission.partner_session_id,
        "sdkSessionId": submission.sdk_session_id,
        "onboardingPartner": (session and session.onboarding_partner) or "",
        "userId": (session and session.user_id) or "",
        "userIdType": (session and session.user_id_type) or "",
        "attempt": submission.attempt,
        "status": submission.status,
        "result": submission.result,
        "reasonCode": submission.reason_code,
        "nextAction": submission.next_action or "STATUS",
        "retryReason": submission.retry_reason,
        "scenario": submission.scenario or (session and session.scenario),
        "createdAt": iso_utc(submission.created_at),
        "confirmedAt": _iso(submission.confirmed_at),
        "completedAt": _iso(submission.completed_at),
        "image": image,
        "extraction": submission.extraction,
    }


def _visible_submission(submission_id: str) -> Submission:
    submission = sandbox().records.submission(submission_id)
    if submission is None or not visible(submission.client_id, owner()):
        raise not_found("submission", submission_id)
    return submission


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else iso_utc(epoch)
