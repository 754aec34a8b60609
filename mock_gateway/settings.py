"""One Settings object for the mock gateway: embedded defaults, then a TOML file, then `KTP_SANDBOX_*` env vars."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

CallbackAuthKind = Literal["none", "basic", "bearer", "api_key"]
ENV_PREFIX = "KTP_SANDBOX_"


class SettingsError(ValueError):
    """A configuration file or variable the gateway cannot run with."""


@dataclass(frozen=True)
class CallbackAuth:
    """How the gateway authenticates to the partner's callback URL, as chosen at onboarding."""

    kind: CallbackAuthKind = "none"
    username: str = ""
    password: str = ""
    token: str = ""
    header_name: str = "x-api-key"
    api_key: str = ""

    def headers(self) -> dict[str, str]:
        """The request headers this auth adds to a callback."""
        import base64

        if self.kind == "basic":
            basic = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return {"Authorization": f"Basic {basic}"}
        if self.kind == "bearer":
            return {"Authorization": f"Bearer {self.token}"}
        if self.kind == "api_key":
            return {self.header_name: self.api_key}
        return {}


@dataclass(frozen=True)
class CallbackSettings:
    """Where and how a partner is called back when a submission ends."""

    url: str | None = None
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    auth: CallbackAuth = field(default_factory=CallbackAuth)
    signing_secret: str | None = None  # Standard Webhooks `whsec_…`; None sends no signature headers
    timeout_seconds: float = 10.0
    retry_schedule_seconds: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0, 600.0)


@dataclass(frozen=True)
class Partner:
    """A partner as onboarded by the IAB team: credentials, onboarding partner codes and callback."""

    client_id: str
    pass_key: str
    name: str = ""
    onboarding_partners: tuple[str, ...] = ()
    callback: CallbackSettings = field(default_factory=CallbackSettings)


DEMO_PARTNER = Partner(
    client_id="demo-client",
    pass_key="demo-pass-key",
    name="Demo partner",
    onboarding_partners=("DEMO-SDK-KTP_SCAN", "DEMO-WEB_SDK-KTP_SCAN"),
)


@dataclass(frozen=True)
class Settings:
    """Everything the gateway can be told; every field has an embedded default."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""  # what launch and presigned URLs start with; empty means http://host:port
    data_dir: Path = Path(".ktp-sandbox")
    partners: tuple[Partner, ...] = (DEMO_PARTNER,)
    admin_key: str = "ktp-sandbox-admin"
    token_secret: str = ""  # HMAC key for tokens and presigned URLs; empty means one kept in the data dir
    partner_token_seconds: int = 3600
    user_token_seconds: int = 5_184_000
    presigned_url_seconds: int = 600
    image_url_seconds: int = 432_000
    upload_max_bytes: int = 10 * 1024 * 1024
    max_attempts: int = 3
    poll_after_ms: int = 1000
    processing_workers: int = 2
    processing_delay_ms: int = 0
    ocr_backend: str = "template"
    journal_cap: int = 100_000
    image_ttl_seconds: int = 7 * 86_400
    http_workers: int = 1

    @property
    def base_url(self) -> str:
        """The URL partners and SDKs reach this gateway at."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def partner(self, client_id: str) -> Partner | None:
        """The partner with this client-id, if onboarded."""
        return next((partner for partner in self.partners if partner.client_id == client_id), None)

    def with_demo_callback(self, url: str) -> Settings:
        """These settings with the demo partner's callback pointed at `url` (`serve --callback-url`)."""
        partners = tuple(
            dataclasses.replace(partner, callback=dataclasses.replace(partner.callback, url=url))
            if partner.client_id == DEMO_PARTNER.client_id
            else partner
            for partner in self.partners
        )
        return dataclasses.replace(self, partners=partners)


SCALAR_FIELDS = {f.name: f for f in dataclasses.fields(Settings) if f.name != "partners"}


def load_settings(config: Path | None = None, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then the TOML file, then `KTP_SANDBOX_<FIELD>` variables, then explicit overrides (CLI flags)."""
    values: dict[str, Any] = {}
    if config is not None:
        values.update(_read_toml(config))
    environ = os.environ if environ is None else environ
    for name in SCALAR_FIELDS:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = raw
    values.update({name: value for name, value in overrides.items() if value is not None})
    unknown = sorted(set(values) - set(SCALAR_FIELDS) - {"partners"})
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
    return Settings(**{name: _coerce(name, value) for name, value in values.items()})


def _read_toml(config: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"cannot read config {config}: {error}") from error
    values = dict(document.get("gateway", {}))
    unexpected = sorted(set(document) - {"gateway", "partners", "demo_partner"})
    if unexpected:
        raise SettingsError(f"{config}: unknown section(s): {', '.join(unexpected)}")
    configured = tuple(_partner(entry, config) for entry in document.get("partners", []))
    keep_demo = document.get("demo_partner", True) and all(p.client_id != DEMO_PARTNER.client_id for p in configured)
    values["partners"] = ((DEMO_PARTNER,) if keep_demo else ()) + configured
    if len({p.client_id for p in values["partners"]}) != len(values["partners"]):
        raise SettingsError(f"{config}: each partner needs its own client_id")
    return values


def _partner(entry: dict[str, Any], config: Path) -> Partner:
    try:
        callback = dict(entry.get("callback", {}))
        auth = CallbackAuth(**callback.pop("auth", {}))
        if "retry_schedule_seconds" in callback:
            callback["retry_schedule_seconds"] = tuple(float(s) for s in callback["retry_schedule_seconds"])
        return Partner(
            client_id=str(entry["client_id"]),
            pass_key=str(entry["pass_key"]),
            name=str(entry.get("name", "")),
            onboarding_partners=tuple(entry.get("onboarding_partners", ())),
            callback=CallbackSettings(auth=auth, **callback),
        )
    except (KeyError, TypeError) as error:
        raise SettingsError(f"{config}: bad [[partners]] entry {entry.get('client_id', '?')!r}: {error}") from error


def _coerce(name: str, value: Any) -> Any:
    if name == "partners":
        return value
    kind = SCALAR_FIELDS[name].type
    try:
        if kind == "int":
            return int(value)
        if kind == "Path":
            return Path(value)
        return str(value)
    except (TypeError, ValueError) as error:
        raise SettingsError(f"setting {name}: {value!r} is not a valid {kind}") from error
