"""Shared helpers for the gateway behaviour tests: one in-process gateway per module, a client for its flow, cards.

tests/conftest.py loads these fixtures for every test module. A module may set
`GATEWAY_SETTINGS = {...}` (Settings fields) for its gateway. Each test starts from an emptied sandbox;
the ManualClock only moves forward, so tests read the time from it instead of assuming START.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mock_gateway.app import GatewayApp, create_app
from mock_gateway.clock import ManualClock
from mock_gateway.journal import JournalEntry, JournalFilter
from mock_gateway.sandbox import Sandbox
from mock_gateway.settings import DEMO_PARTNER, Settings
from synthetic_ktp.dataset import generate_card

START = 1_780_000_000.0  # 2026-05-28T20:26:40Z, after every synthetic card's issue date
CLIENT_ID = DEMO_PARTNER.client_id
PASS_KEY = DEMO_PARTNER.pass_key
SDK_PARTNER, WEB_PARTNER = DEMO_PARTNER.onboarding_partners
USER_ID = "user-42"
USER_ID_TYPE = "CLIENT_X_USER_ID"
USER_HEADERS = {
    "x-onboarding-partner": SDK_PARTNER, "x-partner-user-id": USER_ID, "x-partner-user-id-type": USER_ID_TYPE,
}  # fmt: skip
JPEG = "image/jpeg"


@dataclass(frozen=True)
class Card:
    """A synthetic KTP photo as uploaded, and what its ktpData must be."""

    jpeg: bytes
    truth: dict[str, str]


@cache
def card(seed: int, scenario: str | None = None, preset: str = "camera") -> Card:
    """A generated card, built once per process (every OCR-readable photo preset is a camera JPEG)."""
    generated = generate_card(seed, preset, scenario)
    return Card(generated.photo.jpeg_file, generated.truth.to_ktp_data() if generated.truth else {})


def failure(code: str | int, cause: str, entity: str | None = None) -> dict[str, Any]:
    """The exact error envelope the gateway must answer with."""
    item: dict[str, Any] = {"code": code, "cause": cause}
    if entity is not None:
        item["entity"] = entity
    return {"success": False, "errors": [item], "data": None}


def storage_error(code: str, message: str) -> str:
    """The exact S3/OSS XML error body of the storage stand-in."""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'


def relative(url: str, settings: Settings) -> str:
    """A gateway URL (presigned, launch, image) as the in-process client requests it."""
    assert url.startswith(settings.base_url), url
    return url[len(settings.base_url) :]


@dataclass
class Session:
    """One partner session as the SDK drives it: its user token and the two session headers."""

    gateway: Gateway
    partner_session_id: str
    token: str
    sdk_session_id: str = field(default_factory=lambda: f"sdk-{uuid.uuid4().hex[:12]}")

    @property
    def headers(self) -> dict[str, str]:
        """The SDK-facing headers of E4, E6 and E7."""
        return {
            "x-onekyc-token": self.token,
            "x-sdk-session-id": self.sdk_session_id,
            "x-partner-session-id": self.partner_session_id,
        }

    def presign(self, scenario: str | None = None, submission_type: str = "KTP_SCAN") -> httpx.Response:
        """E4."""
        return self.gateway.client.get(
            f"/coe/v1/submissions/urls?submissionType={submission_type}", headers=self._with_scenario(scenario)
        )

    def upload(self, document_url: str, data: bytes, content_type: str = JPEG) -> httpx.Response:
        """E5, to the presigned URL E4 handed out."""
        path = relative(document_url, self.gateway.settings)
        return self.gateway.client.put(path, content=data, headers={"content-type": content_type})

    def confirm(self, submission_id: str, scenario: str | None = None) -> httpx.Response:
        """E6."""
        return self.gateway.client.put(
            "/coe/v1/submissions/urls", headers=self._with_scenario(scenario), json={"submissionId": submission_id}
        )

    def status(self, submission_id: str) -> httpx.Response:
        """E7."""
        return self.gateway.client.get(f"/coe/v1/submissions/{submission_id}/status", headers=self.headers)

    def attempt(self, image: bytes, scenario: str | None = None, content_type: str = JPEG) -> str:
        """E4 → E5 → E6, each answered 200; the new attempt's submission id."""
        presigned = self.presign(scenario)
        assert presigned.status_code == 200, presigned.text
        data = presigned.json()["data"]
        uploaded = self.upload(data["documents"]["KTP_FRONT"]["documentUrl"], image, content_type)
        assert uploaded.status_code == 200, uploaded.text
        confirmed = self.confirm(data["submissionId"], scenario)
        assert confirmed.status_code == 200, confirmed.text
        return data["submissionId"]

    def processed_status(self, image: bytes, scenario: str | None = None, content_type: str = JPEG
                         ) -> dict[str, Any]:  # fmt: skip
        """One attempt, processed: E7's data once the worker has decided it."""
        submission_id = self.attempt(image, scenario, content_type)
        assert self.gateway.process() == 1
        response = self.status(submission_id)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def _with_scenario(self, scenario: str | None) -> dict[str, str]:
        return self.headers | ({"x-mock-scenario": scenario} if scenario else {})


@dataclass
class Gateway:
    """The app under test, its test client and its clock, with the partner side of the flow."""

    app: GatewayApp
    clock: ManualClock
    client: TestClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = self.app.test_client()

    @property
    def sandbox(self) -> Sandbox:
        """The services behind the app."""
        return self.app.sandbox

    @property
    def settings(self) -> Settings:
        """The settings the app runs with."""
        return self.app.sandbox.settings

    def process(self) -> int:
        """Run every processing job that is due now."""
        return self.sandbox.processor.run_due()

    def partner_token(self) -> str:
        """E1 for the demo partner."""
        response = self.client.get(
            "/v1/coe/partner/authentication", headers={"client-id": CLIENT_ID, "pass-key": PASS_KEY}
        )
        assert response.status_code == 200, response.text
        return response.json()["data"]["token"]

    def user_token(self, **headers: str) -> str:
        """E2 for the demo partner's user."""
        sent = {"client-id": CLIENT_ID, "pass-key": PASS_KEY, **USER_HEADERS, **headers}
        response = self.client.get("/v2/coe/authentication", headers=sent)
        assert response.status_code == 200, response.text
        return response.json()["data"]["token"]

    def partner_headers(self, partner_session_id: str | None = None, **headers: str) -> dict[str, str]:
        """A partner backend's headers for E3 and E8: a fresh partner token and the user's identity."""
        sent = {"x-onekyc-token": self.partner_token(), **USER_HEADERS}
        if partner_session_id is not None:
            sent["x-partner-session-id"] = partner_session_id
        return sent | headers

    def initiate(self, partner_session_id: str, body: dict[str, Any] | None = None, **headers: str
                 ) -> httpx.Response:  # fmt: skip
        """E3 (source SDK unless `body` says otherwise)."""
        return self.client.post(
            "/coe-partner/v1/initiate-flow", headers=self.partner_headers(partner_session_id, **headers),
            json={"flow": "KTP_SCAN", "source": "SDK"} if body is None else body,
        )  # fmt: skip

    def session(self, partner_session_id: str | None = None, scenario: str | None = None) -> Session:
        """A partner session opened with E3 (SDK), ready for the SDK calls."""
        partner_session_id = partner_session_id or f"ps-{uuid.uuid4().hex[:12]}"
        headers = {"x-mock-scenario": scenario} if scenario else {}
        response = self.initiate(partner_session_id, **headers)
        assert response.status_code == 200, response.text
        return Session(self, partner_session_id, response.json()["data"]["token"])

    def details(self, path: str = "/coe/v1/submissions", **headers: str) -> httpx.Response:
        """E8 with a fresh partner token (and the user headers on the coe-partner path)."""
        sent = {"x-onekyc-token": self.partner_token()}
        if path.startswith("/coe-partner/"):
            sent |= USER_HEADERS
        return self.client.get(path, headers=sent | headers)

    def journal(self, **where: Any) -> list[JournalEntry]:
        """Journal entries matching `where` (JournalFilter fields), oldest first."""
        return self.sandbox.journal.query(JournalFilter(**where), limit=1000)


@pytest.fixture(scope="module")
def module_gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """One gateway per test module (building it parses both specs); settings from the module's GATEWAY_SETTINGS."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("gateway"), **getattr(request.module, "GATEWAY_SETTINGS", {}))
    app = create_app(settings, clock=ManualClock(START), start_workers=False)
    yield Gateway(app, app.sandbox.clock)
    app.sandbox.stop()


@pytest.fixture
def gateway(module_gateway: Gateway) -> Gateway:
    """The module's gateway, emptied: no sessions, submissions, journal, overrides or callbacks."""
    module_gateway.sandbox.reset()
    return module_gateway
