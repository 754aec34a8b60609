"""What one reference partner backend is told: where the gateway is, its credentials, and its callback secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conformance.reference.partner_backend.defects import checked_defects


@dataclass(frozen=True, kw_only=True)
class PartnerBackendConfig:
    """Credentials as the IAB team issues them at onboarding, plus the knobs the conformance harness turns."""

    gateway_url: str  # token host and API host (the mock serves both on one URL)
    callback_token: str = field(repr=False)  # the Bearer token the gateway sends on every callback
    client_id: str = "demo-client"
    pass_key: str = field(default="demo-pass-key", repr=False)  # secrets stay out of any log of the config
    onboarding_partner: str = "DEMO-SDK-KTP_SCAN"
    web_onboarding_partner: str = "DEMO-WEB_SDK-KTP_SCAN"
    signing_secret: str | None = field(default=None, repr=False)  # Standard Webhooks `whsec_…`: callbacks are signed
    db_path: Path = Path("partner-backend.sqlite3")
    fallback_after_seconds: float = 5.0  # a session with no result this long after its start is polled
    fallback_interval_seconds: float = 1.0
    defects: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        """Any iterable of defects and a str path are accepted, as callers pass them; a defect typo fails here."""
        object.__setattr__(self, "defects", checked_defects(self.defects))
        object.__setattr__(self, "db_path", Path(self.db_path))
