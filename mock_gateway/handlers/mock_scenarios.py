"""Control plane: scenario overrides, each pinned to the partner that created it."""

from __future__ import annotations

from mock_gateway.handlers.context import sandbox
from mock_gateway.handlers.control import not_found, owner
from mock_gateway.handlers.envelope import ok
from mock_gateway.handlers.problems import ControlPlaneError

EFFECTS = ("scenario", "outcome", "retryReason", "processingDelayMs", "fault", "callback")


def create_scenario(body: dict) -> tuple[dict, int]:
    """POST /__mock/scenarios: an override that would change nothing is refused rather than stored."""
    if not any(body.get(effect) not in (None, {}) for effect in EFFECTS):
        raise ControlPlaneError(400, f"an override needs at least one non-empty effect: {', '.join(EFFECTS)}")
    return ok(sandbox().overrides.create(body, owner()).to_json(), 201)


def list_scenarios() -> tuple[list, int]:
    """GET /__mock/scenarios: the caller's active overrides, oldest first."""
    return ok([override.to_json() for override in sandbox().overrides.list(owner())])


def clear_scenarios() -> tuple[dict, int]:
    """DELETE /__mock/scenarios: the caller's overrides only."""
    return ok({"deleted": sandbox().overrides.clear(owner())})


def delete_scenario(scenarioId: str) -> tuple[dict, int]:  # noqa: N803 (the path name)
    """DELETE /__mock/scenarios/{scenarioId}: another partner's override is as unknown as a missing one."""
    if not sandbox().overrides.delete(scenarioId, owner()):
        raise not_found("scenario override", scenarioId)
    return ok({"deleted": 1})
