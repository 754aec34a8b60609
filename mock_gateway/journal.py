"""What came in and went out: every inbound request and outbound callback attempt, queryable and verifiable.

Entries live in the shared SQLite file because two HTTP workers, the processing pool and the callback
dispatcher all write them. Secrets are masked before anything is stored, images are stored as references,
and a cap keeps only the newest entries, counting the ones it drops.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, TextIO

from mock_gateway.clock import Clock
from mock_gateway.store import Database

KINDS = ("request", "callback")
MAX_BODY_BYTES = 64 * 1024
TRUNCATED_HEAD_CHARS = 1024
POLL_SECONDS = 0.05
MASK = "****"

SECRET_HEADERS = frozenset(
    {
        "pass-key",
        "x-onekyc-token",
        "authorization",
        "proxy-authorization",
        "x-mock-admin-key",
        "cookie",
        "set-cookie",
        "x-api-key",  # the default header name of a partner's api_key callback auth
        "x-amz-security-token",
    }
)
# Compared after lower-casing and dropping "_" and "-", so passKey, pass_key and pass-key are one name.
SECRET_KEYS = frozenset({"token", "passkey", "password", "secret", "signingsecret", "apikey"})

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# Query-style `name=value` pairs whose name ends like a credential: X-Amz-Signature, X-Amz-Security-Token,
# access_token, api_key, ... (presigned URLs are credentials until they expire).
_SECRET_PARAM = re.compile(
    r"(?<![\w-])([\w-]*(?:signature|token|pass[-_]?key|password|secret|api[-_]?key)=)([^&#\s\"'<>]+)",
    re.IGNORECASE,
)
_USERINFO_PASSWORD = re.compile(r"(://[^/\s:@]+:)([^/\s@]+)(@)")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    partner_id TEXT,
    operation TEXT,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    path TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    request_body TEXT,
    status INTEGER,
    response_headers TEXT NOT NULL,
    response_body TEXT,
    latency_ms REAL NOT NULL,
    partner_session_id TEXT,
    submission_id TEXT,
    sdk_session_id TEXT,
    attempt INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS journal_partner_session ON journal (partner_session_id);
CREATE INDEX IF NOT EXISTS journal_submission ON journal (submission_id);
CREATE INDEX IF NOT EXISTS journal_sdk_session ON journal (sdk_session_id);
CREATE INDEX IF NOT EXISTS journal_partner ON journal (partner_id);
CREATE INDEX IF NOT EXISTS journal_kind_operation ON journal (kind, operation);
CREATE TABLE IF NOT EXISTS journal_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    row_count INTEGER NOT NULL,
    dropped INTEGER NOT NULL
);
INSERT OR IGNORE INTO journal_meta (id, row_count, dropped) SELECT 1, count(*), 0 FROM journal;
"""

_COLUMNS = (
    "at, kind, partner_id, operation, method, url, path, request_headers, request_body, status, response_headers,"
    " response_body, latency_ms, partner_session_id, submission_id, sdk_session_id, attempt, error"
)
_PLACEHOLDERS = ", ".join("?" for _ in _COLUMNS.split(","))


def mask_secret(value: str) -> str:
    """Keep the last 4 characters of a long secret, so people can tell which one was used without seeing it."""
    return MASK + value[-4:] if len(value) > 8 else MASK


def mask_text(text: str) -> str:
    """Mask the credentials a free string can carry: JWTs, signed-URL and secret query values, URL passwords."""
    text = _USERINFO_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = _SECRET_PARAM.sub(lambda m: m.group(1) + mask_secret(m.group(2)), text)
    return _JWT.sub(lambda m: mask_secret(m.group(0)), text)


mask_url = mask_text  # a URL follows the same string rules; the name says what the caller hands in


def mask_headers(headers: Mapping[str, str], extra: Iterable[str] = ()) -> dict[str, str]:
    """Lower-case the names and mask credential headers; other values still get the string rules."""
    secret = SECRET_HEADERS | {name.lower() for name in extra}
    masked = {}
    for name, value in headers.items():
        key, text = str(name).lower(), str(value)
        if key not in secret:
            masked[key] = mask_text(text)
        elif key.endswith("authorization"):
            masked[key] = _mask_authorization(text)
        else:
            masked[key] = mask_secret(text)
    return masked


def _mask_authorization(value: str) -> str:
    """Keep the scheme word; Basic is masked whole because its tail is the base64 of the password."""
    scheme, _, credentials = value.strip().partition(" ")
    if not credentials:
        return mask_secret(value)
    if scheme.lower() == "basic":
        return f"{scheme} {MASK}"
    return f"{scheme} {mask_secret(credentials.strip())}"


def mask_json(value: Any) -> Any:
    """A masked deep copy: secret-named keys and credential-looking strings anywhere inside."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {key: _mask_keyed(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_json(item) for item in value]
    return value


def _mask_keyed(key: Any, value: Any) -> Any:
    """The value under a secret-named key is masked whatever it is (null stays null)."""
    if not isinstance(key, str) or key.lower().replace("_", "").replace("-", "") not in SECRET_KEYS:
        return mask_json(value)
    if value is None:
        return None
    return mask_secret(value) if isinstance(value, str) else MASK


@dataclass(frozen=True)
class JournalFilter:
    """Which entries a query, count, verify or export looks at; None means any."""

    partner_id: str | None = None
    kind: str | None = None
    operation: str | None = None
    method: str | None = None  # case-insensitive
    path: str | None = None  # the url without its query string (inbound: the path; callbacks: the full URL)
    status: int | None = None
    partner_session_id: str | None = None
    submission_id: str | None = None
    sdk_session_id: str | None = None
    since: float | None = None  # epoch seconds, inclusive
    until: float | None = None  # epoch seconds, inclusive


EVERYTHING = JournalFilter()
# Filter fields that are not a plain equality on the column of the same name.
_CONDITIONS = {"since": "at >= ?", "until": "at <= ?", "method": "method = ? COLLATE NOCASE"}


def _where(where: JournalFilter) -> tuple[str, list[Any]]:
    """A WHERE clause (or "") and its parameters."""
    clauses, params = [], []
    for spec in fields(where):
        value = getattr(where, spec.name)
        if value is not None:
            clauses.append(_CONDITIONS.get(spec.name, f"{spec.name} = ?"))
            params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


@dataclass(frozen=True)
class JournalEntry:
    """One recorded exchange, already masked."""

    id: int
    at: float
    kind: str
    partner_id: str | None
    operation: str | None
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any
    status: int | None
    response_headers: dict[str, str]
    response_body: Any
    latency_ms: float
    partner_session_id: str | None
    submission_id: str | None
    sdk_session_id: str | None
    attempt: int | None
    error: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> JournalEntry:
        """Decode the JSON columns of a stored row."""
        return cls(
            id=row["id"],
            at=row["at"],
            kind=row["kind"],
            partner_id=row["partner_id"],
            operation=row["operation"],
            method=row["method"],
            url=row["url"],
            request_headers=json.loads(row["request_headers"]),
            request_body=_load(row["request_body"]),
            status=row["status"],
            response_headers=json.loads(row["response_headers"]),
            response_body=_load(row["response_body"]),
            latency_ms=row["latency_ms"],
            partner_session_id=row["partner_session_id"],
            submission_id=row["submission_id"],
            sdk_session_id=row["sdk_session_id"],
            attempt=row["attempt"],
            error=row["error"],
        )

    def to_json(self) -> dict[str, Any]:
        """camelCase for the control plane and JSONL export."""
        return {
            "id": self.id,
            "at": iso_utc_millis(self.at),
            "kind": self.kind,
            "partnerId": self.partner_id,
            "operation": self.operation,
            "method": self.method,
            "url": self.url,
            "request": {"headers": self.request_headers, "body": self.request_body},
            "response": {"status": self.status, "headers": self.response_headers, "body": self.response_body},
            "latencyMs": round(self.latency_ms, 1),
            "partnerSessionId": self.partner_session_id,
            "submissionId": self.submission_id,
            "sdkSessionId": self.sdk_session_id,
            "attempt": self.attempt,
            "error": self.error,
        }


@dataclass(frozen=True)
class Verification:
    """The answer to "did it happen the expected number of times?"."""

    ok: bool
    count: int
    expectation: str

    def to_json(self) -> dict[str, Any]:
        """The control plane's verify response."""
        return {"verified": self.ok, "count": self.count, "expectation": self.expectation}


def iso_utc_millis(epoch_seconds: float) -> str:
    """`2026-11-26T14:43:31.123Z`: journal entries close together need sub-second order to be readable."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _load(text: str | None) -> Any:
    """A stored body back as a JSON value (None stays None)."""
    return None if text is None else json.loads(text)


def _store_body(body: Any) -> str | None:
    """Mask a body and serialise it, replacing it with its head when it is too big to keep."""
    if body is None:
        return None
    if isinstance(body, bytes | bytearray):
        body = _decode_bytes(bytes(body))
    masked = mask_json(body)
    text = masked if isinstance(masked, str) else json.dumps(masked, ensure_ascii=False, default=str)
    size = len(text.encode())
    if size > MAX_BODY_BYTES:
        masked = {"truncated": True, "bytes": size, "head": text[:TRUNCATED_HEAD_CHARS]}
    return json.dumps(masked, ensure_ascii=False, default=str)


def _decode_bytes(raw: bytes) -> Any:
    """Text bodies are kept as text; anything else is described, never stored raw."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return {"binary": True, "bytes": len(raw)}


class Journal:
    """The mock's record of exchanges, bounded by `cap` newest entries."""

    def __init__(self, db: Database, clock: Clock, cap: int = 100_000, secret_headers: Iterable[str] = ()) -> None:
        if cap < 1:
            raise ValueError(f"journal cap must be at least 1, got {cap}")
        self._db = db
        self._clock = clock
        self._cap = cap
        self._secret_headers = frozenset(name.lower() for name in secret_headers)
        db.migrate(_SCHEMA)

    def record(
        self,
        *,
        kind: str,
        method: str,
        url: str,
        request_headers: Mapping[str, str],
        request_body: Any = None,
        status: int | None = None,
        response_headers: Mapping[str, str] | None = None,
        response_body: Any = None,
        latency_ms: float = 0.0,
        partner_id: str | None = None,
        operation: str | None = None,
        partner_session_id: str | None = None,
        submission_id: str | None = None,
        sdk_session_id: str | None = None,
        attempt: int | None = None,
        error: str | None = None,
    ) -> int:
        """Mask and store one exchange, then drop the oldest beyond the cap; returns the entry id."""
        if kind not in KINDS:
            raise ValueError(f"journal kind must be one of {KINDS}, got {kind!r}")
        masked_url = mask_url(url)
        values = [
            kind,
            partner_id,
            operation,
            method,
            masked_url,
            masked_url.split("?", 1)[0].split("#", 1)[0],
            json.dumps(mask_headers(request_headers, self._secret_headers), ensure_ascii=False),
            _store_body(request_body),
            status,
            json.dumps(mask_headers(response_headers or {}, self._secret_headers), ensure_ascii=False),
            _store_body(response_body),
            float(latency_ms),
            partner_session_id,
            submission_id,
            sdk_session_id,
            attempt,
            None if error is None else mask_text(error),
        ]
        with self._db.transaction() as connection:
            # Stamped inside the write lock, so id order is time order across threads and processes.
            (entry_id,) = connection.execute(
                f"INSERT INTO journal ({_COLUMNS}) VALUES ({_PLACEHOLDERS}) RETURNING id", [self._clock.now(), *values]
            ).fetchone()
            (rows,) = connection.execute(
                "UPDATE journal_meta SET row_count = row_count + 1 WHERE id = 1 RETURNING row_count"
            ).fetchone()
            if rows > self._cap:
                dropped = connection.execute(
                    "DELETE FROM journal WHERE id IN (SELECT id FROM journal ORDER BY id LIMIT ?)", (rows - self._cap,)
                ).rowcount
                connection.execute(
                    "UPDATE journal_meta SET row_count = row_count - ?, dropped = dropped + ? WHERE id = 1",
                    (dropped, dropped),
                )
        return int(entry_id)

    def query(
        self, where: JournalFilter = EVERYTHING, *, limit: int = 100, offset: int = 0, newest_first: bool = False
    ) -> list[JournalEntry]:
        """A page of matching entries, oldest first unless asked otherwise."""
        if limit < 0 or offset < 0:
            raise ValueError(f"limit and offset must not be negative, got {limit} and {offset}")
        clause, params = _where(where)
        order = "DESC" if newest_first else "ASC"
        rows = self._db.connection().execute(
            f"SELECT id, {_COLUMNS} FROM journal{clause} ORDER BY id {order} LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        return [JournalEntry.from_row(row) for row in rows]

    def count(self, where: JournalFilter = EVERYTHING) -> int:
        """How many entries match."""
        clause, params = _where(where)
        (total,) = self._db.connection().execute(f"SELECT count(*) FROM journal{clause}", params).fetchone()
        return int(total)

    def verify(
        self,
        where: JournalFilter,
        *,
        at_least: int | None = None,
        at_most: int | None = None,
        never: bool = False,
        within_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> Verification:
        """Check how many entries match: `never` is at most 0, no bound at all is at least 1.

        With `within_seconds` the count is re-read every 50 ms: a lower bound only has to be reached
        before the window ends ("eventually"); an upper bound must hold for the whole window, so it is
        watched to the end (and fails as soon as it is exceeded) — "never within 2 s" means none arrived
        during those 2 s, not "none so far".
        """
        low, high = _bounds(at_least, at_most, never, within_seconds)
        expectation = _expectation(low, high, within_seconds)
        deadline = monotonic() + (within_seconds or 0.0)
        count = self.count(where)
        # Settled: an upper bound is already broken, or a pure lower bound is already reached.
        while not (count > high if high is not None else count >= low):
            remaining = deadline - monotonic()
            if remaining <= 0:
                break
            sleep(min(POLL_SECONDS, remaining))
            count = self.count(where)
        ok = count >= low and (high is None or count <= high)
        return Verification(ok=ok, count=count, expectation=expectation)

    def export_jsonl(self, where: JournalFilter, stream: TextIO) -> int:
        """Write every matching entry as one JSON line, oldest first; returns the number of lines."""
        clause, params = _where(where)
        rows = self._db.connection().execute(f"SELECT id, {_COLUMNS} FROM journal{clause} ORDER BY id", params)
        lines = 0
        for row in rows:
            stream.write(json.dumps(JournalEntry.from_row(row).to_json(), ensure_ascii=False) + "\n")
            lines += 1
        return lines

    def dropped(self) -> int:
        """Entries the cap has dropped since the journal was created or last cleared whole."""
        (dropped,) = self._db.connection().execute("SELECT dropped FROM journal_meta WHERE id = 1").fetchone()
        return int(dropped)

    def clear(self, partner_id: str | None = None) -> int:
        """Delete one partner's entries, or everything (which also resets the drop count); returns how many."""
        with self._db.transaction() as connection:
            if partner_id is None:
                deleted = connection.execute("DELETE FROM journal").rowcount
                connection.execute("UPDATE journal_meta SET row_count = 0, dropped = 0 WHERE id = 1")
            else:
                deleted = connection.execute("DELETE FROM journal WHERE partner_id = ?", (partner_id,)).rowcount
                connection.execute("UPDATE journal_meta SET row_count = row_count - ? WHERE id = 1", (deleted,))
        return deleted


def _bounds(
    at_least: int | None, at_most: int | None, never: bool, within_seconds: float | None
) -> tuple[int, int | None]:
    """Normalise verify's bounds to (lower, upper or None), refusing contradictory or negative ones."""
    if any(value is not None and value < 0 for value in (at_least, at_most, within_seconds)):
        raise ValueError("verify bounds and window must not be negative")
    if never:
        if at_least:
            raise ValueError("never contradicts at_least > 0")
        if at_most:
            raise ValueError("never contradicts at_most > 0")
        at_most = 0
    if at_least is None and at_most is None:
        return 1, None
    low = at_least or 0
    if at_most is not None and low > at_most:
        raise ValueError(f"at_least {low} is greater than at_most {at_most}")
    return low, at_most


def _expectation(low: int, high: int | None, within_seconds: float | None) -> str:
    """Human text for the bounds, e.g. "at least 1 and at most 3 within 2.0 s"."""
    if high == 0:
        text = "never"
    elif high == low:
        text = f"exactly {low}"
    elif high is None:
        text = f"at least {low}"
    elif low == 0:
        text = f"at most {high}"
    else:
        text = f"at least {low} and at most {high}"
    return text if within_seconds is None else f"{text} within {float(within_seconds)} s"
