"""E1 and E2: the token gateway's two endpoints."""

from __future__ import annotations

from mock_gateway.handlers.context import header, sandbox
from mock_gateway.handlers.envelope import ok


def partner_token() -> tuple[dict, int]:
    """GET /v1/coe/partner/authentication."""
    return ok(sandbox().gateway.partner_token(header("client-id"), header("pass-key")))


def user_token() -> tuple[dict, int]:
    """GET /v2/coe/authentication."""
    return ok(sandbox().gateway.user_token(
        header("client-id"), header("pass-key"), header("x-onboarding-partner"), header("x-partner-user-id"),
        header("x-partner-user-id-type"),
    ))  # fmt: skip
