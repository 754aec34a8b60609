"""What a verdict is and how evidence names a journal entry; shared by every suite's checks."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Status = Literal["pass", "fail", "skip"]
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Verdict:
    """A rule's outcome and the journal entries (or responses) that prove it."""

    status: Status
    evidence: tuple[str, ...] = ()


def describe(entry: dict[str, Any]) -> str:
    """How evidence names a request: journal id, method, path, status."""
    path = entry["url"].split("?", 1)[0]
    return f"#{entry['id']} {entry['method']} {path} -> {entry['response']['status']}"


def verdict(offending: Sequence[str], passing: str) -> Verdict:
    """Fail with the offending evidence, or pass with one line saying what held."""
    return Verdict("fail", tuple(offending)) if offending else Verdict("pass", (passing,))


def seconds(entry: dict[str, Any]) -> float:
    """An entry's time as epoch seconds."""
    return datetime.fromisoformat(entry["at"].replace("Z", "+00:00")).timestamp()


def started(entry: dict[str, Any]) -> float:
    """When the exchange began: an entry is stamped when it ended (after its answer), `latencyMs` earlier."""
    return seconds(entry) - (entry.get("latencyMs") or 0) / 1000


def in_request_order(entries: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Entries in the order the requests began; ids follow the order answers were journaled, a few ms apart."""
    return tuple(sorted(entries, key=lambda entry: (started(entry), entry["id"])))


def response_data(entry: dict[str, Any]) -> dict[str, Any]:
    """The envelope's `data` of an entry's response, or {}."""
    body = entry["response"]["body"]
    return body.get("data") or {} if isinstance(body, dict) else {}


def backoff_offences(calls: Sequence[dict[str, Any]], transient: Callable[[int], bool], max_retries: int,
                     min_gap_seconds: float) -> list[str]:  # fmt: skip
    """Retries of transient answers that came too soon (each wait at least the last one) or too many times."""
    offending: list[str] = []
    streak: list[dict[str, Any]] = []
    last_gap = 0.0
    for call in calls:
        if streak:
            gap = seconds(call) - seconds(streak[-1])
            if gap < max(min_gap_seconds, last_gap):
                offending.append(f"{describe(call)}: retried {gap * 1000:.0f} ms after {describe(streak[-1])}")
            last_gap = gap
        status = call["response"]["status"]
        if status is not None and transient(status):
            streak.append(call)
            if len(streak) > max_retries + 1:
                offending.append(f"{describe(call)}: retry {len(streak) - 1} of a transient failure")
        else:
            streak, last_gap = [], 0.0
    return offending


def carries_partner_token(text: str) -> bool:
    """The text holds a JWT whose `typ` claim says partner: a secret no front end may ever see."""
    return any(_token_kind(payload) == "partner" for payload in _JWT.findall(text))


def jwt_segment(segment: str) -> Any:
    """One base64url JSON segment of a JWT, decoded (a ValueError when it is not one)."""
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _token_kind(payload: str) -> str | None:
    """The `typ` claim of a JWT payload segment, if it decodes."""
    try:
        claims = jwt_segment(payload)
    except ValueError:
        return None
    return claims.get("typ") if isinstance(claims, dict) else None
