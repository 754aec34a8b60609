"""E3: initiate-flow."""

from __future__ import annotations

from mock_gateway.handlers.context import claims, header, sandbox
from mock_gateway.handlers.envelope import ok


def initiate_flow(body: dict, token_info: dict) -> tuple[dict, int]:
    """POST /coe-partner/v1/initiate-flow."""
    return ok(sandbox().gateway.initiate_flow(
        claims(token_info), header("x-onboarding-partner"), header("x-partner-user-id"),
        header("x-partner-user-id-type"), header("x-partner-session-id"), body, header("x-mock-scenario"),
    ))  # fmt: skip
