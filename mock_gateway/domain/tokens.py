"""Partner and user tokens: HS256 JWTs with a `kid`, bound to the partner (and user) they were issued for."""

from __future__ import annotations

import functools
import json
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jwt

from mock_gateway.clock import Clock

TokenKind = Literal["partner", "user"]
ISSUER = "ktp-sandbox"


class TokenRejectedError(Exception):
    """A token that is missing, malformed, forged, expired or of the wrong kind; the message says which."""


@dataclass(frozen=True)
class SigningKey:
    """The HMAC key behind tokens and presigned URLs; kept in the data dir so a restart keeps tokens valid."""

    kid: str
    secret: bytes

    @classmethod
    def load_or_create(cls, data_dir: Path, configured_secret: str = "") -> SigningKey:
        """The configured secret, else the one in `keys.json`, else a new one written there."""
        if configured_secret:
            return cls(kid=str(uuid.uuid5(uuid.NAMESPACE_URL, configured_secret)), secret=configured_secret.encode())
        path = data_dir / "keys.json"
        if path.exists():
            stored = json.loads(path.read_text())
            return cls(kid=stored["kid"], secret=bytes.fromhex(stored["secret"]))
        key = cls(kid=str(uuid.uuid4()), secret=secrets.token_bytes(32))
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"kid": key.kid, "secret": key.secret.hex()}))
        path.chmod(0o600)
        return key


@dataclass(frozen=True)
class TokenClaims:
    """Who a verified token speaks for."""

    kind: TokenKind
    client_id: str
    expires_at: int
    onboarding_partner: str | None = None
    user_id: str | None = None
    user_id_type: str | None = None
    partner_session_id: str | None = None  # set on user tokens from initiate-flow: they serve that flow only


@dataclass(frozen=True)
class IssuedToken:
    """A token and when it ends, as the token APIs report it."""

    token: str
    expiry_seconds: int
    expires_at: int


class TokenService:
    """Issues and verifies tokens against one signing key and the injected clock."""

    def __init__(self, key: SigningKey, clock: Clock) -> None:
        self._key = key
        self._clock = clock
        self._decode = functools.lru_cache(maxsize=4096)(self._decode_uncached)

    def issue(self, claims: TokenClaims, lifetime_seconds: int) -> IssuedToken:
        """Sign `claims` for `lifetime_seconds` from now (the claims' own expires_at is ignored)."""
        now = int(self._clock.now())
        payload = {
            "iss": ISSUER, "sub": claims.client_id, "typ": claims.kind, "iat": now, "exp": now + lifetime_seconds,
            "jti": uuid.uuid4().hex, "op": claims.onboarding_partner, "uid": claims.user_id,
            "uidt": claims.user_id_type, "psid": claims.partner_session_id,
        }  # fmt: skip
        token = jwt.encode(
            {k: v for k, v in payload.items() if v is not None}, self._key.secret, algorithm="HS256",
            headers={"kid": self._key.kid},
        )  # fmt: skip
        return IssuedToken(token, lifetime_seconds, now + lifetime_seconds)

    def identify(self, token: str | None) -> TokenClaims | None:
        """Whose token this is, expired or not, for journaling and fault matching; None if not ours."""
        try:
            return _claims(self._signed_payload(token))
        except TokenRejectedError:
            return None

    def verify(self, token: str | None, kind: TokenKind) -> TokenClaims:
        """The claims of a valid token of `kind`; anything else raises TokenRejectedError."""
        payload = self._signed_payload(token)
        if payload.get("typ") != kind:
            raise TokenRejectedError(f"a {payload.get('typ')} token where a {kind} token is needed")
        if self._clock.now() >= int(payload.get("exp", 0)):
            raise TokenRejectedError("token expired")
        return _claims(payload)

    def _signed_payload(self, token: str | None) -> dict:
        """The payload of a token this gateway signed; cached, since every poll presents the same token twice."""
        if not token:
            raise TokenRejectedError("no token")
        return self._decode(token)

    def _decode_uncached(self, token: str) -> dict:
        try:
            if jwt.get_unverified_header(token).get("kid") != self._key.kid:
                raise TokenRejectedError("unknown key id")
            return jwt.decode(token, self._key.secret, algorithms=["HS256"], issuer=ISSUER,
                              options={"verify_exp": False})  # fmt: skip
        except jwt.PyJWTError as error:
            raise TokenRejectedError(f"invalid token: {error}") from error


def _claims(payload: dict) -> TokenClaims:
    return TokenClaims(
        kind=payload.get("typ", "partner"), client_id=str(payload.get("sub")), expires_at=int(payload.get("exp", 0)),
        onboarding_partner=payload.get("op"), user_id=payload.get("uid"), user_id_type=payload.get("uidt"),
        partner_session_id=payload.get("psid"),
    )  # fmt: skip
