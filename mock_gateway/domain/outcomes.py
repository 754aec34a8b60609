"""How an attempt ends: the four scenario triggers, strongest first, then attempts left decide RETRY or EXIT."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from mock_gateway.ocr.extraction import NIK_INCONSISTENT, OK, Extraction
from synthetic_ktp.model import API_KEYS
from synthetic_ktp.scenarios import (
    DEFAULT_SCENARIO,
    QUALITY_INSUFFICIENT,
    VALID,
    Outcome,
    Scenario,
    scenario_for_serial,
    scenario_named,
)

NIK_INCONSISTENT_OUTCOME = Outcome("COMPLETED", "INVALID", NIK_INCONSISTENT)


@dataclass(frozen=True)
class Triggers:
    """What besides the image may steer an attempt: the `x-mock-scenario` header and a control-plane override."""

    header_scenario: str | None = None
    override: dict[str, Any] | None = None  # keys: scenario, outcome, retryReason, processingDelayMs


@dataclass(frozen=True)
class Decision:
    """The attempt's outcome, and what the SDK must do next."""

    status: str  # COMPLETED | ERROR
    result: str | None
    reason_code: str | None
    next_action: str  # RETRY | EXIT
    retry_reason: str | None
    document_status: str  # VERIFIED | REJECTED | INVALID
    ktp_data: dict[str, str] | None
    trigger: str  # image | card-serial | header | override: which trigger decided
    scenario: str | None
    processing_delay_ms: int

    def to_json(self) -> dict[str, Any]:
        """Kept on the submission while a processing delay holds the outcome back."""
        return dataclasses.asdict(self)


def decide(extraction: Extraction, triggers: Triggers, attempt: int, max_attempts: int,
           default_delay_ms: int = 0) -> Decision:  # fmt: skip
    """Override > header > magic NIK serial > the image itself."""
    override = triggers.override or {}
    scenario, trigger = _scenario(extraction, triggers)
    delay = override.get("processingDelayMs")
    if delay is None:
        delay = scenario.processing_delay_ms if scenario and scenario.processing_delay_ms else default_delay_ms

    def ending(outcome: Outcome, next_action: str = "EXIT", retry_reason: str | None = None) -> Decision:
        fields = extraction.fields if outcome in (VALID, NIK_INCONSISTENT_OUTCOME) else None
        return Decision(
            status=outcome.status, result=outcome.result, reason_code=outcome.reason_code, next_action=next_action,
            retry_reason=retry_reason, document_status=_document_status(outcome), ktp_data=_ktp_data(fields),
            trigger=trigger, scenario=scenario.name if scenario else None, processing_delay_ms=int(delay),
        )  # fmt: skip

    if override.get("outcome"):
        forced = override["outcome"]
        return ending(Outcome(forced["status"], forced.get("result"), forced.get("reasonCode", "")))
    quality = override.get("retryReason") or _forced_quality(scenario, attempt)
    if quality is None and scenario is None and extraction.quality != OK:
        quality = extraction.quality
    if quality is not None:
        if attempt < max_attempts:
            return ending(QUALITY_INSUFFICIENT, "RETRY", quality)
        return ending(QUALITY_INSUFFICIENT)
    if scenario is not None:
        return ending(scenario.outcome)
    return ending(NIK_INCONSISTENT_OUTCOME if NIK_INCONSISTENT in extraction.flags else VALID)


def _scenario(extraction: Extraction, triggers: Triggers) -> tuple[Scenario | None, str]:
    """The scenario in force and the trigger that chose it; an ordinary card has none."""
    chosen = (triggers.override or {}).get("scenario")
    if chosen:
        return scenario_named(chosen), "override"
    if triggers.header_scenario:
        return scenario_named(triggers.header_scenario), "header"
    nik = extraction.fields.get("nik", "")
    if len(nik) == 16 and nik.isdigit():
        by_serial = scenario_for_serial(int(nik[-4:]))
        if by_serial is not DEFAULT_SCENARIO:
            return by_serial, "card-serial"
    return None, "image"


def _forced_quality(scenario: Scenario | None, attempt: int) -> str | None:
    if scenario is None or scenario.forced_quality is None:
        return None
    if scenario.valid_from_attempt is not None and attempt >= scenario.valid_from_attempt:
        return None
    return scenario.forced_quality


def _document_status(outcome: Outcome) -> str:
    if outcome.result == "VALID":
        return "VERIFIED"
    return "REJECTED" if outcome.result == "INVALID" else "INVALID"


def _ktp_data(fields: dict[str, str] | None) -> dict[str, str] | None:
    """Every ktpData key, empty where the card did not show it, as the real API sends them all."""
    if fields is None:
        return None
    return {key: fields.get(key, "") for key in API_KEYS.values()}
