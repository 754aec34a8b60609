"""The other ways partners and QA run `ktp-sandbox conform`: their own target against a mock they started,
QA's own features, and watch mode judging an SDK launch as it happens."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conformance.plugin import KtpGateway, free_port, make_card, serving_gateway, wait_until_up
from conformance.reference.sdk_simulator import SdkSimulator
from conformance.steps.context import RunSettings
from conformance.steps.sdk import user_token
from conformance.targets import Credentials

pytestmark = pytest.mark.slow
KTP_SANDBOX = str(Path(sys.executable).parent / "ktp-sandbox")
ROOT = Path(__file__).resolve().parent.parent
PARTNER_TARGET = """
name = "acme backend"
[credentials]
client_id = "acme-client"
pass_key = "acme-pass-key"
onboarding_partner = "ACME-SDK-KTP_SCAN"
web_onboarding_partner = "ACME-WEB_SDK-KTP_SCAN"
[backend]
base_url = "http://127.0.0.1:{port}"
[backend.start]
method = "POST"
path = "/api/kyc/start"
json = {{ userId = "{{user_id}}" }}
user_token = "$.userToken"
[backend.result]
path = "/api/kyc/{{partner_session_id}}"
verified = "$.verified"
pending = "$.status"
[backend.result.fields]
nik = "$.ktp.nik"
name = "$.ktp.name"
dateOfBirth = "$.ktp.dateOfBirth"
[callback]
url = "http://127.0.0.1:{port}/onekyc/callback"
retry_schedule_seconds = [0.5, 1, 2]
[callback.auth]
kind = "bearer"
token = "acme-callback-token"
"""


def conform(report_dir: Path, *arguments: str) -> tuple[int, str, dict]:
    command = [KTP_SANDBOX, "conform", *arguments, "--report", str(report_dir)]
    process = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600)
    return process.returncode, process.stdout[-6000:] + process.stderr[-3000:], json.loads(
        (report_dir / "report.json").read_text())  # fmt: skip


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """What a partner's CI does: start the mock with its partner entry, then its own backend pointed at it."""
    work = tmp_path_factory.mktemp("acme")
    backend_port = free_port()
    target = work / "acme.toml"
    target.write_text(PARTNER_TARGET.format(port=backend_port))
    from conformance.targets import load_target

    (work / "gateway.toml").write_text(load_target(target).partner_toml())
    with serving_gateway(work, free_port(), work / "gateway.toml") as gateway_url:
        command = [sys.executable, "-m", "conformance.reference.partner_backend", "--port", str(backend_port),
                   "--gateway", gateway_url, "--callback-token", "acme-callback-token", "--client-id", "acme-client",
                   "--pass-key", "acme-pass-key", "--onboarding-partner", "ACME-SDK-KTP_SCAN",
                   "--db", str(work / "acme.sqlite3"), "--fallback-after", "3"]  # fmt: skip
        with (work / "backend.log").open("w") as log:
            backend = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(f"http://127.0.0.1:{backend_port}/health", backend, work / "backend.log")
            yield gateway_url, target
        finally:
            backend.terminate()
            backend.wait(timeout=30)


def test_qa_features_run_against_a_partners_own_target_and_running_mock(acme, tmp_path: Path) -> None:
    gateway_url, target = acme
    status, output, report = conform(tmp_path, "--suite", "partner-backend", "--target", str(target), "--gateway",
                                     gateway_url, "--features", str(ROOT / "features" / "examples"))  # fmt: skip
    assert status == 0, output
    assert {rule["id"]: rule["status"] for rule in report["rules"]} == {
        "PB-05": "pass", "PB-08": "pass", "PB-11": "pass", "PB-12": "pass", "SDK-04": "pass", "SDK-05": "pass",
        "SDK-06": "pass", "SDK-07": "pass"}  # fmt: skip
    assert report["target"] == "acme.toml" and len(report["scenarios"]) == 6
    assert all(scenario["status"] == "passed" for scenario in report["scenarios"]), output


def test_a_qa_feature_that_fails_says_which_step(acme, tmp_path: Path) -> None:
    gateway_url, _ = acme
    features = tmp_path / "features"
    features.mkdir()
    (features / "wrong.feature").write_text(
        "Feature: A wrong expectation\n  Scenario: Glare is not an error\n    Given a synthetic KTP with glare over the"
        " NIK\n    When the SDK scans the card\n    Then the SDK reported ERROR\n")  # fmt: skip
    status, output, report = conform(tmp_path / "report", "--suite", "sdk", "--gateway", gateway_url, "--client-id",
                                     "acme-client", "--pass-key", "acme-pass-key", "--onboarding-partner",
                                     "ACME-SDK-KTP_SCAN", "--features", str(features))  # fmt: skip
    assert status == 1, output
    (scenario,) = report["scenarios"]
    failed = [step for step in scenario["steps"] if step["status"] == "failed"]
    assert [step["text"] for step in failed] == ["the SDK reported ERROR"]
    assert "the SDK reported SdkResult(" in failed[0]["error"] and "status='COMPLETED'" in failed[0]["error"]


@pytest.mark.parametrize(("defects", "failing"), [((), []), (("poll-too-fast",), ["SDK-03"])])
def test_watch_mode_judges_a_launch_as_it_happens(acme, tmp_path: Path, defects: tuple[str, ...],
                                                  failing: list[str]) -> None:  # fmt: skip
    gateway_url, _ = acme
    correlation_id = str(uuid.uuid4())
    credentials = ["--client-id", "acme-client", "--pass-key", "acme-pass-key"]

    def device() -> None:
        """A build on a device: launched a moment after the watch began."""
        time.sleep(2)
        with httpx.Client(base_url=gateway_url, timeout=30) as client:
            gateway = KtpGateway(gateway_url, client, "acme-client", "acme-pass-key")
            acme_credentials = Credentials("acme-client", "acme-pass-key", "ACME-SDK-KTP_SCAN")
            run = RunSettings("sdk", gateway_url, str(tmp_path), credentials=acme_credentials)
            token = user_token(gateway, run, correlation_id, "device-user")
        card = make_card(61)
        SdkSimulator(gateway_url, token, correlation_id, lambda _: card.image, defects=frozenset(defects)).launch()

    launch = threading.Thread(target=device)
    launch.start()
    status, output, report = conform(tmp_path, "--suite", "sdk", "--watch", "--correlation-id", correlation_id,
                                     "--gateway", gateway_url, "--timeout", "120", *credentials)  # fmt: skip
    launch.join()
    statuses = {rule["id"]: rule["status"] for rule in report["rules"]}
    assert [rule for rule, verdict in statuses.items() if verdict == "fail"] == failing, output
    assert statuses["SDK-07"] == "skip" and statuses["SDK-01"] == "pass"
    assert status == (1 if failing else 0)
    assert report["target"] == f"watched launch {correlation_id}"
