"""E4, E6 and E7: the SDK-facing submission endpoints."""

from __future__ import annotations

from mock_gateway.handlers.context import caller, header, sandbox
from mock_gateway.handlers.envelope import ok


def presigned_urls(submissionType: str, token_info: dict) -> tuple[dict, int]:  # noqa: N803 (the query name)
    """GET /coe/v1/submissions/urls."""
    return ok(sandbox().gateway.presigned_urls(caller(token_info), submissionType, header("x-mock-scenario")))


def confirm_submission(body: dict, token_info: dict) -> tuple[dict, int]:
    """PUT /coe/v1/submissions/urls."""
    return ok(sandbox().gateway.confirm(
        caller(token_info), body["submissionId"], body.get("metadata"), header("x-mock-scenario"),
    ))  # fmt: skip


def submission_status(submissionId: str, token_info: dict) -> tuple[dict, int]:  # noqa: N803 (the path name)
    """GET /coe/v1/submissions/{submissionId}/status."""
    return ok(sandbox().gateway.status(caller(token_info), submissionId))
