"""pytest plugin (entry point `ktp_sandbox`): a mock gateway, synthetic cards and the journal for partners' own suites.

    def test_my_backend_reads_the_card(ktp_gateway, ktp_card, ktp_journal):
        card = ktp_card(seed=7)                       # a camera photo of a synthetic KTP and its ground truth
        ...point the backend under test at ktp_gateway.base_url, upload card.image, wait for the callback...
        assert ktp_journal.count(operation="details.submission_details") == 1

`ktp_gateway` is one `ktp-sandbox serve` per test session on a free port, reset before every test.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_gateway.settings import DEMO_PARTNER, Settings

ADMIN_KEY = Settings.admin_key
DEMO_CLIENT_ID = DEMO_PARTNER.client_id
DEMO_PASS_KEY = DEMO_PARTNER.pass_key
DEMO_SDK_PARTNER, DEMO_WEB_PARTNER = DEMO_PARTNER.onboarding_partners


@dataclass
class KtpGateway:
    """A running mock gateway: where it is, the demo credentials, and its control plane."""

    base_url: str
    client: httpx.Client
    client_id: str = DEMO_CLIENT_ID
    pass_key: str = DEMO_PASS_KEY
    admin_key: str | None = ADMIN_KEY  # None: the control plane is opened with the partner's own credentials

    @property
    def admin_headers(self) -> dict[str, str]:
        """Headers that open the control plane: the whole of it with the admin key, else the partner's share."""
        if self.admin_key is not None:
            return {"x-mock-admin-key": self.admin_key}
        return {"client-id": self.client_id, "pass-key": self.pass_key}

    def partner_token(self) -> str:
        """E1 with the partner's credentials."""
        response = self.client.get("/v1/coe/partner/authentication",
                                   headers={"client-id": self.client_id, "pass-key": self.pass_key})  # fmt: skip
        response.raise_for_status()
        return response.json()["data"]["token"]

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        """A control-plane call (`path` under /__mock) as the admin; returns `data`."""
        response = self.client.request(method, f"/__mock{path}", headers=self.admin_headers, **kwargs)
        response.raise_for_status()
        return response.json()["data"]

    def override(self, **spec: Any) -> dict[str, Any]:
        """POST /__mock/scenarios: force an outcome, a fault or callback misbehaviour."""
        return self.control("POST", "/scenarios", json=spec)

    def reset(self) -> None:
        """Forget every session, submission, journal entry, override and callback."""
        self.control("POST", "/reset")


@dataclass(frozen=True)
class KtpCard:
    """A synthetic e-KTP photo and what the gateway must read from it."""

    image: bytes
    content_type: str
    truth: dict[str, str] | None  # the ktpData the gateway must return; None for a photo with no KTP
    expected: str = "VALID"  # how the gateway must end the flow: VALID, INVALID or ERROR


@dataclass
class KtpJournal:
    """The gateway's journal through the control plane."""

    gateway: KtpGateway

    def entries(self, **where: Any) -> list[dict[str, Any]]:
        """Every entry matching the filters (partnerSessionId, submissionId, operation, kind, …), oldest first."""
        entries: list[dict[str, Any]] = []
        while True:
            page = self.gateway.control("GET", "/journal", params={"limit": 1000, "offset": len(entries), **where})
            entries += page["entries"]
            if not page["entries"] or len(entries) >= page["total"]:
                return entries

    def count(self, **where: Any) -> int:
        """How many entries match."""
        return self.gateway.control("GET", "/journal/count", params=where)["count"]

    def verify(self, where: dict[str, Any], **expectation: Any) -> dict[str, Any]:
        """POST /__mock/journal/verify, e.g. `verify({"operation": …}, atLeast=1, withinMs=5000)`."""
        return self.gateway.control("POST", "/journal/verify", json={"where": where, **expectation})


@pytest.fixture(scope="session")
def _ktp_gateway_process() -> Iterator[str]:
    """One `ktp-sandbox serve` for the session, in a throwaway data dir."""
    work_dir = Path(tempfile.mkdtemp(prefix="ktp-sandbox-"))
    try:
        with serving_gateway(work_dir, free_port()) as base_url:
            yield base_url
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


@contextmanager
def serving_gateway(work_dir: Path, port: int, config: Path | None = None) -> Iterator[str]:
    """`ktp-sandbox serve` on 127.0.0.1:`port` with its data and log in `work_dir`, until the block ends."""
    command = [str(Path(sys.executable).parent / "ktp-sandbox"), "serve", "--port", str(port), "--data-dir",
               str(work_dir / "data"), *(["--config", str(config)] if config else [])]  # fmt: skip
    log = work_dir / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base_url}/__mock/health", process, log)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def ktp_gateway(_ktp_gateway_process: str) -> Iterator[KtpGateway]:
    """The session's mock gateway, reset before this test."""
    with reset_gateway(_ktp_gateway_process) as gateway:
        yield gateway


@contextmanager
def reset_gateway(base_url: str) -> Iterator[KtpGateway]:
    """The mock at `base_url`, with every record forgotten, as the admin for the block."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        gateway = KtpGateway(base_url, client)
        gateway.reset()
        yield gateway


@pytest.fixture
def ktp_card() -> Callable[..., KtpCard]:
    """A factory of synthetic cards: `ktp_card(seed=7, preset="camera", scenario="retry-glare")`."""
    return make_card


@pytest.fixture
def ktp_journal(ktp_gateway: KtpGateway) -> KtpJournal:
    """The journal of this test's gateway."""
    return KtpJournal(ktp_gateway)


def make_card(seed: int = 0, preset: str = "camera", scenario: str | None = None) -> KtpCard:
    """The synthetic card of `seed` as the camera sees it, with its ground truth and expected outcome."""
    from synthetic_ktp.dataset import generate_card  # the generator loads only in suites that ask for cards

    card = generate_card(seed, preset, scenario)
    outcome = card.expected_outcome
    expected = "ERROR" if outcome.status == "ERROR" else outcome.result or "INVALID"
    truth = card.truth.to_ktp_data() if card.truth else None
    if card.photo.jpeg_file is not None:
        return KtpCard(card.photo.jpeg_file, "image/jpeg", truth, expected)
    buffer = BytesIO()
    card.photo.image.save(buffer, "PNG")
    return KtpCard(buffer.getvalue(), "image/png", truth, expected)


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(ready_url: str, process: subprocess.Popen, log: Path) -> None:
    """Until `ready_url` answers 200; a server that exits or hangs raises with its log."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{' '.join(map(str, process.args))} did not start:\n{log.read_text()}")
