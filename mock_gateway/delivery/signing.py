"""Standard Webhooks signatures, so partners can test verifying that a callback really came from the gateway."""

from __future__ import annotations

import base64
import math
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook


def signature_headers(secret: str, webhook_id: str, timestamp: float, body: bytes) -> dict[str, str]:
    """webhook-id, webhook-timestamp (integer seconds), webhook-signature ("v1,<base64>") over exactly `body`."""
    seconds = math.floor(timestamp)
    try:
        webhook = Webhook(secret)
    except (ValueError, EmptyWebhookSecretError) as error:
        raise ValueError(f"invalid signing secret: {error}") from error
    signature = webhook.sign(webhook_id, datetime.fromtimestamp(seconds, UTC), body.decode())
    return {"webhook-id": webhook_id, "webhook-timestamp": str(seconds), "webhook-signature": signature}


def generate_secret() -> str:
    """A fresh `whsec_` secret, as a partner would be given at onboarding (and for deliberately bad signatures)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
