"""Control plane: the onboarded partners, as far as the caller may see them, without any secret."""

from __future__ import annotations

from typing import Any

from mock_gateway.handlers.context import sandbox
from mock_gateway.handlers.control import owner, visible
from mock_gateway.handlers.envelope import ok
from mock_gateway.settings import Partner


def list_partners() -> tuple[list, int]:
    """GET /__mock/partners: every partner for the admin, only itself for a partner."""
    current = owner()
    return ok([partner_view(p) for p in sandbox().settings.partners if visible(p.client_id, current)])


def partner_view(partner: Partner) -> dict[str, Any]:
    """Pass-key, callback credentials and signing secret stay out: only what a partner needs to check its setup."""
    callback = partner.callback
    return {
        "clientId": partner.client_id,
        "name": partner.name,
        "onboardingPartners": list(partner.onboarding_partners),
        "callback": {
            "url": callback.url or None,
            "method": callback.method,
            "auth": {"kind": callback.auth.kind},
            "signed": bool(callback.signing_secret),
            "timeoutSeconds": callback.timeout_seconds,
            "retryScheduleSeconds": list(callback.retry_schedule_seconds),
        },
    }
