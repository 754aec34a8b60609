"""Targets: a partner's system described in TOML, and the adapter the partner-backend steps drive it through.

A target says where the partner's backend lives (and optionally how to start it), how its front end starts a
flow and reads a result (request templates plus JSONPaths), its callback URL and auth, and the gateway
credentials it uses. A Python hook (`module:factory`) replaces the templates where they cannot express the API.
An optional `[web]` table describes the partner's web app for the partner-web suite: its sign-up page and selectors.
"""

from __future__ import annotations

import importlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

from conformance.checks.partner_backend import FrontendExchange, PartnerResult
from conformance.plugin import DEMO_CLIENT_ID, DEMO_PASS_KEY, DEMO_SDK_PARTNER, DEMO_WEB_PARTNER

REFERENCE_TARGET = Path(__file__).parent / "reference" / "partner_backend.toml"
WEB_MODES = ("redirect", "iframe")


class TargetError(ValueError):
    """A target file the harness cannot use; the message names the file and the key."""


@dataclass(frozen=True)
class RequestTemplate:
    """A request to the partner's front-end API; `{name}` placeholders are filled per flow."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None

    def render(self, values: Mapping[str, str]) -> tuple[str, str, dict[str, str], Any]:
        """Method, path, headers and JSON body with the placeholders filled."""
        return self.method, _fill(self.path, values), _fill(self.headers, values), _fill(self.json, values)


@dataclass(frozen=True)
class StartFlow:
    """How the front end starts a flow, and where the answer carries the user token or launch URL."""

    request: RequestTemplate
    user_token: str | None = None  # JSONPath
    launch_url: str | None = None  # JSONPath; the token is the launchUrl's `token=` parameter
    partner_session_id: str | None = None  # JSONPath; else taken from the gateway's journal


@dataclass(frozen=True)
class ReadResult:
    """How the front end reads a flow's result, and where the answer carries the verdict and the fields."""

    request: RequestTemplate
    verified: str  # JSONPath to a boolean
    fields: dict[str, str] = field(default_factory=dict)  # ktpData key -> JSONPath
    pending: str | None = None  # JSONPath to a value that says the partner has no outcome yet ...
    pending_values: tuple[str, ...] = ("PENDING",)  # ... when it is one of these


@dataclass(frozen=True)
class CallbackTarget:
    """Where the gateway calls the partner back, and how it authenticates (mirrors `[partners.callback]`)."""

    url: str
    method: str = "POST"
    auth: dict[str, str] = field(default_factory=lambda: {"kind": "none"})
    signing_secret: str | None = None
    retry_schedule_seconds: tuple[float, ...] = (1.0, 2.0, 5.0)
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class WebApp:
    """The partner's web app as a browser drives it: where the sign-up page is and what to click or read there."""

    start_url: str  # `{mode}` and `{user_id}` are filled per flow
    verify_button: str  # Playwright selectors, CSS by default: "#verify", "text=Verify with KTP"
    fields: dict[str, str]  # ktpData key -> the form control the result fills
    modes: tuple[str, ...] = ("redirect",)  # how the app runs the hosted flow: redirect, iframe or both
    failure: str = "[role=alert]"  # what shows a failure or a timeout
    retry_button: str = "role=button[name=/try again/i]"
    result_wait_seconds: float = 60.0  # how long the page may take to show a result or a failure after the return

    def start_page(self, mode: str, user_id: str) -> str:
        """The sign-up page's URL for one flow."""
        return _fill(self.start_url, {"mode": mode, "user_id": user_id})


@dataclass(frozen=True)
class Credentials:
    """The gateway credentials the partner's backend uses (its `[[partners]]` entry at the mock)."""

    client_id: str = DEMO_CLIENT_ID
    pass_key: str = DEMO_PASS_KEY
    onboarding_partner: str = DEMO_SDK_PARTNER
    web_onboarding_partner: str = DEMO_WEB_PARTNER


@dataclass(frozen=True)
class Target:
    """A partner's system as the harness sees it."""

    name: str
    base_url: str
    start: StartFlow
    result: ReadResult
    callback: CallbackTarget
    credentials: Credentials = field(default_factory=Credentials)
    command: tuple[str, ...] = ()  # starts the backend; `{gateway_url}` and `{work_dir}` are filled in
    ready_path: str = "/"
    gateway_port: int = 0  # where the runner starts the mock when no --gateway is given; 0 is any free port
    hook: str | None = None  # "module:factory" returning a PartnerFrontend
    web: WebApp | None = None  # the partner's web app (partner-web suite)

    def partner_toml(self) -> str:
        """The `[[partners]]` entry the mock needs to know this partner and call it back."""
        auth = "\n".join(f"{key} = {_toml(value)}" for key, value in self.callback.auth.items())
        secret = f"signing_secret = {_toml(self.callback.signing_secret)}\n" if self.callback.signing_secret else ""
        return (
            f"[[partners]]\nclient_id = {_toml(self.credentials.client_id)}\n"
            f"pass_key = {_toml(self.credentials.pass_key)}\nname = {_toml(self.name)}\n"
            f"onboarding_partners = [{_toml(self.credentials.onboarding_partner)}, "
            f"{_toml(self.credentials.web_onboarding_partner)}]\n"
            f"[partners.callback]\nurl = {_toml(self.callback.url)}\nmethod = {_toml(self.callback.method)}\n{secret}"
            f"timeout_seconds = {self.callback.timeout_seconds}\n"
            f"retry_schedule_seconds = [{', '.join(str(s) for s in self.callback.retry_schedule_seconds)}]\n"
            f"[partners.callback.auth]\n{auth}\n"
        )


class PartnerFrontend(Protocol):
    """What the steps need from a partner's front-end API; templates serve most partners, a hook the rest."""

    def start_flow(self, user_id: str) -> tuple[FrontendExchange, str | None, str | None]:
        """Start a flow for `user_id`: the exchange, the user token (or None) and the partner session id if known."""

    def read_result(self, partner_session_id: str) -> PartnerResult:
        """The partner's recorded result for a flow."""

    def pending(self, result: PartnerResult) -> bool:
        """True while the partner has no outcome for the flow yet."""


@dataclass
class TemplateFrontend:
    """Drives the partner's front-end API through the target's request templates."""

    target: Target
    http: httpx.Client

    def start_flow(self, user_id: str) -> tuple[FrontendExchange, str | None, str | None]:
        """POST (or whatever the template says) the start request and pick the token out of the answer."""
        exchange, body = self._send(self.target.start.request, {"user_id": user_id})
        token = _first(self.target.start.user_token, body)
        launch_url = _first(self.target.start.launch_url, body)
        if token is None and isinstance(launch_url, str) and "token=" in launch_url:
            token = launch_url.split("token=", 1)[1].split("&", 1)[0]
        session = _first(self.target.start.partner_session_id, body)
        return exchange, token, None if session is None else str(session)

    def read_result(self, partner_session_id: str) -> PartnerResult:
        """Read the result and map it to the verdict and ktpData fields."""
        spec = self.target.result
        exchange, body = self._send(spec.request, {"partner_session_id": partner_session_id})
        verified = _first(spec.verified, body)
        fields = {key: value for key, path in spec.fields.items() if (value := _first(path, body)) is not None}
        return PartnerResult(exchange, verified if isinstance(verified, bool) else None, fields)

    def pending(self, result: PartnerResult) -> bool:
        """True while the partner has no outcome yet (by the target's `pending` path, else no verdict yet)."""
        spec = self.target.result
        if result.exchange.status != 200:
            return True
        if spec.pending is None:
            return result.verified is None
        return _first(spec.pending, _json(result.exchange.body)) in spec.pending_values

    def _send(self, template: RequestTemplate, values: Mapping[str, str]) -> tuple[FrontendExchange, Any]:
        method, path, headers, body = template.render(values)
        url = self.target.base_url.rstrip("/") + path
        try:
            response = self.http.request(method, url, headers=headers, json=body)
        except httpx.HTTPError as error:
            return FrontendExchange(method, url, None, f"{type(error).__name__}: {error}"), None
        return FrontendExchange(method, url, response.status_code, response.text), _json(response.text)


def load_target(path: Path, values: Mapping[str, str] | None = None) -> Target:
    """Read a target file; `values` fill `{placeholders}` in its strings (ports chosen by the runner)."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise TargetError(f"cannot read target {path}: {error}") from error
    document = _fill(document, values or {})
    try:
        backend = _required(document, "backend", "base_url", "start", "result")
        callback = _required(document, "callback", "url")
        start = _required(backend, "backend.start", "path")
        result = _required(backend, "backend.result", "path")
        return Target(
            name=document.get("name", path.stem),
            base_url=backend["base_url"],
            command=tuple(backend.get("command", ())),
            ready_path=backend.get("ready_path", "/"),
            start=StartFlow(
                request=_template(start),
                user_token=_path(start, "user_token"),
                launch_url=_path(start, "launch_url"),
                partner_session_id=_path(start, "partner_session_id"),
            ),
            result=ReadResult(
                request=_template(result),
                verified=_path(result, "verified") or "$.verified",
                fields={key: _checked(value) for key, value in result.get("fields", {}).items()},
                pending=_path(result, "pending"),
                pending_values=tuple(result.get("pending_values", ("PENDING",))),
            ),
            callback=CallbackTarget(
                url=callback["url"],
                method=callback.get("method", "POST"),
                auth=dict(callback.get("auth", {"kind": "none"})),
                signing_secret=callback.get("signing_secret"),
                retry_schedule_seconds=tuple(float(s) for s in callback.get("retry_schedule_seconds", (1, 2, 5))),
                timeout_seconds=float(callback.get("timeout_seconds", 10)),
            ),
            credentials=Credentials(**document.get("credentials", {})),
            gateway_port=int(document.get("gateway", {}).get("port", 0)),
            hook=document.get("hook"),
            web=_web(_required(document, "web", "start_url", "verify_button", "fields")) if "web" in document else None,
        )
    except TargetError as error:
        raise TargetError(f"{path}: {error}") from None
    except (KeyError, TypeError, ValueError) as error:
        raise TargetError(f"{path}: malformed {error}") from error


def frontend_of(target: Target, http: httpx.Client) -> PartnerFrontend:
    """The target's hook if it names one, else the template adapter."""
    if target.hook is None:
        return TemplateFrontend(target, http)
    module_name, _, attribute = target.hook.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise TargetError(f"target {target.name}: cannot load hook {target.hook!r}: {error}") from error
    return factory(target, http)


def _required(document: dict[str, Any], name: str, *keys: str) -> dict[str, Any]:
    """The table `name` of the document, with every key the harness cannot do without."""
    section = document.get(name.rsplit(".", 1)[-1])
    if not isinstance(section, dict):
        raise TargetError(f"[{name}] is missing")
    missing = [key for key in keys if key not in section]
    if missing:
        raise TargetError(f"[{name}] needs {', '.join(missing)}")
    return section


def _web(section: dict[str, Any]) -> WebApp:
    """The `[web]` table: the start page, the verify button, the modes and a selector per ktpData field."""
    mode = section.get("mode", "redirect")
    modes = tuple(mode) if isinstance(mode, list) else (mode,)
    unknown = [name for name in modes if name not in WEB_MODES]
    if unknown or not modes:
        raise TargetError(f"[web] mode must be redirect, iframe or both (a list), not {mode!r}")
    defaults = WebApp("", "", {})
    return WebApp(
        start_url=section["start_url"],
        verify_button=section["verify_button"],
        fields=dict(section["fields"]),
        modes=modes,
        failure=section.get("failure", defaults.failure),
        retry_button=section.get("retry_button", defaults.retry_button),
        result_wait_seconds=float(section.get("result_wait_seconds", defaults.result_wait_seconds)),
    )


def _template(section: dict[str, Any]) -> RequestTemplate:
    return RequestTemplate(section.get("method", "GET").upper(), section["path"], dict(section.get("headers", {})),
                           section.get("json"))  # fmt: skip


def _path(section: dict[str, Any], key: str) -> str | None:
    value = section.get(key)
    return None if value is None else _checked(value)


def _checked(expression: str) -> str:
    """A JSONPath that parses, or a TargetError naming it."""
    try:
        parse_jsonpath(expression)
    except (JsonPathLexerError, JsonPathParserError) as error:
        raise TargetError(f"bad JSONPath {expression!r}: {error}") from error
    return expression


def _first(expression: str | None, document: Any) -> Any:
    """The first value a JSONPath finds, or None."""
    if expression is None or document is None:
        return None
    matches = parse_jsonpath(expression).find(document)
    return matches[0].value if matches else None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    """Fill `{name}` placeholders in every string of a TOML value; unknown names stay as written."""
    if isinstance(value, str):
        return value.format_map(_Defaulting(values))
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    return value


class _Defaulting(dict):
    """format_map mapping that leaves `{unknown}` placeholders for a later fill."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _toml(value: Any) -> str:
    """A TOML string or number (JSON's quoting is valid TOML for these)."""
    return json.dumps(value)
