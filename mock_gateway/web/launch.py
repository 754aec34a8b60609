"""What the hosted page learns from its token: the launchUrl carries only the token, the session holds the rest."""

from __future__ import annotations

from typing import Any

from mock_gateway.domain import errors
from mock_gateway.domain.records import PartnerSession, Records
from mock_gateway.domain.tokens import TokenClaims, TokenRejectedError, TokenService
from mock_gateway.domain.views import DEFAULT_LOCALE
from mock_gateway.web.texts import PAGE_TEXTS


class LaunchRefusedError(Exception):
    """The token opens no web session: a 401 whose `data` still says where to send the user back, when known."""

    def __init__(self, reason: str, way_back: dict[str, str | None] | None = None) -> None:
        super().__init__(reason)
        self.error = errors.UNAUTHORIZED
        self.way_back = way_back


def launch_settings(tokens: TokenService, records: Records, max_attempts: int, token: str | None) -> dict[str, Any]:
    """The session's settings for a valid user token from a WEB_SDK initiate-flow."""
    try:
        claims = tokens.verify(token, "user")
    except TokenRejectedError as rejected:
        # An expired token we signed still names its session, so the page can return the user with TOKEN_EXPIRED
        # instead of stranding them; a forged or foreign token learns nothing.
        session = _web_session(records, tokens.identify(token))
        way_back = None if session is None else {
            "partnerSessionId": session.partner_session_id, "failureRedirectionUrl": session.failure_url,
        }  # fmt: skip
        raise LaunchRefusedError(str(rejected), way_back) from rejected
    session = _web_session(records, claims)
    if session is None:
        raise LaunchRefusedError("the token is not from a WEB_SDK initiate-flow")
    return {
        "partnerSessionId": session.partner_session_id,
        "theme": session.theme or "NO_PREFERENCE",
        "locale": session.locale if session.locale in PAGE_TEXTS else DEFAULT_LOCALE,
        "successRedirectionUrl": session.success_url,
        "failureRedirectionUrl": session.failure_url,
        "attemptsAllowed": max_attempts,
        "ended": _ending(records, session),
    }


def _ending(records: Records, session: PartnerSession) -> dict[str, str | None] | None:
    """How a session that already reached EXIT ended, so a reloaded page returns the user instead of retrying."""
    if not session.closed:
        return None
    last = records.latest_submission(session.client_id, session.partner_session_id)
    if last is not None and last.status == "COMPLETED":
        return {"status": "COMPLETED", "errorCode": None}
    return {"status": "ERROR", "errorCode": "SYSTEM_ERROR"}


def _web_session(records: Records, claims: TokenClaims | None) -> PartnerSession | None:
    """The WEB_SDK session a user token from initiate-flow is bound to."""
    if claims is None or claims.kind != "user" or not claims.partner_session_id:
        return None
    session = records.session(claims.client_id, claims.partner_session_id)
    return session if session is not None and session.source == "WEB_SDK" else None
