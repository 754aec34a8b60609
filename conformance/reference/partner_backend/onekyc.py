"""The gateway client: one cached partner token for every flow, a refresh on 401, bounded backoff on 429/5xx."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.reference.partner_backend.config import PartnerBackendConfig

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (0.5, 1.0, 2.0)  # three retries of a transient failure, then give up
HASTY_RETRIES = 10  # the retry-without-backoff defect
RETRY_AFTER_LIMIT_SECONDS = 5.0  # a longer Retry-After is not worth holding the user's request for
TOKEN_MARGIN_SECONDS = 300.0  # IAB guidance: refresh when less than 5 minutes remain
USER_ID_TYPE = "PARTNER_USER_ID"
DETAILS_NOT_FOUND = "1552"  # E8 before the session has any submission


class GatewayError(Exception):
    """The gateway did not give us what we asked for, even after the retries and the token refresh."""

    def __init__(self, what: str, status: int | None = None, code: str | None = None, cause: str | None = None):
        super().__init__(f"{what} answered {status} {cause}" if status is not None else f"{what} got no answer")
        self.status = status
        self.code = code
        self.cause = cause

    @property
    def unavailable(self) -> bool:
        """No answer, a transient failure or a refused token: not the request's fault, worth trying later."""
        return self.status is None or self.status == 401 or _transient(self.status)


@dataclass
class TokenCache:
    """The partner token, shared by every flow and thread until 5 minutes before it expires."""

    fetch: Callable[[], tuple[str, float]]  # E1: the token and its expiry (epoch seconds)
    clock: Callable[[], float]
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _token: str | None = field(default=None, init=False)
    _expires_at: float = field(default=0.0, init=False)

    def get(self, fresh: bool = False) -> str:
        """The cached token, fetched first when there is none, it is nearly expired, or `fresh` asks for a new one."""
        with self._lock:  # held across the fetch, so concurrent flows wait for one E1 instead of each making one
            if fresh or self._token is None or self.clock() >= self._expires_at - TOKEN_MARGIN_SECONDS:
                self._token, self._expires_at = self.fetch()
            return self._token

    def drop(self, token: str) -> None:
        """Forget a token the gateway refused, unless another thread has already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None


class OneKycClient:
    """E1, E3 and E8 as the partner backend calls them."""

    def __init__(self, config: PartnerBackendConfig, clock: Callable[[], float], sleep: Callable[[float], None],
                 http: httpx.Client | None = None) -> None:  # fmt: skip
        self.config = config
        self.sleep = sleep
        self.http = http or httpx.Client(base_url=config.gateway_url.rstrip("/"), timeout=10)
        self.tokens = TokenCache(self._partner_token, clock)

    def initiate_flow(self, user_id: str, partner_session_id: str, source: str, success_url: str | None = None,
                      failure_url: str | None = None) -> dict[str, Any]:  # fmt: skip
        """E3: the user token (SDK) or the launch URL (WEB_SDK) of one flow."""
        web = source == "WEB_SDK"
        headers = {
            "x-onboarding-partner": self.config.web_onboarding_partner if web else self.config.onboarding_partner,
            "x-partner-user-id": user_id,
            "x-partner-user-id-type": USER_ID_TYPE,
            "x-partner-session-id": partner_session_id,
        }
        body: dict[str, Any] = {"flow": "KTP_SCAN", "source": source}
        if web:
            body |= {"successRedirectionUrl": success_url, "failureRedirectionUrl": failure_url}
        fresh = "token-per-flow" in self.config.defects
        return self._call("POST", "/coe-partner/v1/initiate-flow", headers, body, fresh_token=fresh)

    def submission_details(self, *, submission_id: str | None = None, partner_session_id: str | None = None
                           ) -> dict[str, Any]:  # fmt: skip
        """E8: SubmissionData by submission id (a callback) or by partner session id (the polling fallback)."""
        headers = {}
        if submission_id:
            headers["x-submission-id"] = submission_id
        if partner_session_id:
            headers["x-partner-session-id"] = partner_session_id
        return self._call("GET", "/coe/v1/submissions", headers)

    def partner_token(self) -> str:
        """The cached partner token (only the leak-partner-token defect hands it out)."""
        return self.tokens.get()

    def _call(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any] | None = None,
              fresh_token: bool = False) -> dict[str, Any]:  # fmt: skip
        """One call with the partner token; a 401 drops it, and the call is made once more with a new one."""
        token = self.tokens.get(fresh=fresh_token)
        response = self._send(method, path, {**headers, "x-onekyc-token": token}, body)
        if response.status_code == 401 and "no-token-refresh" not in self.config.defects:
            log.info("%s %s: partner token refused, fetching a new one", method, path)
            self.tokens.drop(token)
            response = self._send(method, path, {**headers, "x-onekyc-token": self.tokens.get()}, body)
        return _data(method, path, response)

    def _partner_token(self) -> tuple[str, float]:
        """E1: a new partner token and when it expires."""
        path = "/v1/coe/partner/authentication"
        response = self._send("GET", path, {"client-id": self.config.client_id, "pass-key": self.config.pass_key})
        data = _data("GET", path, response)
        return data["token"], float(data["expires_at"])

    def _send(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any] | None = None
              ) -> httpx.Response:  # fmt: skip
        """Send, riding out 429/5xx and transport errors with bounded backoff; returns the last answer."""
        hasty = "retry-without-backoff" in self.config.defects
        for delay in (0.0,) * HASTY_RETRIES if hasty else BACKOFF_SECONDS:
            try:
                response = self.http.request(method, path, headers=headers, json=body)
            except httpx.TransportError as error:
                failure, wait = type(error).__name__, delay
            else:
                if not _transient(response.status_code):
                    return response
                hint = _retry_after(response)
                failure, wait = f"HTTP {response.status_code}", delay if hint is None else hint
            log.warning("%s %s failed (%s); retrying in %.1f s", method, path, failure, 0.0 if hasty else wait)
            if not hasty:
                self.sleep(wait)
        try:
            return self.http.request(method, path, headers=headers, json=body)
        except httpx.TransportError as error:
            raise GatewayError(f"{method} {path}") from error


def _transient(status: int) -> bool:
    return status == 429 or status >= 500


def _retry_after(response: httpx.Response) -> float | None:
    """The gateway's Retry-After in seconds, when it gives one we are willing to wait for."""
    try:
        seconds = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return seconds if 0 <= seconds <= RETRY_AFTER_LIMIT_SECONDS else None


def _data(method: str, path: str, response: httpx.Response) -> dict[str, Any]:
    """The envelope's `data`, or a GatewayError naming the gateway's code and cause (never a header value)."""
    try:
        envelope = response.json()
    except ValueError:
        envelope = None
    if response.status_code == 200 and isinstance(envelope, dict) and isinstance(envelope.get("data"), dict):
        return envelope["data"]
    errors = envelope.get("errors") if isinstance(envelope, dict) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code, cause = first.get("code"), first.get("cause")
    raise GatewayError(f"{method} {path}", response.status_code, None if code is None else str(code),
                       None if cause is None else str(cause))  # fmt: skip
