"""The operator's dashboard at /__mock/ui: one page and its two assets; all data comes from the control plane.

Nothing the dashboard does is journaled: the page and its assets are in neither spec, and the edge journals only
the gateway's operations, never the control plane the page polls every two seconds. A partner's journal therefore
shows exactly what its own systems sent, however long a dashboard stays open.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from connexion import FlaskApp
from flask import Blueprint, Response, render_template, send_from_directory

from mock_gateway.routes import CONTROL_PREFIX, CONTROL_SPEC, load_spec
from mock_gateway.sandbox import Sandbox
from mock_gateway.settings import Settings
from synthetic_ktp.model import API_KEYS
from synthetic_ktp.scenarios import SCENARIOS

UI_PATH = f"{CONTROL_PREFIX}/ui"
STATIC_DIR = Path(__file__).resolve().parent / "static"
# Same-origin only: every script, style and image is served by the mock. Uploads arrive as blob: URLs, because the
# image endpoint wants the key in a header an <img> cannot send; data: is only the empty favicon.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def register_dashboard(app: FlaskApp, sandbox: Sandbox) -> None:
    """Serve the dashboard from `app` (the control plane's Swagger UI lives at /__mock/docs, out of its way)."""
    app.app.register_blueprint(dashboard_blueprint(sandbox))


def dashboard_blueprint(sandbox: Sandbox) -> Blueprint:
    """GET /__mock/ui and its script and stylesheet."""
    blueprint = Blueprint("dashboard", __name__, template_folder="templates")

    @blueprint.get(UI_PATH)
    @blueprint.get(f"{UI_PATH}/")
    def page() -> Response:
        """The page; it asks for the key itself, so serving it reveals nothing."""
        html = render_template("dashboard.html", config=page_config(sandbox.settings), ui_path=UI_PATH)
        return Response(html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})

    @blueprint.get(f"{UI_PATH}/dashboard.<any(js, css):kind>")
    def asset(kind: str) -> Response:
        """Only the dashboard's own two files: the hosted flow's assets stay under its own path."""
        return send_from_directory(STATIC_DIR, f"dashboard.{kind}", max_age=0)

    return blueprint


def page_config(settings: Settings) -> dict[str, Any]:
    """What the page needs from the server: the key hint, the spec's value sets and what each scenario ends in."""
    return {
        # Prefilled only while the server still runs with the well-known default, which is no secret.
        "defaultAdminKey": settings.admin_key if settings.admin_key == Settings.admin_key else None,
        "ktpKeys": list(API_KEYS.values()),
        "scenarios": [
            {"name": s.name, "description": s.description, "outcome": s.outcome.to_json()} for s in SCENARIOS
        ],
        **_spec_enums(),
    }


@cache
def _spec_enums() -> dict[str, list[str]]:
    """The override form's choices, read from openapi/mock.yaml so the form cannot drift from the contract."""
    schemas = load_spec(CONTROL_SPEC)["components"]["schemas"]
    return {
        "retryReasons": schemas["RetryReason"]["enum"],
        "operations": schemas["GatewayOperation"]["enum"],
        "outcomeStatuses": schemas["ScenarioOutcome"]["properties"]["status"]["enum"],
        "outcomeResults": [r for r in schemas["ScenarioOutcome"]["properties"]["result"]["enum"] if r],
    }
