"""Rule steps: judge catalogue rules against what the scenario did, record the verdicts, fail on a MUST."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pytest_bdd import parsers, then

from conformance.checks.partner_backend import PartnerRun
from conformance.checks.sdk import SdkLaunch
from conformance.evidence import Verdict, in_request_order
from conformance.plugin import KtpGateway, KtpJournal
from conformance.report import Judgement
from conformance.rules import RULES, Rule
from conformance.steps.context import RunSettings, Scorecard, World
from conformance.steps.journal import settled_entries

_RULE_ID = re.compile(r"[A-Z]+-\d+")


def rule_ids(text: str) -> list[str]:
    """`PB-01, PB-03 and PB-04` -> the ids, in order."""
    ids = _RULE_ID.findall(text)
    if not ids:
        raise ValueError(f"no rule ids in {text!r}; write them like PB-01, PB-03 and PB-09")
    return ids


def judge(scorecard: Scorecard, world: World, ids: Sequence[str], subjects: Sequence[Any]) -> None:
    """Judge each rule on every subject, record one verdict per rule, and fail the step if a MUST rule failed."""
    failures = []
    for rule in (_rule(rule_id) for rule_id in ids):
        verdict = _merge([rule.judge(subject) for subject in subjects])
        scorecard.judgements.append(Judgement(rule.id, verdict, world.name))
        if verdict.status == "fail" and rule.severity == "MUST":
            failures.append(f"{rule.id} {rule.title}:\n  " + "\n  ".join(verdict.evidence))
    assert not failures, "\n".join(failures)


@then(parsers.re(r"the partner backend follows (?P<rules>.+)"))
def partner_backend_follows(rules: str, world: World, gateway_under_test: KtpGateway, ktp_run: RunSettings,
                            ktp_scorecard: Scorecard) -> None:  # fmt: skip
    """Judge partner-backend rules (PB-xx) on this scenario's flows, callbacks and front-end answers."""
    run = PartnerRun(
        flows=tuple(world.flows),
        entries=in_request_order(settled_entries(KtpJournal(gateway_under_test))),
        frontend=tuple(world.frontend),
        forged=tuple(world.forged),
        pass_key=ktp_run.credentials.pass_key,
        faults=tuple(world.faults),
    )
    judge(ktp_scorecard, world, rule_ids(rules), [run])


@then(parsers.re(r"the SDK follows (?P<rules>.+)"))
def sdk_follows(rules: str, world: World, gateway_under_test: KtpGateway, ktp_scorecard: Scorecard) -> None:
    """Judge SDK rules (SDK-xx) on every launch of this scenario, from the journal alone."""
    journal = KtpJournal(gateway_under_test)
    launches = [
        SdkLaunch(
            correlation_id=launch.correlation_id,
            entries=in_request_order(settled_entries(journal, partnerSessionId=launch.correlation_id)),
            reported_status=launch.result.status if launch.result else None,
            reported_submission_id=launch.result.submission_id if launch.result else None,
        )
        for launch in world.launches
    ]
    assert launches, "no SDK launch in this scenario to judge"
    judge(ktp_scorecard, world, rule_ids(rules), launches)


def _rule(rule_id: str) -> Rule:
    rule = next((rule for rule in RULES if rule.id == rule_id), None)
    if rule is None:
        raise ValueError(f"unknown rule {rule_id}; `ktp-sandbox conform --list-rules` lists them")
    return rule


def _merge(verdicts: Sequence[Verdict]) -> Verdict:
    """One verdict over several subjects: any fail fails, else any pass passes, else skip."""
    for status in ("fail", "pass"):
        chosen = [verdict for verdict in verdicts if verdict.status == status]
        if chosen:
            return Verdict(status, tuple(line for verdict in chosen for line in verdict.evidence))
    return Verdict("skip", tuple(line for verdict in verdicts for line in verdict.evidence))
