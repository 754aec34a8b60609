"""Security functions connexion calls for the specs' schemes; the result reaches handlers as `token_info`."""

from __future__ import annotations

import hmac
from typing import Any

from connexion.exceptions import OAuthProblem
from connexion.lifecycle import ConnexionRequest

from mock_gateway.domain.tokens import TokenKind, TokenRejectedError
from mock_gateway.handlers.context import SCOPE_KEY


def partner_token_info(apikey: str, required_scopes: Any = None, request: ConnexionRequest | None = None) -> dict:
    """`x-onekyc-token` must be a valid partner token."""
    return _token_info(apikey, "partner", request)


def user_token_info(apikey: str, required_scopes: Any = None, request: ConnexionRequest | None = None) -> dict:
    """`x-onekyc-token` must be a valid user token."""
    return _token_info(apikey, "user", request)


def admin_key_info(apikey: str, required_scopes: Any = None, request: ConnexionRequest | None = None) -> dict:
    """The control plane's admin key sees every partner."""
    if not hmac.compare_digest(apikey.encode(), request.scope[SCOPE_KEY].settings.admin_key.encode()):
        raise OAuthProblem(detail="wrong admin key")
    return {"sub": "admin", "owner": None}


def client_id_info(apikey: str, required_scopes: Any = None, request: ConnexionRequest | None = None) -> dict:
    """The client-id alone proves nothing; `pass_key_info` checks the pair."""
    return {"sub": apikey}


def pass_key_info(apikey: str, required_scopes: Any = None, request: ConnexionRequest | None = None) -> dict:
    """A partner's own credentials show that partner's records only."""
    client_id = request.headers.get("client-id", "")
    partner = request.scope[SCOPE_KEY].settings.partner(client_id)
    if partner is None or not hmac.compare_digest(partner.pass_key.encode(), apikey.encode()):
        raise OAuthProblem(detail="wrong client-id or pass-key")
    return {"sub": client_id, "owner": client_id}


def _token_info(token: str, kind: TokenKind, request: ConnexionRequest) -> dict:
    try:
        claims = request.scope[SCOPE_KEY].tokens.verify(token, kind)
    except TokenRejectedError as error:
        raise OAuthProblem(detail=str(error)) from error
    return {"sub": claims.client_id, "claims": claims}
