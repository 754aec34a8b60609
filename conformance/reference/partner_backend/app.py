"""The Flask app: thin routes over the KYC service, plus the polling fallback it owns."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import flask
from werkzeug.exceptions import HTTPException

from conformance.reference.partner_backend.config import PartnerBackendConfig
from conformance.reference.partner_backend.fallback import FallbackPoller
from conformance.reference.partner_backend.onekyc import OneKycClient
from conformance.reference.partner_backend.service import KycService, Reply
from conformance.reference.partner_backend.store import ResultStore
from conformance.reference.partner_backend.web import signup_pages

EXTENSION = "kyc_partner_backend"


@dataclass(frozen=True)
class Running:
    """What runs beside the routes and must be stopped with the app."""

    gateway: OneKycClient
    poller: FallbackPoller | None

    def stop(self) -> None:
        """Stop the fallback thread, then close the gateway connections."""
        if self.poller is not None:
            self.poller.stop()
        self.gateway.http.close()


def create_app(config: PartnerBackendConfig, clock: Callable[[], float] = time.time,
               sleep: Callable[[float], None] = time.sleep) -> flask.Flask:  # fmt: skip
    """The backend for `config`; `clock` and `sleep` are injectable so token expiry and backoff test without waiting."""
    gateway = OneKycClient(config, clock, sleep)
    service = KycService(config, gateway, ResultStore(config.db_path), clock)
    poller = None
    if "no-polling-fallback" not in config.defects:
        poller = FallbackPoller(service, clock, config.fallback_after_seconds, config.fallback_interval_seconds)
    app = flask.Flask(__name__)
    app.extensions[EXTENSION] = Running(gateway, poller)
    app.register_blueprint(signup_pages(config, gateway))

    @app.get("/health")
    def health() -> flask.Response:
        return flask.jsonify(ok=True)

    @app.post("/api/kyc/start")
    def start() -> tuple[flask.Response, int]:
        return _send(service.start(flask.request.get_json(force=True, silent=True)))

    @app.get("/api/kyc/<partner_session_id>")
    def status(partner_session_id: str) -> tuple[flask.Response, int]:
        return _send(service.status(partner_session_id))

    @app.route("/onekyc/callback", methods=["POST", "PUT", "PATCH"])
    def callback() -> tuple[flask.Response, int]:
        return _send(service.callback(flask.request.headers, flask.request.get_data()))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> flask.Response:
        """Unknown paths and wrong methods answer JSON too, like every other route (a 405 keeps its Allow)."""
        response = flask.jsonify(error={"code": error.name.upper().replace(" ", "_"), "message": error.description})
        response.status_code = error.code or 500
        response.headers.extend((k, v) for k, v in error.get_headers() if k.lower() != "content-type")
        return response

    if poller is not None:
        poller.start()
    return app


def shutdown(app: flask.Flask) -> None:
    """Stop what runs beside the routes (the CLI on SIGTERM; tests after each backend)."""
    app.extensions[EXTENSION].stop()


def _send(reply: Reply) -> tuple[flask.Response, int]:
    return flask.jsonify(reply.body), reply.status
