"""How handlers reach the sandbox of the app serving them: the edge puts it in the ASGI scope."""

from __future__ import annotations

from connexion import context, request

from mock_gateway.domain.gateway import Caller
from mock_gateway.domain.tokens import TokenClaims
from mock_gateway.sandbox import Sandbox

SCOPE_KEY = "ktp_sandbox"


def sandbox() -> Sandbox:
    """The sandbox serving this request."""
    return context.scope[SCOPE_KEY]


def header(name: str) -> str | None:
    """A request header (case-insensitive), None when absent."""
    return request.headers.get(name)


def caller(token_info: dict) -> Caller:
    """The SDK-facing identity: the verified user token plus the session headers connexion already required."""
    return Caller(token_info["claims"], request.headers["x-sdk-session-id"], request.headers["x-partner-session-id"])


def claims(token_info: dict) -> TokenClaims:
    """The verified partner token's claims."""
    return token_info["claims"]
