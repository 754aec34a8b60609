"""Magic NIK serials: a card whose serial falls in a range drives the gateway to a documented outcome.

This is the single table both the generator (`--scenario NAME`) and the mock gateway read, so a real
SDK build reaches every outcome just by pointing its camera at the right synthetic card.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """A submission's terminal state as the gateway reports it."""

    status: str  # COMPLETED | ERROR
    result: str | None  # VALID | INVALID | None for ERROR
    reason_code: str  # "" when VALID

    def to_json(self) -> dict[str, str | None]:
        """The manifest's `expected.outcome` object."""
        return {"status": self.status, "result": self.result, "reasonCode": self.reason_code}


VALID = Outcome("COMPLETED", "VALID", "")
QUALITY_INSUFFICIENT = Outcome("COMPLETED", "INVALID", "IMAGE_QUALITY_INSUFFICIENT")


@dataclass(frozen=True)
class Scenario:
    """What the gateway does with a card whose NIK serial lies in `serials`."""

    name: str
    serials: range
    outcome: Outcome
    description: str
    forced_quality: str | None = None  # retryReason forced on every attempt that is not excused below
    valid_from_attempt: int | None = None  # attempt number from which the forced quality stops
    processing_delay_ms: int = 0

    @property
    def serial_range(self) -> str:
        """The range as printed by the CLI and the README, e.g. `9001-9099`."""
        return f"{self.serials.start:04d}-{self.serials.stop - 1:04d}"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("valid", range(1, 9000), VALID, "ordinary card: read, checked, COMPLETED / VALID"),
    Scenario("not-ektp", range(9001, 9100), Outcome("COMPLETED", "INVALID", "NOT_EKTP"),
             "the card is judged not to be an e-KTP"),
    Scenario("nik-inconsistent", range(9101, 9200), Outcome("COMPLETED", "INVALID", "NIK_INCONSISTENT"),
             "the NIK is judged inconsistent with the printed fields"),
    Scenario("image-quality", range(9201, 9300), QUALITY_INSUFFICIENT,
             "rejected at once for image quality, with no retry"),
    Scenario("system-error", range(9301, 9400), Outcome("ERROR", None, "SYSTEM_ERROR"),
             "processing fails with a system error"),
    Scenario("slow", range(9401, 9500), VALID, "COMPLETED / VALID after 30 s of processing",
             processing_delay_ms=30_000),
    Scenario("retry-glare", range(9501, 9600), QUALITY_INSUFFICIENT,
             "every attempt answers RETRY / GLARE_DETECTED until the attempts run out",
             forced_quality="GLARE_DETECTED"),
    Scenario("retry-blur", range(9601, 9700), QUALITY_INSUFFICIENT,
             "every attempt answers RETRY / BLUR_DETECTED until the attempts run out",
             forced_quality="BLUR_DETECTED"),
    Scenario("retry-obstruction", range(9701, 9800), QUALITY_INSUFFICIENT,
             "every attempt answers RETRY / OBSTRUCTION_DETECTED until the attempts run out",
             forced_quality="OBSTRUCTION_DETECTED"),
    Scenario("retry-then-valid", range(9801, 9900), VALID,
             "the first attempt answers RETRY / GLARE_DETECTED, the second completes VALID",
             forced_quality="GLARE_DETECTED", valid_from_attempt=2),
)  # fmt: skip

SCENARIO_NAMES: tuple[str, ...] = tuple(scenario.name for scenario in SCENARIOS)
DEFAULT_SCENARIO = SCENARIOS[0]


def scenario_named(name: str) -> Scenario:
    """Look a scenario up by its CLI name."""
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIO_NAMES)}")


def scenario_for_serial(serial: int) -> Scenario:
    """The scenario a NIK serial selects; serials outside every range (0000, 9900-9999) are ordinary."""
    for scenario in SCENARIOS:
        if serial in scenario.serials:
            return scenario
    return DEFAULT_SCENARIO
