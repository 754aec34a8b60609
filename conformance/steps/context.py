"""What every step shares: the run's settings, the gateway under test, the scorecard and one scenario's world."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.checks.partner_backend import Flow, ForgedCallback, FrontendExchange
from conformance.checks.partner_web import WebFlow
from conformance.plugin import KtpCard, KtpGateway, make_card
from conformance.reference.sdk_simulator import SdkResult
from conformance.report import Attachment, Judgement
from conformance.targets import Credentials, PartnerFrontend, Target, frontend_of, load_target

RUN_OPTION = "--ktp-run"


@dataclass(frozen=True)
class RunSettings:
    """What `ktp-sandbox conform` hands the pytest session (as a JSON file)."""

    suite: str
    gateway_url: str
    work_dir: str
    report_dir: str = ""  # where the report goes; screenshots are saved beside it
    admin_key: str | None = "ktp-sandbox-admin"  # None when the gateway has no control plane (a real gateway)
    credentials: Credentials = field(default_factory=Credentials)
    target_file: str | None = None  # the partner's target
    target_values: dict[str, str] = field(default_factory=dict)  # what fills its {placeholders}: ports, paths
    sdk_defects: tuple[str, ...] = ()  # defect switches of the reference SDK simulator
    watch_correlation_id: str | None = None
    watch_timeout_seconds: float = 600.0

    def to_json(self) -> str:
        """The file the runner writes."""
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> RunSettings:
        """The file the session reads."""
        data = json.loads(text)
        data["credentials"] = Credentials(**data["credentials"])
        data["sdk_defects"] = tuple(data["sdk_defects"])
        return cls(**data)


@dataclass
class SdkRun:
    """One SDK launch the scenario made, and what the SDK reported to the app."""

    correlation_id: str
    result: SdkResult | None


@dataclass
class World:
    """One scenario's state: cards, flows, launches, browser flows, what the partner answered and what was injected."""

    name: str
    cards: list[KtpCard] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    frontend: list[FrontendExchange] = field(default_factory=list)
    forged: list[ForgedCallback] = field(default_factory=list)
    launches: list[SdkRun] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    gateway_exchanges: list[Any] = field(default_factory=list)  # the gateway suite's probes
    web_flows: list[WebFlow] = field(default_factory=list)  # the partner-web suite's browser flows
    user_ids: dict[str, str] = field(default_factory=dict)  # a name a feature uses -> the run's unique user id

    def captures(self) -> list[KtpCard]:
        """The cards the camera sees, one per capture: those the scenario gave, or one clean card."""
        return self.cards or [make_card(1, "camera")]

    def user_id(self, name: str | None = None) -> str:
        """A partner user id unique to this run; the same `name` gives the same id within the scenario."""
        key = name or f"user-{len(self.user_ids) + 1}"
        if key not in self.user_ids:
            self.user_ids[key] = f"{key}-{uuid.uuid4().hex[:8]}"
        return self.user_ids[key]


class Scorecard:
    """Collects every rule judgement and attachment of the run; the runner builds the report from it."""

    def __init__(self) -> None:
        self.judgements: list[Judgement] = []
        self.attachments: dict[str, list[Attachment]] = {}
        self.scenario = ""

    @pytest.fixture
    def ktp_scorecard(self) -> Scorecard:
        """This run's scorecard."""
        return self

    def pytest_bdd_before_scenario(self, request: Any, feature: Any, scenario: Any) -> None:
        """Name judgements after the scenario that made them."""
        self.scenario = f"{feature.name}: {scenario.name}"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The run settings file the runner writes."""
    parser.addoption(RUN_OPTION, help="run settings JSON written by `ktp-sandbox conform`")


@pytest.fixture(scope="session")
def ktp_run(pytestconfig: pytest.Config) -> RunSettings:
    """This run's settings."""
    path = pytestconfig.getoption(RUN_OPTION)
    if not path:
        raise pytest.UsageError(f"conformance features run through `ktp-sandbox conform` ({RUN_OPTION} is missing)")
    return RunSettings.from_json(Path(path).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def ktp_target(ktp_run: RunSettings) -> Target | None:
    """The partner's system under test, when the suite has one."""
    return load_target(Path(ktp_run.target_file), ktp_run.target_values) if ktp_run.target_file else None


@pytest.fixture(scope="session")
def gateway_under_test(ktp_run: RunSettings) -> Iterator[KtpGateway]:
    """The gateway the run talks to: the mock the runner started, or `--gateway URL`."""
    with httpx.Client(base_url=ktp_run.gateway_url, timeout=30) as client:
        yield KtpGateway(ktp_run.gateway_url, client, ktp_run.credentials.client_id, ktp_run.credentials.pass_key,
                         ktp_run.admin_key)  # fmt: skip


@pytest.fixture(scope="session")
def partner_frontend(ktp_target: Target | None) -> Iterator[PartnerFrontend | None]:
    """The partner's front-end API, driven the way its app would."""
    if ktp_target is None:
        yield None
        return
    with httpx.Client(timeout=30) as client:
        yield frontend_of(ktp_target, client)


@pytest.fixture
def world(ktp_run: RunSettings, gateway_under_test: KtpGateway, ktp_scorecard: Scorecard) -> World:
    """A fresh scenario: the mock's records, overrides and journal are reset first (never in watch mode)."""
    if ktp_run.admin_key is not None and ktp_run.watch_correlation_id is None and ktp_run.suite != "gateway":
        gateway_under_test.reset()
    return World(ktp_scorecard.scenario)
