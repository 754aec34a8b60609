"""KYC sessions and their results in SQLite, so a restart loses nothing and threads never overwrite a final result."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DDL = """
CREATE TABLE IF NOT EXISTS kyc_sessions (
    partner_session_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    started_at REAL NOT NULL,
    status TEXT NOT NULL,
    verified INTEGER NOT NULL,
    submission_id TEXT,
    result TEXT,
    reason_code TEXT,
    ktp TEXT,
    completed_at REAL,
    notified_at REAL
);
CREATE INDEX IF NOT EXISTS kyc_sessions_pending ON kyc_sessions (status, started_at);
"""
PENDING = "PENDING"


@dataclass(frozen=True)
class KycResult:
    """What the gateway concluded about one flow, as this backend keeps it."""

    status: str  # VERIFIED | REJECTED | FAILED
    verified: bool
    submission_id: str | None
    result: str | None  # VALID | INVALID, as the gateway said
    reason_code: str | None
    ktp: dict[str, Any] | None  # ktpData, keys as the gateway sent them


@dataclass(frozen=True)
class KycSession:
    """One flow of one user: pending until a callback or the polling fallback stores its result."""

    partner_session_id: str
    user_id: str
    started_at: float
    status: str  # PENDING, or the result's status
    verified: bool
    submission_id: str | None
    result: str | None
    reason_code: str | None
    ktp: dict[str, Any] | None
    notified: bool = False  # an authenticated terminal callback has been handled

    @property
    def final(self) -> bool:
        """The result is in: a callback or the polling fallback stored it."""
        return self.status != PENDING

    def to_json(self) -> dict[str, Any]:
        """The front end's view of the flow."""
        return {
            "partnerSessionId": self.partner_session_id,
            "userId": self.user_id,
            "status": self.status,
            "verified": self.verified,
            "submissionId": self.submission_id,
            "result": self.result,
            "reasonCode": self.reason_code,
            "ktp": self.ktp,
        }


class ResultStore:
    """One SQLite file in WAL mode, one autocommit connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connection().executescript(DDL)

    def start(self, partner_session_id: str, user_id: str, started_at: float) -> None:
        """Record a new pending flow (a reused session id starts over, as the gateway has accepted it again)."""
        self._connection().execute(
            "INSERT INTO kyc_sessions (partner_session_id, user_id, started_at, status, verified)"
            " VALUES (?, ?, ?, ?, 0) ON CONFLICT (partner_session_id) DO UPDATE SET user_id = excluded.user_id,"
            " started_at = excluded.started_at, status = excluded.status, verified = 0, submission_id = NULL,"
            " result = NULL, reason_code = NULL, ktp = NULL, completed_at = NULL, notified_at = NULL",
            (partner_session_id, user_id, started_at, PENDING),
        )

    def get(self, partner_session_id: str) -> KycSession | None:
        """One flow, if this backend started it."""
        query = "SELECT * FROM kyc_sessions WHERE partner_session_id = ?"
        row = self._connection().execute(query, (partner_session_id,)).fetchone()
        return _session(row) if row is not None else None

    def complete(self, partner_session_id: str, result: KycResult, completed_at: float) -> bool:
        """Store the final result unless one is already there; True when this call stored it."""
        return bool(self._connection().execute(
            "UPDATE kyc_sessions SET status = ?, verified = ?, submission_id = ?, result = ?, reason_code = ?, ktp = ?,"
            " completed_at = ? WHERE partner_session_id = ? AND status = ?",
            (result.status, int(result.verified), result.submission_id, result.result, result.reason_code,
             None if result.ktp is None else json.dumps(result.ktp, ensure_ascii=False), completed_at,
             partner_session_id, PENDING),
        ).rowcount)  # fmt: skip

    def notified(self, partner_session_id: str, at: float) -> None:
        """Remember that the gateway's callback for this flow was handled, so a repeat of it is a duplicate."""
        self._connection().execute(
            "UPDATE kyc_sessions SET notified_at = ? WHERE partner_session_id = ? AND notified_at IS NULL",
            (at, partner_session_id),
        )

    def pending(self, started_after: float, started_before: float) -> list[KycSession]:
        """Pending flows started in that window, oldest first: what the polling fallback asks the gateway about."""
        rows = self._connection().execute(
            "SELECT * FROM kyc_sessions WHERE status = ? AND started_at > ? AND started_at <= ? ORDER BY started_at",
            (PENDING, started_after, started_before),
        )
        return [_session(row) for row in rows]

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            self._local.connection = connection
        return connection


def _session(row: sqlite3.Row) -> KycSession:
    return KycSession(
        partner_session_id=row["partner_session_id"],
        user_id=row["user_id"],
        started_at=row["started_at"],
        status=row["status"],
        verified=bool(row["verified"]),
        submission_id=row["submission_id"],
        result=row["result"],
        reason_code=row["reason_code"],
        ktp=None if row["ktp"] is None else json.loads(row["ktp"]),
        notified=row["notified_at"] is not None,
    )
