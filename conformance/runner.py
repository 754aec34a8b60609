"""`ktp-sandbox conform`: set up the gateway and the system under test, run the suite through pytest-bdd, report.

The runner starts the mock (unless `--gateway` names one) with the target's partner onboarded, starts the
partner's backend when the target says how (the reference does), writes the run settings for the step library,
and runs the suite's features in-process with pytest. The scorecard the steps fill becomes report.json and
report.html; pytest writes junit.xml and cucumber.json beside them.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conformance.plugin import ADMIN_KEY, free_port, serving_gateway, wait_until_up
from conformance.reference.partner_backend.defects import DEFECTS as BACKEND_DEFECTS
from conformance.reference.partner_backend.defects import WEB_DEFECTS
from conformance.reference.sdk_simulator import DEFECTS as SDK_DEFECTS
from conformance.report import Report, outcomes, scenarios_from_cucumber, write_reports
from conformance.rules import rules_of
from conformance.steps.context import RunSettings, Scorecard
from conformance.targets import REFERENCE_TARGET, Credentials, Target, load_target

FEATURES = Path(__file__).resolve().parent.parent / "features"
SUITES = {"gateway": "gateway", "partner-backend": "partner_backend", "partner-web": "partner_web", "sdk": "sdk"}
TARGET_SUITES = ("partner-backend", "partner-web")  # the suites that judge a partner's system, described by a target
# defect switch -> (suite, rule) for every reference implementation
DEFECTS = {**{name: ("partner-backend", rule) for name, rule in BACKEND_DEFECTS.items()},
           **{name: ("partner-web", rule) for name, rule in WEB_DEFECTS.items()},
           **{name: ("sdk", rule) for name, rule in SDK_DEFECTS.items()}}  # fmt: skip
POLL_AFTER_MS = 300  # the runner's mock paces SDK polls faster than the default 1000 ms, for quicker runs
WATCH_TAG = "watch"


class ConformError(ValueError):
    """A run that cannot start: a bad combination of options, an unknown defect, a backend that never came up."""


@dataclass(frozen=True)
class Conform:
    """One `ktp-sandbox conform` invocation."""

    suite: str
    report_dir: Path
    target_file: Path | None = None
    reference: bool = False
    defects: tuple[str, ...] = ()
    gateway_url: str | None = None
    admin_key: str | None = ADMIN_KEY
    features_dir: Path | None = None
    watch_correlation_id: str | None = None
    watch_timeout_seconds: float = 600.0
    credentials: Credentials = field(default_factory=Credentials)  # gateway and SDK suites; a target has its own

    def validate(self) -> None:
        """Reject option combinations that cannot mean anything, before anything starts."""
        if self.suite not in SUITES:
            raise ConformError(f"unknown suite {self.suite!r}; known: {', '.join(SUITES)}")
        for defect in self.defects:
            if defect not in DEFECTS:
                raise ConformError(f"unknown defect {defect!r}; `ktp-sandbox conform --list-defects` lists them")
            if DEFECTS[defect][0] != self.suite:
                raise ConformError(f"defect {defect!r} belongs to the {DEFECTS[defect][0]} suite")
        if self.defects and not self.reference:
            raise ConformError("--defect switches a reference implementation; add --reference")
        if self.suite in TARGET_SUITES and not (self.reference or self.target_file):
            raise ConformError(f"the {self.suite} suite needs --target FILE or --reference")
        if self.suite not in TARGET_SUITES and self.target_file:
            raise ConformError(f"the {self.suite} suite takes no --target (it judges the gateway or an SDK build)")
        if self.watch_correlation_id and (self.suite != "sdk" or not self.gateway_url):
            raise ConformError("--watch judges an SDK build against a running mock: use --suite sdk --gateway URL")

    @property
    def label(self) -> str:
        """What the report says was judged."""
        if self.watch_correlation_id:
            return f"watched launch {self.watch_correlation_id}"
        if self.reference:
            return "reference" + "".join(f" --defect {defect}" for defect in self.defects)
        if self.target_file:
            return self.target_file.name
        return self.gateway_url or "the mock gateway"


def run(conform: Conform) -> tuple[Report, int]:
    """Run the suite; the exit status is 0 when every scenario passed (so no MUST rule failed)."""
    conform.validate()
    with tempfile.TemporaryDirectory(prefix="ktp-conform-") as scratch, ExitStack() as stack:
        work_dir = Path(scratch)
        values = {"backend_port": str(free_port()), "work_dir": str(work_dir), "python": sys.executable,
                  "defects": ",".join(conform.defects)}  # fmt: skip
        target = _target(conform, values)
        gateway_port = (target.gateway_port if target else 0) or free_port()
        values["gateway_url"] = conform.gateway_url or f"http://127.0.0.1:{gateway_port}"
        target = _target(conform, values)
        if conform.suite == "partner-web" and (target is None or target.web is None):
            raise ConformError(f"the partner-web suite needs a [web] table in {_target_file(conform)}")
        gateway_url = conform.gateway_url or stack.enter_context(_mock(work_dir, gateway_port, target))
        if target is not None and target.command:
            stack.enter_context(_backend(target, work_dir))
        settings = RunSettings(
            suite=conform.suite,
            gateway_url=gateway_url,
            work_dir=str(work_dir),
            report_dir=str(conform.report_dir.resolve()),
            admin_key=conform.admin_key,
            credentials=target.credentials if target else conform.credentials,
            target_file=str(_target_file(conform)) if target else None,
            target_values=values,
            sdk_defects=conform.defects if conform.suite == "sdk" else (),
            watch_correlation_id=conform.watch_correlation_id,
            watch_timeout_seconds=conform.watch_timeout_seconds,
        )
        return _pytest(conform, settings, work_dir)


def _pytest(conform: Conform, settings: RunSettings, work_dir: Path) -> tuple[Report, int]:
    """Run the features with the step library and turn the scorecard into the report."""
    conform.report_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "run.json").write_text(settings.to_json(), encoding="utf-8")
    features = (conform.features_dir or FEATURES / SUITES[conform.suite]).resolve()
    if not features.is_dir():
        raise ConformError(f"no features directory {features}")
    module = work_dir / "test_conformance.py"
    module.write_text(f"from pytest_bdd import scenarios\n\nscenarios({str(features)!r})\n", encoding="utf-8")
    cucumber = conform.report_dir / "cucumber.json"
    selection = WATCH_TAG if conform.watch_correlation_id else f"not {WATCH_TAG}"
    arguments = [str(module), "-p", "conformance.steps", "--ktp-run", str(work_dir / "run.json"),
                 "--rootdir", str(work_dir), "-c", str(work_dir / "pytest.ini"), "-p", "no:cacheprovider",
                 "-m", selection, "--junitxml", str(conform.report_dir / "junit.xml"), "--cucumberjson", str(cucumber),
                 "-W", "ignore::DeprecationWarning", "-W", "ignore::pytest.PytestUnknownMarkWarning",
                 "-W", "ignore::pytest.PytestAssertRewriteWarning", "-q",
                 "--gherkin-terminal-reporter", "-v"]  # fmt: skip
    (work_dir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    scorecard = Scorecard()
    started, clock = datetime.now(UTC), time.monotonic()
    status = pytest.main(arguments, plugins=[scorecard])
    catalogue = () if conform.features_dir else rules_of(conform.suite)
    report = Report(
        suite=conform.suite,
        target=conform.label,
        started_at=started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        duration_seconds=time.monotonic() - clock,
        rules=outcomes(catalogue, scorecard.judgements),
        scenarios=scenarios_from_cucumber(cucumber, scorecard.attachments),
    )
    write_reports(report, conform.report_dir)
    return report, 0 if status == pytest.ExitCode.OK else 1


def _target(conform: Conform, values: dict[str, str]) -> Target | None:
    source = _target_file(conform)
    return None if source is None else load_target(source, values)


def _target_file(conform: Conform) -> Path | None:
    """The partner's target file, or the reference backend's own."""
    if conform.reference and conform.suite in TARGET_SUITES:
        return REFERENCE_TARGET
    return conform.target_file


@contextmanager
def _mock(work_dir: Path, port: int, target: Target | None) -> Iterator[str]:
    """The mock gateway, with the target's partner onboarded and fast SDK polling."""
    config = work_dir / "gateway.toml"
    partner = target.partner_toml() if target else ""
    config.write_text(f"[gateway]\npoll_after_ms = {POLL_AFTER_MS}\n\n{partner}", encoding="utf-8")
    mock_dir = work_dir / "mock"
    mock_dir.mkdir()
    with serving_gateway(mock_dir, port, config) as base_url:
        yield base_url


@contextmanager
def _backend(target: Target, work_dir: Path) -> Iterator[None]:
    """The partner's backend, started by the target's command, until the run ends."""
    log = work_dir / "backend.log"
    with log.open("w") as sink:
        process = subprocess.Popen(list(target.command), stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_until_up(target.base_url.rstrip("/") + target.ready_path, process, log)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
