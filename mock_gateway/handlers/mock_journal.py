"""Control plane: query, count, verify, export and clear the journal, always within the caller's own entries."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connexion import request
from connexion.lifecycle import ConnexionResponse

from mock_gateway.handlers.context import sandbox
from mock_gateway.handlers.control import owner
from mock_gateway.handlers.envelope import ok
from mock_gateway.handlers.problems import ControlPlaneError
from mock_gateway.journal import JournalFilter

# camelCase query parameter / `where` key → JournalFilter field
FILTER_FIELDS = {
    "kind": "kind", "operation": "operation", "method": "method", "path": "path", "status": "status",
    "partnerSessionId": "partner_session_id", "submissionId": "submission_id", "sdkSessionId": "sdk_session_id",
    "since": "since", "until": "until",
}  # fmt: skip
NDJSON = "application/x-ndjson"


def query_journal(limit: int = 100, offset: int = 0, order: str = "asc") -> tuple[dict, int]:
    """GET /__mock/journal: one page, the total for paging, and what the cap dropped."""
    journal = sandbox().journal
    where = journal_filter(request.query_params)
    entries = journal.query(where, limit=limit, offset=offset, newest_first=order == "desc")
    return ok({"entries": [entry.to_json() for entry in entries], "total": journal.count(where),
               "dropped": journal.dropped()})  # fmt: skip


def count_journal() -> tuple[dict, int]:
    """GET /__mock/journal/count."""
    return ok({"count": sandbox().journal.count(journal_filter(request.query_params))})


def verify_journal(body: dict) -> tuple[dict, int]:
    """POST /__mock/journal/verify: 200 whether or not it held; contradictory bounds are the caller's mistake (400)."""
    within_ms = body.get("withinMs")
    try:
        verification = sandbox().journal.verify(
            journal_filter(body.get("where") or {}), at_least=body.get("atLeast"), at_most=body.get("atMost"),
            never=body.get("never", False), within_seconds=None if within_ms is None else within_ms / 1000,
        )  # fmt: skip
    except ValueError as error:
        raise ControlPlaneError(400, str(error)) from error
    return ok(verification.to_json())


def export_journal() -> ConnexionResponse:
    """GET /__mock/journal/export: JSON Lines, oldest first, for attaching to a bug report or a CI run."""
    stream = io.StringIO()
    sandbox().journal.export_jsonl(journal_filter(request.query_params), stream)
    return ConnexionResponse(status_code=200, content_type=NDJSON, body=stream.getvalue())


def clear_journal() -> tuple[dict, int]:
    """DELETE /__mock/journal: the caller's entries only."""
    return ok({"deleted": sandbox().journal.clear(owner())})


def journal_filter(values: Mapping[str, Any]) -> JournalFilter:
    """Query parameters or a verify `where` as a filter, always narrowed to the caller's own entries."""
    given = {FILTER_FIELDS[name]: value for name, value in values.items() if name in FILTER_FIELDS}
    if given.get("status") is not None:
        given["status"] = int(given["status"])
    for bound in ("since", "until"):
        if given.get(bound) is not None:
            given[bound] = _epoch(bound, given[bound])
    return JournalFilter(partner_id=owner(), **given)


def _epoch(name: str, text: str) -> float:
    """An ISO-8601 date-time as epoch seconds; one without a zone is read as UTC, the journal's zone."""
    try:
        moment = datetime.fromisoformat(text.upper())  # RFC 3339 allows "t" and "z"; Python 3.11 does not
    except ValueError as error:
        raise ControlPlaneError(400, f"{name} must be an ISO-8601 date-time, got {text!r}") from error
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
