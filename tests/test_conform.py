"""`ktp-sandbox conform` end to end: the references pass every rule, and every defect switch fails exactly its rule.

Each run is a real subprocess (mock gateway, reference backend, pytest-bdd) writing its reports, the way a
partner's CI would call it. The runs are independent, so they go three at a time.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from conformance.rules import rules_of
from conformance.runner import DEFECTS

pytestmark = pytest.mark.slow
# The partner-web switches drive Chromium; tests/test_conform_web.py sweeps them.
SWEPT = {defect: owner for defect, owner in DEFECTS.items() if owner[0] in ("partner-backend", "sdk")}
KTP_SANDBOX = str(Path(sys.executable).parent / "ktp-sandbox")
NAMES_A_REQUEST = re.compile(r"\b(GET|POST|PUT|PATCH) \S+ -> (\d{3}|None)")
PARALLEL_RUNS = 3


@dataclass(frozen=True)
class Run:
    """One `ktp-sandbox conform` invocation and what it left behind."""

    exit_status: int
    output: str
    report_dir: Path

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "report.json").read_text())

    def statuses(self) -> dict[str, str]:
        return {rule["id"]: rule["status"] for rule in self.report["rules"]}

    def failed(self) -> dict[str, list[str]]:
        return {rule["id"]: rule["evidence"] for rule in self.report["rules"] if rule["status"] == "fail"}


def conform(report_dir: Path, *arguments: str) -> Run:
    """Run the CLI; its output is kept for the assertion messages."""
    command = [KTP_SANDBOX, "conform", *arguments, "--report", str(report_dir)]
    process = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600)
    return Run(process.returncode, process.stdout[-4000:] + process.stderr[-4000:], report_dir)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """The reference of each suite, and each defect switch on its own."""
    root = tmp_path_factory.mktemp("conform")
    jobs = {"partner-backend": ("--suite", "partner-backend", "--reference"),
            "sdk": ("--suite", "sdk", "--reference")}  # fmt: skip
    jobs |= {defect: ("--suite", suite, "--reference", "--defect", defect) for defect, (suite, _) in SWEPT.items()}
    with ThreadPoolExecutor(PARALLEL_RUNS) as pool:
        futures = {name: pool.submit(conform, root / name, *arguments) for name, arguments in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("suite", ["partner-backend", "sdk"])
def test_the_reference_passes_every_rule_of_its_suite(runs: dict[str, Run], suite: str) -> None:
    run = runs[suite]
    assert run.exit_status == 0, run.output
    assert run.statuses() == {rule.id: "pass" for rule in rules_of(suite)}, run.output
    assert run.report["score"] == 100 and run.report["mustFailures"] == []


def test_a_partner_backend_run_takes_under_a_minute(runs: dict[str, Run]) -> None:
    assert runs["partner-backend"].report["durationSeconds"] < 60


@pytest.mark.parametrize("defect", list(SWEPT))
def test_each_defect_fails_exactly_its_rule_with_evidence_naming_the_request(runs: dict[str, Run],
                                                                              defect: str) -> None:  # fmt: skip
    run = runs[defect]
    suite, rule = SWEPT[defect]
    assert set(run.failed()) == {rule}, run.output
    assert all(NAMES_A_REQUEST.search(line) for line in run.failed()[rule]), run.failed()[rule]
    severity = next(r.severity for r in rules_of(suite) if r.id == rule)
    assert run.exit_status == (1 if severity == "MUST" else 0), run.output
    assert run.report["mustFailures"] == ([rule] if severity == "MUST" else [])


def test_a_run_writes_json_junit_cucumber_and_html(runs: dict[str, Run]) -> None:
    report_dir = runs["token-per-flow"].report_dir
    cases = list(ElementTree.parse(report_dir / "junit.xml").getroot().iter("testcase"))
    failed = [case.get("name") for case in cases if case.find("failure") is not None]
    assert failed == ["test_five_users_verify_their_ktp"] and len(cases) == 9
    cucumber = json.loads((report_dir / "cucumber.json").read_text())
    assert {feature["name"] for feature in cucumber} >= {"Verified sign-ups", "Callback handling"}
    html = (report_dir / "report.html").read_text()
    assert "PB-01" in html and str(runs["token-per-flow"].report["score"]) in html
