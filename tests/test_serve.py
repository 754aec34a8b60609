"""`ktp-sandbox serve` as a real subprocess over real HTTP: the whole flow, a signed callback, kill -9, shutdown."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from standardwebhooks import Webhook

from synthetic_ktp.dataset import generate_card
from tests.serve_support import Receiver, Server

SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CALLBACK_TOKEN = "partner-callback-bearer-token"
DEMO = {"client-id": "demo-client", "pass-key": "demo-pass-key"}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "sandbox.toml"
    path.write_text(
        "[gateway]\nprocessing_delay_ms = 0\npoll_after_ms = 100\n\n"
        '[[partners]]\nclient_id = "demo-client"\npass_key = "demo-pass-key"\nname = "Demo"\n'
        'onboarding_partners = ["DEMO-SDK-KTP_SCAN", "DEMO-WEB_SDK-KTP_SCAN"]\n'
        f'[partners.callback]\nsigning_secret = "{SIGNING_SECRET}"\nretry_schedule_seconds = [0.5, 1]\n'
        f'[partners.callback.auth]\nkind = "bearer"\ntoken = "{CALLBACK_TOKEN}"\n'
    )
    return path


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


def start_flow(base: str, session_id: str) -> tuple[str, dict[str, str]]:
    """E1 → E3 → E4; returns the upload URL and the SDK's headers."""
    partner_token = requests.get(f"{base}/v1/coe/partner/authentication", headers=DEMO, timeout=5).json()
    headers = {"x-onekyc-token": partner_token["data"]["token"], "x-onboarding-partner": "DEMO-SDK-KTP_SCAN",
               "x-partner-user-id": "user-42", "x-partner-user-id-type": "CLIENT_X_USER_ID",
               "x-partner-session-id": session_id}
    flow = requests.post(f"{base}/coe-partner/v1/initiate-flow", headers=headers, timeout=5,
                         json={"flow": "KTP_SCAN", "source": "SDK"}).json()
    sdk = {"x-onekyc-token": flow["data"]["token"], "x-sdk-session-id": f"sdk-{session_id}",
           "x-partner-session-id": session_id}
    return partner_token["data"]["token"], sdk


def submit(base: str, sdk: dict[str, str], image: bytes) -> str:
    """E4 → E5 → E6; returns the submission id."""
    urls = requests.get(f"{base}/coe/v1/submissions/urls", params={"submissionType": "KTP_SCAN"}, headers=sdk,
                        timeout=5).json()["data"]
    slot = urls["documents"]["KTP_FRONT"]
    upload = requests.put(slot["documentUrl"], data=image, headers={"content-type": "image/jpeg"}, timeout=10)
    assert upload.status_code == 200, upload.text
    confirm = requests.put(f"{base}/coe/v1/submissions/urls", json={"submissionId": urls["submissionId"]},
                           headers=sdk, timeout=10)
    assert confirm.status_code == 200, confirm.text
    return urls["submissionId"]


def poll_to_exit(base: str, sdk: dict[str, str], submission_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(f"{base}/coe/v1/submissions/{submission_id}/status", headers=sdk, timeout=5).json()
        if status["data"]["nextAction"] != "STATUS":
            return status["data"]
        time.sleep(status["data"]["pollAfterMs"] / 1000)
    raise AssertionError("no EXIT in time")


def test_whole_flow_over_http_with_a_signed_callback(tmp_path: Path, config: Path, receiver: Receiver) -> None:
    card = generate_card(11, "camera")
    server = Server(tmp_path / "data", config, receiver.url)
    server.start()
    try:
        partner_token, sdk = start_flow(server.base, "flow-http-1")
        submission_id = submit(server.base, sdk, card.photo.jpeg_file)
        status = poll_to_exit(server.base, sdk, submission_id)
        assert (status["status"], status["nextAction"], status["attemptsRemaining"]) == ("COMPLETED", "EXIT", 0)

        callback = receiver.wait_for(1)[0]
        assert callback["path"] == "/onekyc/callback"
        assert callback["headers"]["authorization"] == f"Bearer {CALLBACK_TOKEN}"
        signed = {k: v for k, v in callback["headers"].items() if k.startswith("webhook-")}
        body = Webhook(SIGNING_SECRET).verify(callback["body"], signed)
        assert body["submissionId"] == submission_id
        assert (body["status"], body["result"], body["reasonCode"]) == ("COMPLETED", "VALID", "")
        assert body["submissionDetails"]["ktpData"] == card.truth.to_ktp_data()

        details = requests.get(f"{server.base}/coe/v1/submissions", timeout=5,
                               headers={"x-onekyc-token": partner_token, "x-submission-id": submission_id}).json()
        assert details["data"]["submissionDetails"]["ktpData"] == card.truth.to_ktp_data()
        image = requests.get(details["data"]["submissionDetails"]["imageUrls"]["KTP"], timeout=5)
        assert (image.status_code, image.content) == (200, card.photo.jpeg_file)
    finally:
        output = server.stop()
    assert "Demo partner    client-id demo-client   pass-key demo-pass-key" in output
    assert "DEMO-SDK-KTP_SCAN, DEMO-WEB_SDK-KTP_SCAN" in output
    assert "stopped; queued processing and callbacks are kept" in output
    assert server.process.returncode == 0


def test_kill_9_mid_processing_loses_nothing(tmp_path: Path, config: Path, receiver: Receiver) -> None:
    config.write_text(config.read_text().replace("processing_delay_ms = 0", "processing_delay_ms = 2500"))
    card = generate_card(12, "camera")
    server = Server(tmp_path / "data", config, receiver.url)
    server.start()
    _, sdk = start_flow(server.base, "flow-kill-1")
    submission_id = submit(server.base, sdk, card.photo.jpeg_file)
    status = requests.get(f"{server.base}/coe/v1/submissions/{submission_id}/status", headers=sdk, timeout=5)
    assert status.json()["data"]["status"] == "IN_PROGRESS"
    server.stop(signal.SIGKILL)
    assert server.process.returncode == -signal.SIGKILL
    assert receiver.requests == []

    server.start()
    try:
        final = poll_to_exit(server.base, sdk, submission_id)
        assert (final["status"], final["nextAction"]) == ("COMPLETED", "EXIT")
        callback = receiver.wait_for(1)
        assert len(callback) == 1
        assert json.loads(callback[0]["body"])["submissionDetails"]["ktpData"] == card.truth.to_ktp_data()
    finally:
        server.stop()


def test_sigterm_stops_cleanly_with_work_queued(tmp_path: Path, config: Path, receiver: Receiver) -> None:
    config.write_text(config.read_text().replace("processing_delay_ms = 0", "processing_delay_ms = 60000"))
    server = Server(tmp_path / "data", config, receiver.url)
    server.start()
    _, sdk = start_flow(server.base, "flow-term-1")
    submission_id = submit(server.base, sdk, generate_card(13, "camera").photo.jpeg_file)
    output = server.stop(signal.SIGTERM)
    assert server.process.returncode == 0, output
    server.start()
    try:
        status = requests.get(f"{server.base}/coe/v1/submissions/{submission_id}/status", headers=sdk, timeout=5)
        assert status.json()["data"]["status"] == "IN_PROGRESS"
        queue = requests.get(f"{server.base}/__mock/health", timeout=5).json()["data"]["queue"]
        assert queue["pending"] == 1
    finally:
        server.stop()


def children_of(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]  # fmt: skip


def test_a_second_http_worker_shares_the_socket_and_stops_with_the_gateway(tmp_path: Path, config: Path,
                                                                           receiver: Receiver) -> None:  # fmt: skip
    card = generate_card(14, "camera")
    server = Server(tmp_path / "data", config, receiver.url, "--http-workers", "2")
    server.start()
    try:
        workers = children_of(server.process.pid)
        assert len(workers) == 1
        assert "mock_gateway.serve" in Path(f"/proc/{workers[0]}/cmdline").read_text()
        _, sdk = start_flow(server.base, "flow-two-workers")
        final = poll_to_exit(server.base, sdk, submit(server.base, sdk, card.photo.jpeg_file))
        assert (final["status"], final["nextAction"]) == ("COMPLETED", "EXIT")
        assert json.loads(receiver.wait_for(1)[0]["body"])["submissionDetails"]["ktpData"] == card.truth.to_ktp_data()
    finally:
        server.stop()
    assert server.process.returncode == 0
    assert not Path(f"/proc/{workers[0]}").exists()
