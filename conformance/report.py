"""Conformance reports: merge judged verdicts into rule outcomes and write report.json and report.html."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import quote

from conformance.evidence import Status, Verdict
from conformance.rules import RULES, Rule

StepStatus = Literal["passed", "failed", "skipped", "undefined"]

NOT_JUDGED = "not judged in this run"
UNKNOWN_TITLE = "not in the rule catalogue"
WEIGHTS = {"MUST": 2, "SHOULD": 1}
IMAGE_MIMES = ("image/png", "image/jpeg")
VERBS = {"pass": "passed", "fail": "failed", "skip": "skipped"}


@dataclass(frozen=True)
class Judgement:
    """One rule judged in one scenario, as a step recorded it."""

    rule_id: str
    verdict: Verdict
    scenario: str  # "Feature name: Scenario name"


@dataclass(frozen=True)
class RuleOutcome:
    """A rule's merged status over the whole run, with the evidence and scenarios behind it."""

    id: str
    title: str
    severity: str
    status: Status
    evidence: tuple[str, ...]
    scenarios: tuple[str, ...]


@dataclass(frozen=True)
class Attachment:
    """A file a scenario left next to the report (a screenshot, a journal dump)."""

    name: str
    path: str  # relative to the report directory
    mime: str


@dataclass(frozen=True)
class StepOutcome:
    """One executed Gherkin step, so a failure shows where it happened."""

    keyword: str
    text: str
    status: StepStatus
    error: str | None


@dataclass(frozen=True)
class ScenarioOutcome:
    """One executed scenario with its steps and attachments."""

    feature: str
    name: str
    tags: tuple[str, ...]
    status: StepStatus
    duration_seconds: float
    steps: tuple[StepOutcome, ...]
    attachments: tuple[Attachment, ...]

    @property
    def key(self) -> str:
        """The "Feature: Scenario" name that judgements and attachments use."""
        return f"{self.feature}: {self.name}"


@dataclass(frozen=True)
class Report:
    """Everything one `conform` run reports."""

    suite: str
    target: str
    started_at: str
    duration_seconds: float
    rules: tuple[RuleOutcome, ...]
    scenarios: tuple[ScenarioOutcome, ...]

    @property
    def score(self) -> int:
        """Percent of the judged (pass or fail) rule weight that passed; MUST weighs 2, SHOULD 1.

        Skipped rules do not count. Rounded down, so 100 means no judged rule failed; 0 when nothing was judged.
        """
        judged = [rule for rule in self.rules if rule.status != "skip"]
        total = sum(WEIGHTS.get(rule.severity, 1) for rule in judged)
        passed = sum(WEIGHTS.get(rule.severity, 1) for rule in judged if rule.status == "pass")
        return 100 * passed // total if total else 0

    @property
    def must_failures(self) -> tuple[str, ...]:
        """Ids of the failed MUST rules, in report order: any of them makes the integration non-conformant."""
        return tuple(rule.id for rule in self.rules if rule.status == "fail" and rule.severity == "MUST")


def outcomes(catalogue: Sequence[Rule], judgements: Sequence[Judgement]) -> tuple[RuleOutcome, ...]:
    """One outcome per catalogue rule in catalogue order, then the rules judged outside it, in order of first judgement.

    fail beats pass beats skip; a rule nobody judged is skipped. Rules outside the catalogue take their title and
    severity from the full catalogue (RULES), or are SHOULD rules titled "not in the rule catalogue" when unknown.
    """
    known = {rule.id for rule in catalogue}
    everywhere = {rule.id: rule for rule in RULES}
    extra = dict.fromkeys(judgement.rule_id for judgement in judgements if judgement.rule_id not in known)
    heads = [(rule.id, rule.title, rule.severity) for rule in catalogue]
    for rule_id in extra:
        rule = everywhere.get(rule_id)
        heads.append((rule_id, rule.title, rule.severity) if rule else (rule_id, UNKNOWN_TITLE, "SHOULD"))
    return tuple(
        _outcome(rule_id, title, severity, [judgement for judgement in judgements if judgement.rule_id == rule_id])
        for rule_id, title, severity in heads
    )


def _outcome(rule_id: str, title: str, severity: str, judged: Sequence[Judgement]) -> RuleOutcome:
    """Merge one rule's judgements: the worst status wins and brings its evidence, each line naming its scenario."""
    scenarios = tuple(dict.fromkeys(judgement.scenario for judgement in judged))
    for status in ("fail", "pass", "skip"):
        chosen = [judgement for judgement in judged if judgement.verdict.status == status]
        if chosen:
            evidence = tuple(
                f"{judgement.scenario}: {line}"
                for judgement in chosen
                for line in judgement.verdict.evidence or (f"{status} (no evidence given)",)
            )
            return RuleOutcome(rule_id, title, severity, status, evidence, scenarios)
    return RuleOutcome(rule_id, title, severity, "skip", (NOT_JUDGED,), ())


NO_ATTACHMENTS: Mapping[str, Sequence[Attachment]] = MappingProxyType({})


def scenarios_from_cucumber(
    path: Path, attachments: Mapping[str, Sequence[Attachment]] = NO_ATTACHMENTS
) -> tuple[ScenarioOutcome, ...]:
    """Read pytest-bdd's cucumber JSON (a list of features); attachments are keyed "Feature: Scenario"."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if not text.strip():
        return ()
    return tuple(
        _scenario(feature, element, attachments) for feature in json.loads(text) for element in feature["elements"]
    )


def _scenario(
    feature: dict[str, Any], element: dict[str, Any], attachments: Mapping[str, Sequence[Attachment]]
) -> ScenarioOutcome:
    """One cucumber element; its tags include the feature's, as Gherkin tags inherit."""
    tags = tuple(dict.fromkeys(tag["name"] for tag in (*feature.get("tags", ()), *element.get("tags", ()))))
    steps = tuple(
        StepOutcome(
            step["keyword"], step["name"], step["result"]["status"], step["result"].get("error_message") or None
        )
        for step in element["steps"]
    )
    duration = sum(step["result"].get("duration", 0) for step in element["steps"]) / 1e9
    key = f"{feature['name']}: {element['name']}"
    return ScenarioOutcome(
        feature["name"], element["name"], tags, _overall(steps), duration, steps, tuple(attachments.get(key, ()))
    )


def _overall(steps: Sequence[StepOutcome]) -> StepStatus:
    """A scenario's status: its worst step's."""
    statuses = {step.status for step in steps}
    return next((status for status in ("failed", "undefined", "skipped") if status in statuses), "passed")


def write_reports(report: Report, directory: Path) -> None:
    """Write report.json (for machines) and report.html (for people) into directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(
        json.dumps(_as_json(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (directory / "report.html").write_text(_as_html(report), encoding="utf-8")


def _as_json(report: Report) -> dict[str, Any]:
    """The report.json document: the stable core keys first, then the details."""
    return {
        "suite": report.suite,
        "score": report.score,
        "rules": [
            {"id": r.id, "title": r.title, "severity": r.severity, "status": r.status, "evidence": list(r.evidence)}
            for r in report.rules
        ],
        "target": report.target,
        "startedAt": report.started_at,
        "durationSeconds": round(report.duration_seconds, 3),
        "mustFailures": list(report.must_failures),
        "scenarios": [
            {
                "feature": s.feature,
                "name": s.name,
                "status": s.status,
                "durationSeconds": round(s.duration_seconds, 3),
                "tags": list(s.tags),
                "steps": [
                    {"keyword": t.keyword, "text": t.text, "status": t.status, "error": t.error} for t in s.steps
                ],
                "attachments": [{"name": a.name, "path": a.path, "mime": a.mime} for a in s.attachments],
            }
            for s in report.scenarios
        ],
    }


CSS = """
:root { color-scheme: light dark; --bg: #fff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --pass-bg: #dafbe1; --pass-fg: #116329; --fail-bg: #ffebe9; --fail-fg: #a40e26;
  --skip-bg: #eff2f5; --skip-fg: #3d444d; --row-fail: #fff6f5; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d;
    --pass-bg: #04260f; --pass-fg: #7ee787; --fail-bg: #3c0a0e; --fail-fg: #ffa198;
    --skip-bg: #212830; --skip-fg: #c9d1d9; --row-fail: #25080b; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 75rem; padding: 1rem; background: var(--bg); color: var(--fg);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
a { color: inherit; }
h1 { margin: 0 0 .25rem; font-size: 1.5rem; }
.meta { color: var(--muted); margin: 0 0 1rem; }
.summary { display: flex; flex-wrap: wrap; gap: 1rem 2rem; align-items: center; margin-bottom: 1.5rem; }
.score { margin: 0; font-size: 3.5rem; font-weight: 800; line-height: 1; }
.score small { display: block; font-size: .9rem; font-weight: 400; color: var(--muted); }
.counts { margin: 0; padding: 0; list-style: none; }
.must.failing { border-left: .3rem solid var(--fail-fg); padding-left: .75rem; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: 700; padding: .5rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .45rem .5rem; text-align: left; vertical-align: top; }
thead th { border-bottom-width: 2px; }
tr.row-fail { background: var(--row-fail); }
tr.row-fail th { border-left: .3rem solid var(--fail-fg); }
td ul, details ul { margin: 0; padding-left: 1.1rem; }
td, li, pre { overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .45em; border: 1px solid currentColor; border-radius: .3em;
  font-size: .8rem; font-weight: 700; letter-spacing: .03em; white-space: nowrap; }
.pass, .passed { background: var(--pass-bg); color: var(--pass-fg); }
.fail, .failed, .undefined { background: var(--fail-bg); color: var(--fail-fg); }
.skip, .skipped { background: var(--skip-bg); color: var(--skip-fg); }
details { border: 1px solid var(--line); border-radius: .4rem; padding: .5rem .75rem; margin: .5rem 0; }
details.scenario-failed { border-color: var(--fail-fg); }
summary { cursor: pointer; }
.muted { color: var(--muted); }
ol.steps { padding-left: 1.5rem; }
pre { white-space: pre-wrap; font-size: .8rem; background: var(--skip-bg); color: var(--fg); padding: .5rem;
  border-radius: .3rem; max-height: 30rem; overflow: auto; }
figure { display: inline-block; margin: .5rem 1rem .5rem 0; max-width: 100%; }
img { max-width: min(100%, 24rem); height: auto; border: 1px solid var(--line); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
@media (max-width: 40rem) {
  .rules thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .rules tr, .rules th, .rules td { display: block; }
  .rules tr { border-bottom: 2px solid var(--line); padding: .25rem 0; }
  .rules th, .rules td { border: 0; padding: .15rem .5rem; }
  .rules td::before { content: attr(data-label) ": "; font-weight: 700; }
}
"""

GLYPHS = {"pass": "✓", "passed": "✓", "fail": "✗", "failed": "✗", "undefined": "?", "skip": "–", "skipped": "–"}


def _badge(status: str) -> str:
    """A status as text plus a glyph, so colour is never the only signal."""
    glyph = GLYPHS.get(status, "")
    return (
        f'<span class="badge {escape(status)}"><span aria-hidden="true">{glyph} </span>{escape(status.upper())}</span>'
    )


def _rules(count: int) -> str:
    """'1 rule', '2 rules'."""
    return f"{count} rule" if count == 1 else f"{count} rules"


def _as_html(report: Report) -> str:
    """One self-contained page: summary, rules table, then each scenario."""
    title = f"{report.suite} conformance: {report.score}%"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="color-scheme" content="light dark">',
            f"<title>{escape(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            _summary(report),
            _rules_table(report),
            _scenarios(report),
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _summary(report: Report) -> str:
    """Header: what ran against what, when, the score and the MUST failures."""
    counts = Counter(rule.status for rule in report.rules)
    tally = "".join(f"<li>{_badge(status)} {_rules(counts[status])} {word}</li>" for status, word in VERBS.items())
    rows = {rule.id: index for index, rule in enumerate(report.rules, 1)}
    must = report.must_failures
    must_html = (
        "<ul>"
        + "".join(f'<li><a href="#rule-{rows[rule_id]}">{escape(rule_id)}</a></li>' for rule_id in must)
        + "</ul>"
        if must
        else "<p>None.</p>"
    )
    return (
        "<header>"
        f"<h1>Conformance report: {escape(report.suite)}</h1>"
        f'<p class="meta">Target <strong>{escape(report.target)}</strong> · started '
        f'<time datetime="{escape(report.started_at)}">{escape(report.started_at)}</time> · '
        f"took {report.duration_seconds:.1f} s</p>"
        '<div class="summary">'
        f'<p class="score">{report.score}%<small>conformance score (pass ÷ judged; MUST weighs 2, SHOULD 1)</small></p>'
        f'<ul class="counts">{tally}</ul>'
        f'<section class="must{" failing" if must else ""}" aria-labelledby="must-title">'
        f'<h2 id="must-title">MUST failures ({len(must)})</h2>'
        f"{must_html}</section>"
        "</div>"
        "</header>"
    )


def _rules_table(report: Report) -> str:
    """The rules in catalogue order; failed rows carry a marked border and tint."""
    anchors: dict[str, str] = {}
    for index, scenario in enumerate(report.scenarios, 1):
        anchors.setdefault(scenario.key, f"scenario-{index}")
    rows = "".join(_rule_row(index, rule, anchors) for index, rule in enumerate(report.rules, 1))
    return (
        '<section aria-labelledby="rules-title"><h2 id="rules-title">Rules</h2>'
        '<table class="rules"><caption class="visually-hidden">Each rule, its status, evidence and scenarios</caption>'
        '<thead><tr><th scope="col">Rule</th><th scope="col">Title</th><th scope="col">Severity</th>'
        '<th scope="col">Status</th><th scope="col">Evidence</th><th scope="col">Judged in</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _rule_row(index: int, rule: RuleOutcome, anchors: Mapping[str, str]) -> str:
    """One rules-table row."""
    evidence = "".join(f"<li>{escape(line)}</li>" for line in rule.evidence)
    judged_in = "".join(
        f'<li><a href="#{anchors[name]}">{escape(name)}</a></li>' if name in anchors else f"<li>{escape(name)}</li>"
        for name in rule.scenarios
    )
    return (
        f'<tr id="rule-{index}" class="row-{escape(rule.status)}">'
        f'<th scope="row">{escape(rule.id)}</th>'
        f'<td data-label="Title">{escape(rule.title)}</td>'
        f'<td data-label="Severity">{escape(rule.severity)}</td>'
        f'<td data-label="Status">{_badge(rule.status)}</td>'
        f'<td data-label="Evidence"><ul>{evidence}</ul></td>'
        f'<td data-label="Judged in">{f"<ul>{judged_in}</ul>" if judged_in else "—"}</td>'
        "</tr>"
    )


def _scenarios(report: Report) -> str:
    """Every scenario as a <details>, open when it failed."""
    counts = Counter(scenario.status for scenario in report.scenarios)
    tally = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    body = "".join(_scenario_html(scenario, f"scenario-{index}") for index, scenario in enumerate(report.scenarios, 1))
    return (
        '<section aria-labelledby="scenarios-title">'
        f'<h2 id="scenarios-title">Scenarios ({len(report.scenarios)}{": " + tally if tally else ""})</h2>'
        f"{body or '<p>No scenario ran.</p>'}</section>"
    )


def _scenario_html(scenario: ScenarioOutcome, anchor: str) -> str:
    """One scenario: its steps with errors, then its attachments."""
    tags = " ".join(f"@{escape(tag)}" for tag in scenario.tags)
    steps = "".join(
        f"<li>{_badge(step.status)} <strong>{escape(step.keyword)}</strong> {escape(step.text)}"
        + (f"<pre>{escape(step.error)}</pre>" if step.error else "")
        + "</li>"
        for step in scenario.steps
    )
    opened = " open" if scenario.status == "failed" else ""
    return (
        f'<details id="{anchor}" class="scenario-{escape(scenario.status)}"{opened}>'
        f"<summary>{_badge(scenario.status)} {escape(scenario.feature)}: <strong>{escape(scenario.name)}</strong> "
        f'<span class="muted">{scenario.duration_seconds:.3f} s {tags}</span></summary>'
        f'<ol class="steps">{steps}</ol>{_attachments(scenario.attachments)}</details>'
    )


def _attachments(attachments: Sequence[Attachment]) -> str:
    """Images inline with a caption, anything else as a link; paths stay relative to the report."""
    if not attachments:
        return ""
    figures = "".join(
        f'<figure><a href="{escape(quote(a.path))}"><img src="{escape(quote(a.path))}" alt="{escape(a.name)}"></a>'
        f"<figcaption>{escape(a.name)}</figcaption></figure>"
        for a in attachments
        if a.mime in IMAGE_MIMES
    )
    links = "".join(
        f'<li><a href="{escape(quote(a.path))}">{escape(a.name)}</a> <span class="muted">({escape(a.mime)})</span></li>'
        for a in attachments
        if a.mime not in IMAGE_MIMES
    )
    return f"<h3>Attachments</h3>{figures}{f'<ul>{links}</ul>' if links else ''}"
