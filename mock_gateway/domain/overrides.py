"""Control-plane scenario overrides: the strongest trigger, matched on partner, user, session and endpoint."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from mock_gateway.clock import Clock, iso_utc
from mock_gateway.store import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS scenario_overrides (
    id TEXT PRIMARY KEY, owner TEXT, spec TEXT NOT NULL, remaining INTEGER, created_at REAL NOT NULL
);
"""
MATCH_KEYS = ("clientId", "partnerUserId", "partnerSessionId", "operation")


@dataclass(frozen=True)
class RequestIdentity:
    """Who a request (or a processing run) is for, as far as overrides care."""

    client_id: str | None = None
    partner_user_id: str | None = None
    partner_session_id: str | None = None
    operation: str | None = None

    def as_match(self) -> dict[str, str | None]:
        """The camelCase keys an override's `match` uses."""
        return dict(zip(MATCH_KEYS, asdict(self).values(), strict=True))


@dataclass(frozen=True)
class Override:
    """One override as created through `POST /__mock/scenarios` (camelCase spec kept as sent)."""

    id: str
    owner: str | None  # the partner that created it; None for the admin
    spec: dict[str, Any] = field(default_factory=dict)
    remaining: int | None = None
    created_at: float = 0.0

    def matches(self, identity: RequestIdentity) -> bool:
        """Every key the override names equals the request's; an unnamed key matches anything."""
        wanted = self.spec.get("match") or {}
        actual = identity.as_match()
        return all(actual[key] == wanted[key] for key in MATCH_KEYS if wanted.get(key) is not None)

    def to_json(self) -> dict[str, Any]:
        """The control plane's view."""
        return {**self.spec, "id": self.id, "remaining": self.remaining, "createdAt": iso_utc(self.created_at)}


class Overrides:
    """Stored overrides; `take` finds the newest matching one with an effect and counts one use."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        db.migrate(SCHEMA)

    def create(self, spec: dict[str, Any], owner: str | None) -> Override:
        """Store an override; a partner's override is pinned to its own client-id."""
        spec = {"match": {}, "times": None, **spec}
        times = spec["times"]
        if owner is not None:
            spec["match"] = {**(spec.get("match") or {}), "clientId": owner}
        override = Override(str(uuid.uuid4()), owner, spec, times, self.clock.now())
        with self.db.transaction() as connection:
            connection.execute(
                "INSERT INTO scenario_overrides (id, owner, spec, remaining, created_at) VALUES (?, ?, ?, ?, ?)",
                (override.id, owner, json.dumps(spec), times, override.created_at),
            )
        return override

    def list(self, owner: str | None = None) -> list[Override]:
        """All overrides (admin) or one partner's, oldest first."""
        query = "SELECT * FROM scenario_overrides"
        params: tuple[Any, ...] = ()
        if owner is not None:
            query, params = query + " WHERE owner = ?", (owner,)
        rows = self.db.connection().execute(query + " ORDER BY created_at, rowid", params).fetchall()
        return [Override(row["id"], row["owner"], json.loads(row["spec"]), row["remaining"], row["created_at"])
                for row in rows]  # fmt: skip

    def delete(self, override_id: str, owner: str | None = None) -> bool:
        """Remove one override the caller may see."""
        with self.db.transaction() as connection:
            query, params = "DELETE FROM scenario_overrides WHERE id = ?", (override_id,)
            if owner is not None:
                query, params = query + " AND owner = ?", (override_id, owner)
            return connection.execute(query, params).rowcount > 0

    def clear(self, owner: str | None = None) -> int:
        """Remove all overrides the caller may see."""
        with self.db.transaction() as connection:
            if owner is None:
                return connection.execute("DELETE FROM scenario_overrides").rowcount
            return connection.execute("DELETE FROM scenario_overrides WHERE owner = ?", (owner,)).rowcount

    def take(self, identity: RequestIdentity, effects: tuple[str, ...]) -> dict[str, Any] | None:
        """The `effects` of the newest matching override that has any of them, using up one of its `times`."""
        if not self._any():
            return None
        with self.db.transaction() as connection:
            rows = connection.execute(
                "SELECT * FROM scenario_overrides ORDER BY created_at DESC, rowid DESC"
            ).fetchall()
            for row in rows:
                override = Override(row["id"], row["owner"], json.loads(row["spec"]), row["remaining"])
                chosen = {key: override.spec[key] for key in effects if override.spec.get(key) is not None}
                if not chosen or not override.matches(identity):
                    continue
                if override.remaining is not None:
                    if override.remaining <= 1:
                        connection.execute("DELETE FROM scenario_overrides WHERE id = ?", (override.id,))
                    else:
                        connection.execute(
                            "UPDATE scenario_overrides SET remaining = remaining - 1 WHERE id = ?", (override.id,)
                        )
                return chosen
        return None

    def _any(self) -> bool:
        """A cheap read first: most requests meet an empty table and must not take the write lock."""
        return self.db.connection().execute("SELECT 1 FROM scenario_overrides LIMIT 1").fetchone() is not None
