"""The hosted KTP Scan page at the launchUrl, its assets, and the one call it needs besides E4–E7.

None of these paths is journaled: the edge journals the specs' operations only, and these are in neither spec, so
page loads, static assets and the session lookup never crowd the journal. What the page sends the gateway (E4–E7)
is journaled like any SDK's traffic, under the partner session and the page's x-sdk-session-id.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from mock_gateway.handlers.envelope import failure_body, ok
from mock_gateway.sandbox import Sandbox
from mock_gateway.web.launch import LaunchRefusedError, launch_settings
from mock_gateway.web.texts import page_texts

PAGE_PATH = "/kyc/v2/index.html"  # the path of domain.gateway.LAUNCH_PATH
SESSION_PATH = "/kyc/v2/session"
STATIC_PATH = "/kyc/v2/static"


def flow_blueprint(sandbox: Sandbox) -> Blueprint:
    """The page, its static files and `GET /kyc/v2/session`, over `sandbox`."""
    blueprint = Blueprint(
        "hosted_flow", __name__, template_folder="templates", static_folder="static/flow", static_url_path=STATIC_PATH,
    )  # fmt: skip

    @blueprint.get(PAGE_PATH)
    def page() -> str:
        """The single-page flow; it reads its token from the URL fragment, which never reaches the server."""
        return render_template("flow.html", texts=page_texts())

    @blueprint.get(SESSION_PATH)
    def session() -> tuple[dict[str, Any], int]:
        """The session's settings for the user token in x-onekyc-token; 401 in the gateway's envelope otherwise."""
        token = request.headers.get("x-onekyc-token")
        try:
            return ok(launch_settings(sandbox.tokens, sandbox.records, sandbox.settings.max_attempts, token))
        except LaunchRefusedError as refused:
            return {**failure_body(refused.error), "data": refused.way_back}, refused.error.status

    return blueprint
