"""Who is asking the control plane: the operator (sees every partner) or one partner (sees only its own records)."""

from __future__ import annotations

from connexion import request
from connexion.exceptions import OAuthProblem

from mock_gateway.handlers.problems import ControlPlaneError
from mock_gateway.handlers.security import admin_key_info, pass_key_info


def owner() -> str | None:
    """None for the admin key, else the partner's client-id; re-checked here so no handler trusts token_info's shape."""
    admin_key = request.headers.get("x-mock-admin-key")
    if admin_key is not None:
        try:
            return admin_key_info(admin_key, request=request)["owner"]
        except OAuthProblem:
            pass  # a wrong admin key next to valid partner credentials still gets the partner's view
    return pass_key_info(request.headers.get("pass-key", ""), request=request)["owner"]


def visible(record_owner: str, current: str | None) -> bool:
    """The admin sees every record; a partner only its own."""
    return current is None or record_owner == current


def not_found(what: str, identifier: str) -> ControlPlaneError:
    """The same 404 for "does not exist" and "belongs to another partner", so existence is never revealed."""
    return ControlPlaneError(404, f"no {what} {identifier!r}")
