"""A real gateway calling back a reference partner backend served in-process, and an SDK launch between them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import flask
import httpx
import pytest
from standardwebhooks import Webhook
from werkzeug.serving import make_server

from conformance.plugin import KtpGateway
from conformance.reference.partner_backend import PartnerBackendConfig, create_app, shutdown
from conformance.reference.sdk_simulator import SdkResult, SdkSimulator
from synthetic_ktp.dataset import generate_card
from tests.serve_support import Server

CALLBACK_TOKEN = "callback-token-for-the-reference-backend"
SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
GATEWAY_TOML = """
[gateway]
poll_after_ms = 100

[[partners]]
client_id = "demo-client"
pass_key = "demo-pass-key"
name = "Demo partner"
onboarding_partners = ["DEMO-SDK-KTP_SCAN", "DEMO-WEB_SDK-KTP_SCAN"]
[partners.callback]
url = "{callback_url}"
method = "POST"
signing_secret = "{signing_secret}"
timeout_seconds = 5
retry_schedule_seconds = [0.5, 1]
[partners.callback.auth]
kind = "bearer"
token = "{callback_token}"
"""


class BackendHost:
    """One werkzeug server for a test module, serving whichever backend app the current test made."""

    def __init__(self) -> None:
        self.app: flask.Flask | None = None
        self.server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _dispatch(self, environ: dict, start_response: Callable) -> Any:
        assert self.app is not None, "no backend app for this request"
        return self.app(environ, start_response)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def gateway_server(root: Path, callback_url: str) -> Server:
    """A `ktp-sandbox serve` whose demo partner calls `callback_url` back with Bearer auth and a signature."""
    config = root / "gateway.toml"
    config.write_text(GATEWAY_TOML.format(callback_url=callback_url, signing_secret=SIGNING_SECRET,
                                          callback_token=CALLBACK_TOKEN))  # fmt: skip
    server = Server(root / "data", config)
    server.start()
    return server


@cache
def card(seed: int = 7) -> tuple[bytes, dict[str, str]]:
    """A camera photo of an ordinary synthetic KTP (read as VALID) and the ktpData it must yield."""
    generated = generate_card(seed, "camera")
    assert generated.photo.jpeg_file is not None and generated.truth is not None
    return generated.photo.jpeg_file, generated.truth.to_ktp_data()


@dataclass
class Backend:
    """One reference backend behind the module's host, seen from its front end and from the gateway."""

    app: flask.Flask
    client: httpx.Client
    gateway: KtpGateway
    sleeps: list[float] = field(default_factory=list)  # backoff waits, recorded instead of slept

    def start(self, user_id: str = "user-1", **body: Any) -> httpx.Response:
        return self.client.post("/api/kyc/start", json={"userId": user_id, **body})

    def started(self, user_id: str = "user-1") -> dict[str, Any]:
        response = self.start(user_id)
        assert response.status_code == 201, response.text
        return response.json()

    def status(self, partner_session_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/kyc/{partner_session_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def final(self, partner_session_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The flow once it is no longer PENDING (or still PENDING after `timeout`)."""
        return wait_for(lambda: self.status(partner_session_id), lambda s: s["status"] != "PENDING", timeout)

    def launch(self, reply: dict[str, Any], seed: int = 7) -> SdkResult:
        """The user's phone: the reference SDK scans the card with the user token from `reply`."""
        image, _ = card(seed)
        sdk = SdkSimulator(self.gateway.base_url, reply["userToken"], reply["partnerSessionId"],
                           capture=lambda attempt: image)  # fmt: skip
        return sdk.launch()

    def callback(self, body: dict[str, Any], token: str | None = CALLBACK_TOKEN, secret: str | None = SIGNING_SECRET,
                 signed_body: dict[str, Any] | None = None) -> httpx.Response:  # fmt: skip
        """A callback as the gateway would send it; `signed_body` signs other content than what is sent."""
        content = json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        if secret is not None:
            headers |= signature(secret, json.dumps(signed_body if signed_body is not None else body).encode())
        return self.client.post("/onekyc/callback", content=content, headers=headers)


def signature(secret: str, content: bytes) -> dict[str, str]:
    """Standard Webhooks headers over `content`, made with the library, not with the gateway's code."""
    now = datetime.now(UTC)
    webhook_id = f"msg_test_{time.monotonic_ns()}"
    signed = Webhook(secret).sign(webhook_id, now, content.decode())
    return {"webhook-id": webhook_id, "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signed}


def wait_for(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 10.0) -> Any:
    """Read until `done` holds or `timeout` passes; the last reading either way."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = read()
    return value


def backends(host: BackendHost, gateway: KtpGateway, directory: Path) -> Iterator[Callable[..., Backend]]:
    """A factory of backends behind `host` (the newest one serves), each stopped when the test ends."""
    made: list[Backend] = []

    def make(*defects: str, clock: Callable[[], float] = time.time, **settings: Any) -> Backend:
        config = PartnerBackendConfig(
            gateway_url=gateway.base_url, callback_token=CALLBACK_TOKEN, signing_secret=SIGNING_SECRET,
            db_path=directory / f"backend-{len(made)}.sqlite3", defects=frozenset(defects), **settings,
        )  # fmt: skip
        sleeps: list[float] = []
        app = create_app(config, clock=clock, sleep=sleeps.append)
        host.app = app
        backend = Backend(app, httpx.Client(base_url=host.url, timeout=30), gateway, sleeps)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        shutdown(backend.app)
        backend.client.close()
    host.app = None


@pytest.fixture(scope="module")
def host() -> Iterator[BackendHost]:
    """A werkzeug server for the module's reference backends (each test mounts a fresh app)."""
    host = BackendHost()
    yield host
    host.close()


@pytest.fixture(scope="module")
def gateway_url(host: BackendHost, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`ktp-sandbox serve` for the module, calling the host's backend back."""
    server = gateway_server(tmp_path_factory.mktemp("partner-backend-gateway"), f"{host.url}/onekyc/callback")
    yield server.base
    server.stop()
