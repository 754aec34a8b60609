"""Control plane: health (open to anyone) and reset (the caller's own records, or everything for the admin)."""

from __future__ import annotations

import time

from mock_gateway.handlers.context import sandbox
from mock_gateway.handlers.control import owner
from mock_gateway.handlers.envelope import ok
from mock_gateway.version import package_version


def health() -> tuple[dict, int]:
    """GET /__mock/health: up, which version, and how much work is waiting."""
    box = sandbox()
    return ok({
        "status": "ok",
        "version": package_version(),
        "uptimeSeconds": round(time.monotonic() - box.started_at, 1),
        "queue": box.records.queue_counts(),
        "callbacks": {"pending": box.dispatcher.pending_count()},
    })  # fmt: skip


def reset() -> tuple[dict, int]:
    """POST /__mock/reset: a partner starts over without touching anyone else's records."""
    return ok(sandbox().reset(owner()))

