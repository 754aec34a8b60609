"""SDK rules judge a launch from the journal alone: the reference SDK passes all, each defect fails only its rule."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance.checks.sdk import SdkLaunch
from conformance.evidence import Verdict
from conformance.reference.sdk_simulator import DEFECTS
from conformance.rules import rules_of
from tests.gateway_support import Gateway, card
from tests.sdk_support import Launch, fault_on_presigned

SDK_RULES = rules_of("sdk")


@dataclass(frozen=True)
class Scenario:
    """One launch setting, and the rules it exercises (the others do not apply to it)."""

    name: str
    captures: tuple[tuple[int, str | None], ...]  # (seed, scenario) of each capture
    rules: tuple[str, ...]
    fault: dict | None = None
    times: int | None = None


SCENARIOS = (
    Scenario("happy", ((61, None),), ("SDK-01", "SDK-02", "SDK-03", "SDK-07")),
    Scenario("retry", ((62, "retry-glare"), (63, None)), ("SDK-01", "SDK-02", "SDK-03", "SDK-04", "SDK-07")),
    Scenario("unauthorized", ((61, None),), ("SDK-01", "SDK-05"), fault={"expireToken": True}),
    Scenario("storm", ((61, None),), ("SDK-01", "SDK-06", "SDK-07"), fault={"status": 503}, times=2),
)


def judge(gateway: Gateway, scenario: Scenario, defects: frozenset[str], tag: str) -> dict[str, Verdict]:
    """Run one launch and judge the scenario's rules from the journal, as the suite will."""
    session_id = f"{tag}-{scenario.name}"
    if scenario.fault:
        fault_on_presigned(gateway, session_id, scenario.fault, scenario.times)
    launch = Launch(gateway, session_id, [card(seed, name).jpeg for seed, name in scenario.captures], defects)
    result = launch.run()
    subject = SdkLaunch(session_id, tuple(entry.to_json() for entry in launch.traffic()), result.status,
                        result.submission_id)  # fmt: skip
    return {rule.id: rule.judge(subject) for rule in SDK_RULES if rule.id in scenario.rules}


def failing(gateway: Gateway, defects: frozenset[str], tag: str) -> dict[str, tuple[str, ...]]:
    """Every failed rule over all scenarios, with its evidence."""
    failed: dict[str, tuple[str, ...]] = {}
    for scenario in SCENARIOS:
        for rule_id, verdict in judge(gateway, scenario, defects, tag).items():
            if verdict.status == "fail":
                failed[rule_id] = failed.get(rule_id, ()) + verdict.evidence
    return failed


def test_the_reference_sdk_passes_every_sdk_rule(gateway: Gateway) -> None:
    statuses: dict[str, set[str]] = {}
    for scenario in SCENARIOS:
        for rule_id, verdict in judge(gateway, scenario, frozenset(), "clean").items():
            statuses.setdefault(rule_id, set()).add(verdict.status)
    assert statuses == {rule.id: {"pass"} for rule in SDK_RULES}


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_each_defect_fails_exactly_its_rule_with_evidence_naming_the_request(gateway: Gateway, defect: str) -> None:
    failed = failing(gateway, frozenset({defect}), defect)
    assert set(failed) == {DEFECTS[defect]}
    assert all(line.startswith(("#", "reported")) for line in failed[DEFECTS[defect]]), failed


def test_evidence_names_the_offending_poll(gateway: Gateway) -> None:
    verdicts = judge(gateway, SCENARIOS[0], frozenset({"poll-too-fast"}), "evidence")
    evidence = verdicts["SDK-03"].evidence[0]
    assert evidence.startswith("#") and " GET /coe/v1/submissions/" in evidence and "/status -> 200: 50 ms" in evidence
    assert evidence.endswith("pollAfterMs was 1000")
