"""What a verdict is and how evidence names a journal entry; shared by every suite's checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Status = Literal["pass", "fail", "skip"]


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


def response_data(entry: dict[str, Any]) -> dict[str, Any]:
    """The envelope's `data` of an entry's response, or {}."""
    body = entry["response"]["body"]
    return body.get("data") or {} if isinstance(body, dict) else {}
