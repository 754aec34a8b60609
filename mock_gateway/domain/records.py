"""Partner sessions, submissions (one per capture attempt) and the processing queue, kept in SQLite."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields
from typing import Any

from mock_gateway.store import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS partner_sessions (
    client_id TEXT NOT NULL, partner_session_id TEXT NOT NULL, onboarding_partner TEXT, user_id TEXT,
    user_id_type TEXT, source TEXT NOT NULL, flow TEXT NOT NULL, success_url TEXT, failure_url TEXT, theme TEXT,
    locale TEXT, scenario TEXT, attempts_used INTEGER NOT NULL DEFAULT 0, closed INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, PRIMARY KEY (client_id, partner_session_id)
);
CREATE TABLE IF NOT EXISTS submissions (
    submission_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, partner_session_id TEXT NOT NULL,
    sdk_session_id TEXT NOT NULL, attempt INTEGER NOT NULL, status TEXT NOT NULL,
    document_reference TEXT NOT NULL UNIQUE, document_status TEXT NOT NULL, image_content_type TEXT,
    image_bytes INTEGER, uploaded_at REAL, scenario TEXT, metadata TEXT, created_at REAL NOT NULL,
    confirmed_at REAL, completed_at REAL, result TEXT, reason_code TEXT, next_action TEXT, retry_reason TEXT,
    error_message TEXT, extraction TEXT, ktp_data TEXT, decision TEXT
);
CREATE INDEX IF NOT EXISTS submissions_by_session ON submissions (client_id, partner_session_id, attempt);
CREATE TABLE IF NOT EXISTS jobs (
    submission_id TEXT PRIMARY KEY, run_after REAL NOT NULL, state TEXT NOT NULL, lease_until REAL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, run_after);
"""
JSON_COLUMNS = ("metadata", "extraction", "ktp_data", "decision")


@dataclass(frozen=True)
class PartnerSession:
    """One KTP Scan flow of one partner user, keyed by the partner's `x-partner-session-id`."""

    client_id: str
    partner_session_id: str
    source: str  # SDK | WEB_SDK, or API when the SDK-facing calls came with a v2 user token and no initiate-flow
    flow: str
    created_at: float
    onboarding_partner: str | None = None
    user_id: str | None = None
    user_id_type: str | None = None
    success_url: str | None = None
    failure_url: str | None = None
    theme: str | None = None
    locale: str | None = None
    scenario: str | None = None  # from `x-mock-scenario` on initiate-flow
    attempts_used: int = 0
    closed: bool = False  # an attempt ended with EXIT: no further attempts


@dataclass(frozen=True)
class Submission:
    """One capture attempt: its upload, its processing state and, once done, its outcome."""

    submission_id: str
    client_id: str
    partner_session_id: str
    sdk_session_id: str
    attempt: int
    status: str  # INITIATED | IN_PROGRESS | COMPLETED | ERROR
    document_reference: str
    document_status: str  # PENDING | UPLOADED | VERIFIED | INVALID | REJECTED
    created_at: float
    image_content_type: str | None = None
    image_bytes: int | None = None
    uploaded_at: float | None = None
    scenario: str | None = None
    metadata: Any = None
    confirmed_at: float | None = None
    completed_at: float | None = None
    result: str | None = None
    reason_code: str | None = None
    next_action: str | None = None  # RETRY | EXIT once processed
    retry_reason: str | None = None
    error_message: str | None = None
    extraction: Any = None
    ktp_data: Any = None
    decision: Any = None  # an outcome decided but held back by a processing delay

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Submission:
        """Decode JSON columns."""
        values = dict(row)
        for column in JSON_COLUMNS:
            if values[column] is not None:
                values[column] = json.loads(values[column])
        return cls(**values)


SUBMISSION_COLUMNS = tuple(f.name for f in fields(Submission))
SESSION_COLUMNS = tuple(f.name for f in fields(PartnerSession))


class Records:
    """SQL for sessions, submissions and jobs; callers hold the rules, this holds the rows."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate(SCHEMA)

    def session(self, client_id: str, partner_session_id: str, connection: sqlite3.Connection | None = None
                ) -> PartnerSession | None:  # fmt: skip
        """The session, if the partner opened it."""
        row = (connection or self.db.connection()).execute(
            "SELECT * FROM partner_sessions WHERE client_id = ? AND partner_session_id = ?",
            (client_id, partner_session_id),
        ).fetchone()
        return None if row is None else PartnerSession(**{**dict(row), "closed": bool(row["closed"])})

    def insert_session(self, connection: sqlite3.Connection, session: PartnerSession) -> None:
        """Store a new session (the caller checked it does not exist, inside the same transaction)."""
        values = [getattr(session, column) for column in SESSION_COLUMNS]
        connection.execute(
            f"INSERT INTO partner_sessions ({', '.join(SESSION_COLUMNS)}) VALUES ({', '.join('?' * len(values))})",
            values,
        )

    def update_session(self, connection: sqlite3.Connection, client_id: str, partner_session_id: str,
                       **changes: Any) -> None:  # fmt: skip
        """Change some columns of a session."""
        assignments = ", ".join(f"{column} = ?" for column in changes)
        connection.execute(
            f"UPDATE partner_sessions SET {assignments} WHERE client_id = ? AND partner_session_id = ?",
            (*changes.values(), client_id, partner_session_id),
        )

    def insert_submission(self, connection: sqlite3.Connection, submission: Submission) -> None:
        """Store a new attempt."""
        values = [_column_value(getattr(submission, column)) for column in SUBMISSION_COLUMNS]
        connection.execute(
            f"INSERT INTO submissions ({', '.join(SUBMISSION_COLUMNS)}) VALUES ({', '.join('?' * len(values))})",
            values,
        )

    def update_submission(self, connection: sqlite3.Connection, submission_id: str, **changes: Any) -> None:
        """Change some columns of an attempt."""
        assignments = ", ".join(f"{column} = ?" for column in changes)
        connection.execute(
            f"UPDATE submissions SET {assignments} WHERE submission_id = ?",
            (*map(_column_value, changes.values()), submission_id),
        )

    def submission(self, submission_id: str, connection: sqlite3.Connection | None = None) -> Submission | None:
        """One attempt by id."""
        row = (connection or self.db.connection()).execute(
            "SELECT * FROM submissions WHERE submission_id = ?", (submission_id,)
        ).fetchone()
        return None if row is None else Submission.from_row(row)

    def submission_by_reference(self, document_reference: str) -> Submission | None:
        """The attempt a storage object belongs to."""
        row = self.db.connection().execute(
            "SELECT * FROM submissions WHERE document_reference = ?", (document_reference,)
        ).fetchone()
        return None if row is None else Submission.from_row(row)

    def latest_submission(self, client_id: str, partner_session_id: str,
                          connection: sqlite3.Connection | None = None) -> Submission | None:  # fmt: skip
        """The session's most recent attempt."""
        row = (connection or self.db.connection()).execute(
            "SELECT * FROM submissions WHERE client_id = ? AND partner_session_id = ? ORDER BY attempt DESC LIMIT 1",
            (client_id, partner_session_id),
        ).fetchone()
        return None if row is None else Submission.from_row(row)

    def submissions(self, client_id: str | None = None, partner_session_id: str | None = None,
                    limit: int = 100, offset: int = 0) -> list[Submission]:  # fmt: skip
        """Attempts, newest first, optionally of one partner or one session."""
        where, params = _where(client_id=client_id, partner_session_id=partner_session_id)
        rows = self.db.connection().execute(
            f"SELECT * FROM submissions {where} ORDER BY created_at DESC, attempt DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [Submission.from_row(row) for row in rows]

    def enqueue(self, connection: sqlite3.Connection, submission_id: str, run_after: float) -> None:
        """Queue an attempt for processing."""
        connection.execute(
            "INSERT OR REPLACE INTO jobs (submission_id, run_after, state, lease_until) VALUES (?, ?, 'queued', NULL)",
            (submission_id, run_after),
        )

    def claim_job(self, now: float, lease_seconds: float) -> str | None:
        """Take the oldest due job, so no two workers (or processes) process the same attempt."""
        with self.db.transaction() as connection:
            row = connection.execute(
                "SELECT submission_id FROM jobs WHERE state = 'queued' AND run_after <= ? ORDER BY run_after LIMIT 1",
                (now,),
            ).fetchone()
            if row is None:
                return None
            connection.execute(
                "UPDATE jobs SET state = 'running', lease_until = ? WHERE submission_id = ?",
                (now + lease_seconds, row["submission_id"]),
            )
            return row["submission_id"]

    def requeue_running(self) -> int:
        """Jobs a previous process was running when it died go back to the queue."""
        with self.db.transaction() as connection:
            return connection.execute("UPDATE jobs SET state = 'queued', lease_until = NULL WHERE state = 'running'"
                                      ).rowcount  # fmt: skip

    def delay_job(self, connection: sqlite3.Connection, submission_id: str, run_after: float) -> None:
        """Put a job back until its processing delay has passed."""
        connection.execute(
            "UPDATE jobs SET state = 'queued', run_after = ?, lease_until = NULL WHERE submission_id = ?",
            (run_after, submission_id),
        )

    def finish_job(self, connection: sqlite3.Connection, submission_id: str) -> None:
        """Drop a processed job."""
        connection.execute("DELETE FROM jobs WHERE submission_id = ?", (submission_id,))

    def queue_counts(self) -> dict[str, int]:
        """Jobs by state, for the health endpoint."""
        rows = self.db.connection().execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall()
        counts = {"queued": 0, "running": 0} | {row[0]: row[1] for row in rows}
        return {"pending": counts["queued"], "running": counts["running"]}

    def clear(self, client_id: str | None = None) -> tuple[int, int]:
        """Delete sessions and submissions (all, or one partner's); returns how many of each."""
        where, params = _where(client_id=client_id)
        with self.db.transaction() as connection:
            connection.execute(
                f"DELETE FROM jobs WHERE submission_id IN (SELECT submission_id FROM submissions {where})", params
            )
            submissions = connection.execute(f"DELETE FROM submissions {where}", params).rowcount
            sessions = connection.execute(f"DELETE FROM partner_sessions {where}", params).rowcount
        return sessions, submissions


def _column_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _where(**conditions: Any) -> tuple[str, tuple[Any, ...]]:
    present = {column: value for column, value in conditions.items() if value is not None}
    if not present:
        return "", ()
    return "WHERE " + " AND ".join(f"{column} = ?" for column in present), tuple(present.values())
