"""Is a callback really from the gateway: the Bearer token it was given and, when set, a Standard Webhooks signature."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class CallbackAuthenticator:
    """Checks both in constant time; anything unexpected in the headers is simply not authentic."""

    def __init__(self, token: str, signing_secret: str | None) -> None:
        self._token = token.encode()
        self._webhook = Webhook(signing_secret) if signing_secret else None  # a bad secret fails at start, not later

    def authentic(self, headers: Mapping[str, str], body: bytes) -> bool:
        """The right `Authorization: Bearer …`, and a valid signature over exactly `body` when a secret is set."""
        scheme, _, credentials = headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.encode(), self._token):
            return False
        if self._webhook is None:
            return True
        try:
            self._webhook.verify(body, dict(headers), json_parse=False)
        except (WebhookVerificationError, ValueError):  # ValueError: a malformed signature or a non-UTF-8 body
            return False
        return True
