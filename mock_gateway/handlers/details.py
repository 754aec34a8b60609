"""E8: Get Submission Details, both paths."""

from __future__ import annotations

from mock_gateway.handlers.context import claims, header, sandbox
from mock_gateway.handlers.envelope import ok


def submission_details(token_info: dict) -> tuple[dict, int]:
    """GET /coe/v1/submissions."""
    return ok(sandbox().gateway.details(claims(token_info), header("x-submission-id"), header("x-partner-session-id")))


def partner_submission_details(token_info: dict) -> tuple[dict, int]:
    """GET /coe-partner/v1/submissions: the same lookup, checked against the partner user."""
    user = (header("x-onboarding-partner"), header("x-partner-user-id"), header("x-partner-user-id-type"))
    return ok(sandbox().gateway.details(
        claims(token_info), header("x-submission-id"), header("x-partner-session-id"), user,
    ))  # fmt: skip
