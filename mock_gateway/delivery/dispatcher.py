"""Outbound partner callbacks: persisted before sending, leased per attempt, retried on a schedule, journaled.

Every delivery lives in the shared SQLite file, so a gateway killed mid-send loses nothing: the attempt it had
claimed becomes due again when its lease runs out, and any process's dispatcher may pick it up.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from mock_gateway.clock import Clock, iso_utc
from mock_gateway.delivery.signing import generate_secret, signature_headers
from mock_gateway.settings import CallbackSettings, Partner
from mock_gateway.store import Database
from mock_gateway.version import package_version

if TYPE_CHECKING:
    from mock_gateway.journal import Journal

log = logging.getLogger(__name__)

LEASE_GRACE_SECONDS = 30.0
RESPONSE_TEXT_LIMIT = 4096
INJECTED_FAILURE = "injected failure"


USER_AGENT = f"ktp-sandbox/{package_version()}"

DDL = """
CREATE TABLE IF NOT EXISTS callback_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    partner_id TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    partner_session_id TEXT,
    url TEXT,
    method TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    round_start INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    lease TEXT,
    created_at REAL NOT NULL,
    delivered_at REAL,
    last_status INTEGER,
    last_error TEXT,
    body TEXT NOT NULL,
    misbehaviour TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS callback_deliveries_due ON callback_deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS callback_deliveries_partner ON callback_deliveries (partner_id);
CREATE INDEX IF NOT EXISTS callback_deliveries_submission ON callback_deliveries (submission_id);
CREATE INDEX IF NOT EXISTS callback_deliveries_session ON callback_deliveries (partner_session_id);
"""


@dataclass(frozen=True)
class CallbackMisbehaviour:
    """Deliberate faults QA can ask for, so a partner's backend proves it copes with a real-world gateway."""

    fail_times: int = 0
    duplicate: bool = False
    out_of_order: bool = False
    bad_signature: bool = False

    def to_json(self) -> dict[str, Any]:
        """camelCase, as the control plane's scenario `callback` object spells it."""
        return {
            "failTimes": self.fail_times,
            "duplicate": self.duplicate,
            "outOfOrder": self.out_of_order,
            "badSignature": self.bad_signature,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallbackMisbehaviour:
        """The inverse of `to_json`; missing keys keep their defaults (the control plane sends partial objects)."""
        return cls(
            fail_times=int(data.get("failTimes", 0)),
            duplicate=bool(data.get("duplicate", False)),
            out_of_order=bool(data.get("outOfOrder", False)),
            bad_signature=bool(data.get("badSignature", False)),
        )


NO_MISBEHAVIOUR = CallbackMisbehaviour()


@dataclass(frozen=True)
class Delivery:
    """One callback of one submission to one partner, with where its attempts stand."""

    id: str
    partner_id: str
    submission_id: str
    partner_session_id: str | None
    url: str | None
    method: str
    state: str
    attempts: int
    next_attempt_at: float | None
    created_at: float
    delivered_at: float | None
    last_status: int | None
    last_error: str | None
    body: dict[str, Any]
    misbehaviour: CallbackMisbehaviour

    def to_json(self) -> dict[str, Any]:
        """camelCase with ISO times, the control plane's Delivery object."""
        return {
            "id": self.id,
            "partnerId": self.partner_id,
            "submissionId": self.submission_id,
            "partnerSessionId": self.partner_session_id,
            "url": self.url,
            "method": self.method,
            "state": self.state,
            "attempts": self.attempts,
            "nextAttemptAt": _iso_or_none(self.next_attempt_at),
            "createdAt": iso_utc(self.created_at),
            "deliveredAt": _iso_or_none(self.delivered_at),
            "lastStatus": self.last_status,
            "lastError": self.last_error,
            "body": self.body,
            "misbehaviour": self.misbehaviour.to_json(),
        }


@dataclass(frozen=True)
class _Request:
    """Exactly what goes on the wire for one callback request (kept whole so a duplicate is byte-identical)."""

    method: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    content: bytes


@dataclass(frozen=True)
class _Outcome:
    """What came back; `error` is None only for a 2xx answer."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    latency_ms: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class _Claim:
    """A due attempt this dispatcher holds the lease for."""

    delivery: Delivery
    lease: str
    round_start: int

    @property
    def attempt(self) -> int:
        """1-based number of the attempt being made."""
        return self.delivery.attempts + 1


class CallbackDispatcher:
    """Sends partner callbacks from the shared database; safe to run in several threads and processes at once."""

    def __init__(
        self,
        db: Database,
        journal: Journal,
        clock: Clock,
        partner_of: Callable[[str], Partner | None],
        *,
        client: httpx.Client | None = None,
        poll_interval: float = 0.05,
    ) -> None:
        self._db = db
        self._journal = journal
        self._clock = clock
        self._partner_of = partner_of
        self._client = client or httpx.Client()
        self._poll_interval = poll_interval
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        db.migrate(DDL)

    def enqueue(
        self,
        *,
        partner_id: str,
        submission_id: str,
        partner_session_id: str | None,
        body: dict[str, Any],
        misbehaviour: CallbackMisbehaviour = NO_MISBEHAVIOUR,
    ) -> Delivery:
        """Persist a callback, due now; a partner without a callback URL gets a `no_url` record that is never sent."""
        callback = _callback_of(self._partner_of(partner_id))
        now = self._clock.now()
        delivery = Delivery(
            id=f"msg_{secrets.token_hex(12)}",
            partner_id=partner_id,
            submission_id=submission_id,
            partner_session_id=partner_session_id,
            url=callback.url or None,
            method=callback.method,
            state="pending" if callback.url else "no_url",
            attempts=0,
            next_attempt_at=now if callback.url else None,
            created_at=now,
            delivered_at=None,
            last_status=None,
            last_error=None,
            body=body,
            misbehaviour=misbehaviour,
        )
        with self._db.transaction() as connection:
            connection.execute(
                "INSERT INTO callback_deliveries (id, partner_id, submission_id, partner_session_id, url, method,"
                " state, next_attempt_at, created_at, body, misbehaviour) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    delivery.id,
                    partner_id,
                    submission_id,
                    partner_session_id,
                    delivery.url,
                    delivery.method,
                    delivery.state,
                    delivery.next_attempt_at,
                    now,
                    json.dumps(body, ensure_ascii=False),
                    json.dumps(misbehaviour.to_json()),
                ),
            )
        return delivery

    def run_due(self) -> int:
        """Make every attempt due now, each leased first; returns attempts made (a misbehaviour's extras aside)."""
        return self._run_due(stopping=None)

    def start(self, threads: int = 2) -> None:
        """Run `run_due` in background threads until `stop`."""
        if self._threads:
            raise RuntimeError("the callback dispatcher is already running")
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._loop, name=f"callback-dispatcher-{n}", daemon=True) for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the background threads; whatever is pending stays in the database for the next start."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []

    def redeliver(self, delivery_id: str) -> Delivery:
        """Send again now with a fresh retry schedule; attempts counter and webhook-id kept; `no_url` stays as is."""
        with self._db.transaction() as connection:
            connection.execute(
                "UPDATE callback_deliveries SET state = 'pending', next_attempt_at = ?, lease = NULL,"
                " round_start = attempts WHERE id = ? AND state != 'no_url'",
                (self._clock.now(), delivery_id),
            )
        delivery = self.get(delivery_id)
        if delivery is None:
            raise KeyError(delivery_id)
        return delivery

    def get(self, delivery_id: str) -> Delivery | None:
        """One delivery by its webhook-id."""
        row = self._db.connection().execute("SELECT * FROM callback_deliveries WHERE id = ?", (delivery_id,)).fetchone()
        return _delivery(row) if row is not None else None

    def deliveries(
        self,
        *,
        partner_id: str | None = None,
        submission_id: str | None = None,
        partner_session_id: str | None = None,
    ) -> list[Delivery]:
        """The deliveries matching every given filter, oldest first."""
        filters = {"partner_id": partner_id, "submission_id": submission_id, "partner_session_id": partner_session_id}
        given = {column: value for column, value in filters.items() if value is not None}
        where = " AND ".join(f"{column} = ?" for column in given) or "1"
        rows = self._db.connection().execute(
            f"SELECT * FROM callback_deliveries WHERE {where} ORDER BY seq", tuple(given.values())
        )
        return [_delivery(row) for row in rows]

    def pending_count(self) -> int:
        """Deliveries still to be attempted, for the health endpoint."""
        return self._db.connection().execute(
            "SELECT count(*) FROM callback_deliveries WHERE state = 'pending'"
        ).fetchone()[0]

    def clear(self, partner_id: str | None = None) -> int:
        """Forget deliveries (all, or one partner's); returns how many were deleted."""
        with self._db.transaction() as connection:
            if partner_id is None:
                return connection.execute("DELETE FROM callback_deliveries").rowcount
            return connection.execute("DELETE FROM callback_deliveries WHERE partner_id = ?", (partner_id,)).rowcount

    def _run_due(self, stopping: threading.Event | None) -> int:
        """The attempts due when the pass began; a background pass also ends early once `stop` is asked for."""
        due_by = self._clock.now()
        made = 0
        while not (stopping and stopping.is_set()) and (claim := self._claim(due_by)) is not None:
            self._attempt(claim)
            made += 1
        return made

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._run_due(self._stopping)
            except Exception:
                log.exception("callback dispatcher pass failed; retrying")
            self._stopping.wait(self._poll_interval)

    def _claim(self, due_by: float) -> _Claim | None:
        """Take the oldest due attempt and push it a lease into the future in one transaction, before sending."""
        with self._db.transaction() as connection:
            row = connection.execute(
                "SELECT * FROM callback_deliveries WHERE state = 'pending' AND next_attempt_at <= ?"
                " ORDER BY next_attempt_at, seq LIMIT 1",
                (due_by,),
            ).fetchone()
            if row is None:
                return None
            lease = secrets.token_hex(8)
            timeout = _callback_of(self._partner_of(row["partner_id"])).timeout_seconds
            leased_until = self._clock.now() + timeout + LEASE_GRACE_SECONDS
            connection.execute(
                "UPDATE callback_deliveries SET next_attempt_at = ?, lease = ? WHERE id = ?",
                (leased_until, lease, row["id"]),
            )
        return _Claim(delivery=_delivery(row), lease=lease, round_start=row["round_start"])

    def _attempt(self, claim: _Claim) -> None:
        delivery = claim.delivery
        partner = self._partner_of(delivery.partner_id)
        callback = _callback_of(partner)
        sent_at = self._clock.now()
        request, problem = self._request(delivery, delivery.id, delivery.body, callback, sent_at)
        if partner is None:
            outcome = _Outcome(error=f"partner {delivery.partner_id!r} is not onboarded")
        elif problem is not None:
            outcome = _Outcome(error=problem)
        elif claim.attempt <= delivery.misbehaviour.fail_times:
            outcome = _Outcome(error=INJECTED_FAILURE)
        else:
            outcome = self._send(request, callback.timeout_seconds)
        self._record(delivery, request, outcome, claim.attempt)
        first_success = self._finish(claim, outcome, callback)
        if first_success:
            self._misbehave(delivery, request, callback, sent_at, claim.attempt)

    def _request(
        self, delivery: Delivery, webhook_id: str, body: dict[str, Any], callback: CallbackSettings, at: float
    ) -> tuple[_Request, str | None]:
        """The request to send, and why it cannot be sent (a signing secret that is not valid base64), if so."""
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **callback.auth.headers()}
        problem = None
        if callback.signing_secret:
            secret = generate_secret() if delivery.misbehaviour.bad_signature else callback.signing_secret
            try:
                headers.update(signature_headers(secret, webhook_id, at, content))
            except ValueError as error:
                problem = str(error)
        return _Request(delivery.method, delivery.url or "", headers, body, content), problem

    def _send(self, request: _Request, timeout: float) -> _Outcome:
        started = time.perf_counter()
        try:
            response = self._client.request(
                request.method, request.url, headers=request.headers, content=request.content, timeout=timeout
            )
        except httpx.TimeoutException:
            return _Outcome(latency_ms=_since(started), error=f"timeout after {float(timeout)} s")
        except httpx.ConnectError as error:
            refused = "refused" in str(error).lower()
            return _Outcome(latency_ms=_since(started), error="connection refused" if refused else f"connect: {error}")
        except Exception as error:  # any other transport or header problem is a failed attempt, never a crash
            return _Outcome(latency_ms=_since(started), error=f"{type(error).__name__}: {error}")
        return _Outcome(
            status=response.status_code,
            headers=dict(response.headers),
            body=_response_body(response),
            latency_ms=_since(started),
            error=None if response.is_success else f"HTTP {response.status_code}",
        )

    def _record(self, delivery: Delivery, request: _Request, outcome: _Outcome, attempt: int) -> None:
        self._journal.record(
            kind="callback",
            method=request.method,
            url=request.url,
            request_headers=request.headers,
            request_body=request.body,
            status=outcome.status,
            response_headers=outcome.headers,
            response_body=outcome.body,
            latency_ms=outcome.latency_ms,
            partner_id=delivery.partner_id,
            operation="callback",
            partner_session_id=delivery.partner_session_id,
            submission_id=delivery.submission_id,
            sdk_session_id=None,
            attempt=attempt,
            error=outcome.error,
        )

    def _finish(self, claim: _Claim, outcome: _Outcome, callback: CallbackSettings) -> bool:
        """Store the attempt's result under our lease; True when this was the delivery's first success."""
        now = self._clock.now()
        delivery = claim.delivery
        if outcome.error is None:
            state, next_attempt_at, delivered_at = "delivered", None, now
        else:
            tried = claim.attempt - claim.round_start
            schedule = callback.retry_schedule_seconds
            exhausted = tried > len(schedule)
            state = "failed" if exhausted else "pending"
            next_attempt_at = None if exhausted else now + schedule[tried - 1]
            delivered_at = delivery.delivered_at
        with self._db.transaction() as connection:
            kept = connection.execute(
                "UPDATE callback_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, lease = NULL,"
                " delivered_at = ?, last_status = ?, last_error = ? WHERE id = ? AND lease = ?",
                (
                    state,
                    claim.attempt,
                    next_attempt_at,
                    delivered_at,
                    outcome.status,
                    outcome.error,
                    delivery.id,
                    claim.lease,
                ),
            ).rowcount
        if not kept:
            log.warning("callback %s: lease lost before attempt %d finished", delivery.id, claim.attempt)
        return bool(kept) and outcome.error is None and delivery.delivered_at is None

    def _misbehave(
        self, delivery: Delivery, request: _Request, callback: CallbackSettings, sent_at: float, attempt: int
    ) -> None:
        """After the first success: the identical request again, then a stale IN_PROGRESS copy signed 1 s earlier."""
        if delivery.misbehaviour.duplicate:
            self._record(delivery, request, self._send(request, callback.timeout_seconds), attempt)
        if delivery.misbehaviour.out_of_order:
            stale_body = {**delivery.body, "status": "IN_PROGRESS", "result": None, "reasonCode": None}
            stale_body["submissionDetails"] = None
            stale, _ = self._request(delivery, f"msg_{secrets.token_hex(12)}", stale_body, callback, sent_at - 1)
            self._record(delivery, stale, self._send(stale, callback.timeout_seconds), attempt)


def _callback_of(partner: Partner | None) -> CallbackSettings:
    """The partner's callback settings; a partner that is gone has none (no URL, default schedule)."""
    return partner.callback if partner is not None else CallbackSettings()


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row["id"],
        partner_id=row["partner_id"],
        submission_id=row["submission_id"],
        partner_session_id=row["partner_session_id"],
        url=row["url"],
        method=row["method"],
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        body=json.loads(row["body"]),
        misbehaviour=CallbackMisbehaviour.from_json(json.loads(row["misbehaviour"])),
    )


def _response_body(response: httpx.Response) -> Any:
    """Parsed JSON when the partner answered JSON, else the first 4 KiB of text (None when empty)."""
    if not response.content:
        return None
    if "json" in response.headers.get("content-type", "").lower():
        try:
            return response.json()
        except ValueError:
            pass
    return response.text[:RESPONSE_TEXT_LIMIT]


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _iso_or_none(epoch: float | None) -> str | None:
    return iso_utc(epoch) if epoch is not None else None
