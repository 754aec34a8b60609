"""Conformance reports: merging verdicts, the score, report.json, report.html and reading pytest-bdd's cucumber JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.evidence import Verdict
from conformance.report import (
    Attachment,
    Judgement,
    Report,
    RuleOutcome,
    ScenarioOutcome,
    StepOutcome,
    outcomes,
    scenarios_from_cucumber,
    write_reports,
)
from conformance.rules import Rule


def never(_subject: object) -> Verdict:
    """A check these tests never run: outcomes() only reads the catalogue's ids, titles and severities."""
    raise AssertionError("not run")


CATALOGUE = (
    Rule("T-01", "Says hello", "MUST", "t", never),
    Rule("T-02", "Waits <politely>", "SHOULD", "t", never),
    Rule("T-03", "Never judged", "MUST", "t", never),
)
JUDGEMENTS = (
    Judgement("T-01", Verdict("pass", ("#1 GET /hello -> 200",)), "Greeting: Happy"),
    Judgement("T-01", Verdict("fail", ("#4 GET /hello -> 500", "<script>alert(1)</script>")), "Greeting: Rude"),
    Judgement("T-02", Verdict("pass", ("waited 2 s; see https://example.test/docs",)), "Greeting: Happy"),
)
HAPPY = ScenarioOutcome(
    feature="Greeting",
    name="Happy",
    tags=("smoke",),
    status="passed",
    duration_seconds=0.1234,
    steps=(StepOutcome("Given", "a gateway in Bandung, Jawa Barat — ü", "passed", None),),
    attachments=(Attachment("The card", "shots/card.png", "image/png"),),
)
RUDE = ScenarioOutcome(
    feature="Greeting",
    name="Rude",
    tags=(),
    status="failed",
    duration_seconds=2.0,
    steps=(
        StepOutcome("Given", "a gateway", "passed", None),
        StepOutcome("Then", "it says hello", "failed", "AssertionError: 500 <b>"),
    ),
    attachments=(Attachment("Journal", "logs/journal.json", "application/json"),),
)


def sample_report() -> Report:
    """T-01 (MUST) fails, T-02 (SHOULD) passes, T-03 (MUST) was never judged."""
    return Report(
        suite="t",
        target="reference --defect no-retry",
        started_at="2025-01-02T03:04:05+00:00",
        duration_seconds=1.23456,
        rules=outcomes(CATALOGUE, JUDGEMENTS),
        scenarios=(HAPPY, RUDE),
    )


def rule(rule_id: str, severity: str, status: str) -> RuleOutcome:
    """An outcome for score arithmetic."""
    return RuleOutcome(rule_id, "", severity, status, (), ())  # type: ignore[arg-type]


def report_of(*rules: RuleOutcome) -> Report:
    """A report that only has rules."""
    return Report("t", "reference", "2025-01-02T03:04:05+00:00", 0.0, rules, ())


def test_fail_beats_pass_and_a_never_judged_rule_is_skipped() -> None:
    assert outcomes(CATALOGUE, JUDGEMENTS) == (
        RuleOutcome(
            "T-01",
            "Says hello",
            "MUST",
            "fail",
            ("Greeting: Rude: #4 GET /hello -> 500", "Greeting: Rude: <script>alert(1)</script>"),
            ("Greeting: Happy", "Greeting: Rude"),
        ),
        RuleOutcome(
            "T-02",
            "Waits <politely>",
            "SHOULD",
            "pass",
            ("Greeting: Happy: waited 2 s; see https://example.test/docs",),
            ("Greeting: Happy",),
        ),
        RuleOutcome("T-03", "Never judged", "MUST", "skip", ("not judged in this run",), ()),
    )


def test_skips_alone_keep_their_evidence_and_rules_outside_the_catalogue_come_after() -> None:
    judged = outcomes(
        CATALOGUE[:1],
        (
            Judgement("ZZ-99", Verdict("fail", ("made up",)), "QA: Odd"),
            Judgement("T-01", Verdict("skip", ("no SDK under test",)), "Greeting: Happy"),
            Judgement("SDK-05", Verdict("pass", ("#9 GET /status -> 401",)), "QA: Expired token"),
        ),
    )
    assert judged == (
        RuleOutcome(
            "T-01", "Says hello", "MUST", "skip", ("Greeting: Happy: no SDK under test",), ("Greeting: Happy",)
        ),
        RuleOutcome("ZZ-99", "not in the rule catalogue", "SHOULD", "fail", ("QA: Odd: made up",), ("QA: Odd",)),
        RuleOutcome(
            "SDK-05",
            "On 401 ends with an error result and does not loop",
            "MUST",
            "pass",
            ("QA: Expired token: #9 GET /status -> 401",),
            ("QA: Expired token",),
        ),
    )


def test_score_weighs_must_twice_ignores_skips_and_rounds_down() -> None:
    # passed weight 2 (MUST) + 1 (SHOULD) = 3 of judged 2 + 2 + 1 + 1 = 6; the skip does not count
    mixed = report_of(
        rule("A", "MUST", "pass"),
        rule("B", "MUST", "fail"),
        rule("C", "SHOULD", "pass"),
        rule("D", "SHOULD", "fail"),
        rule("E", "MUST", "skip"),
    )
    assert mixed.score == 50
    assert mixed.must_failures == ("B",)
    assert report_of(rule("A", "MUST", "pass"), rule("B", "SHOULD", "fail")).score == 66  # 2/3, not rounded up to 67
    assert sample_report().score == 33  # T-02 (1) of T-01 + T-02 (3)
    assert report_of(rule("A", "MUST", "skip")).score == 0
    assert report_of().score == 0


def test_report_json_has_exactly_the_documented_keys_and_values(tmp_path: Path) -> None:
    write_reports(sample_report(), tmp_path / "out")
    raw = (tmp_path / "out" / "report.json").read_bytes()
    assert "ü".encode() in raw  # UTF-8, not \\u escapes
    data = json.loads(raw)
    assert list(data) == [
        "suite",
        "score",
        "rules",
        "target",
        "startedAt",
        "durationSeconds",
        "mustFailures",
        "scenarios",
    ]
    assert data == {
        "suite": "t",
        "score": 33,
        "rules": [
            {
                "id": "T-01",
                "title": "Says hello",
                "severity": "MUST",
                "status": "fail",
                "evidence": ["Greeting: Rude: #4 GET /hello -> 500", "Greeting: Rude: <script>alert(1)</script>"],
            },
            {
                "id": "T-02",
                "title": "Waits <politely>",
                "severity": "SHOULD",
                "status": "pass",
                "evidence": ["Greeting: Happy: waited 2 s; see https://example.test/docs"],
            },
            {
                "id": "T-03",
                "title": "Never judged",
                "severity": "MUST",
                "status": "skip",
                "evidence": ["not judged in this run"],
            },
        ],
        "target": "reference --defect no-retry",
        "startedAt": "2025-01-02T03:04:05+00:00",
        "durationSeconds": 1.235,
        "mustFailures": ["T-01"],
        "scenarios": [
            {
                "feature": "Greeting",
                "name": "Happy",
                "status": "passed",
                "durationSeconds": 0.123,
                "tags": ["smoke"],
                "steps": [
                    {
                        "keyword": "Given",
                        "text": "a gateway in Bandung, Jawa Barat — ü",
                        "status": "passed",
                        "error": None,
                    }
                ],
                "attachments": [{"name": "The card", "path": "shots/card.png", "mime": "image/png"}],
            },
            {
                "feature": "Greeting",
                "name": "Rude",
                "status": "failed",
                "durationSeconds": 2.0,
                "tags": [],
                "steps": [
                    {"keyword": "Given", "text": "a gateway", "status": "passed", "error": None},
                    {
                        "keyword": "Then",
                        "text": "it says hello",
                        "status": "failed",
                        "error": "AssertionError: 500 <b>",
                    },
                ],
                "attachments": [{"name": "Journal", "path": "logs/journal.json", "mime": "application/json"}],
            },
        ],
    }
    assert list(data["rules"][0]) == ["id", "title", "severity", "status", "evidence"]


@pytest.fixture
def page(tmp_path: Path) -> str:
    """The sample report's HTML."""
    write_reports(sample_report(), tmp_path)
    return (tmp_path / "report.html").read_text(encoding="utf-8")


def test_html_escapes_everything_it_shows(page: str) -> None:
    assert "<script>" not in page
    assert "Greeting: Rude: &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Waits &lt;politely&gt;" in page
    assert "AssertionError: 500 &lt;b&gt;" in page


def test_html_shows_the_score_counts_and_must_failures(page: str) -> None:
    assert '<p class="score">33%<small>' in page
    assert "1 rule passed" in page
    assert "1 rule failed" in page
    assert "1 rule skipped" in page
    assert '<h2 id="must-title">MUST failures (1)</h2><ul><li><a href="#rule-1">T-01</a></li></ul>' in page
    assert '<tr id="rule-1" class="row-fail"><th scope="row">T-01</th>' in page


def test_html_is_self_contained(page: str) -> None:
    assert "https://example.test/docs" in page  # evidence text is shown as text...
    rest = page.replace("https://example.test/docs", "")
    assert "http://" not in rest  # ...and nothing else points off the page
    assert "https://" not in rest
    assert "<script" not in rest


def test_failed_scenarios_are_open_and_attachments_are_shown(page: str) -> None:
    assert re.findall(r"<details[^>]*>", page) == [
        '<details id="scenario-1" class="scenario-passed">',
        '<details id="scenario-2" class="scenario-failed" open>',
    ]
    assert '<img src="shots/card.png" alt="The card">' in page
    assert "<figcaption>The card</figcaption>" in page
    assert '<a href="logs/journal.json">Journal</a>' in page
    assert '<a href="#scenario-2">Greeting: Rude</a>' in page  # the rules table links to the scenarios that judged


FEATURE = """\
@smoke
Feature: Adding
  @happy
  Scenario: Adding works
    Given a number 2
    When I add 3
    Then I get 5

  Scenario: Adding is broken
    Given a number 2
    When I add 3
    Then I get 6
"""
STEPS = """\
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("adding.feature")


@given(parsers.parse("a number {n:d}"), target_fixture="box")
def _(n):
    return [n]


@when(parsers.parse("I add {n:d}"))
def _(box, n):
    box[0] += n


@then(parsers.parse("I get {n:d}"))
def _(box, n):
    assert box[0] == n, f"the sum is {box[0]}"
"""


@pytest.fixture(scope="module")
def cucumber(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cucumber JSON of a real pytest-bdd run of two scenarios, one passing and one failing."""
    root = tmp_path_factory.mktemp("bdd")
    (root / "adding.feature").write_text(FEATURE, encoding="utf-8")
    (root / "test_adding.py").write_text(STEPS, encoding="utf-8")
    (root / "pytest.ini").write_text("[pytest]\nmarkers =\n    smoke\n    happy\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:ktp_sandbox",
         "--cucumberjson=cucumber.json", "test_adding.py"],
        cwd=root, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr  # exactly "some tests failed"
    return root / "cucumber.json"


def test_scenarios_from_cucumber_reads_a_real_pytest_bdd_run(cucumber: Path) -> None:
    shot = Attachment("Sum", "shots/sum.png", "image/png")
    works, broken = scenarios_from_cucumber(cucumber, {"Adding: Adding is broken": [shot]})
    assert (works.feature, works.name, works.tags, works.status, works.attachments) == (
        "Adding",
        "Adding works",
        ("smoke", "happy"),
        "passed",
        (),
    )
    assert works.steps == (
        StepOutcome("Given", "a number 2", "passed", None),
        StepOutcome("When", "I add 3", "passed", None),
        StepOutcome("Then", "I get 5", "passed", None),
    )
    assert 0 < works.duration_seconds < 5
    assert (broken.name, broken.tags, broken.status, broken.attachments) == (
        "Adding is broken",
        ("smoke",),
        "failed",
        (shot,),
    )
    assert [(step.text, step.status) for step in broken.steps] == [
        ("a number 2", "passed"),
        ("I add 3", "passed"),
        ("I get 6", "failed"),
    ]
    assert broken.steps[0].error is None
    assert "AssertionError: the sum is 5" in (broken.steps[2].error or "")


def test_a_missing_or_empty_cucumber_file_has_no_scenarios(tmp_path: Path) -> None:
    assert scenarios_from_cucumber(tmp_path / "absent.json") == ()
    (tmp_path / "empty.json").write_text("", encoding="utf-8")
    assert scenarios_from_cucumber(tmp_path / "empty.json") == ()
