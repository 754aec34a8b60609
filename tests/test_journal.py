"""The journal: exact round trips, filters, masking, the cap, verify (incl. "eventually") and concurrency."""

from __future__ import annotations

import io
import json
import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from mock_gateway.clock import ManualClock
from mock_gateway.journal import (
    EVERYTHING,
    Journal,
    JournalEntry,
    JournalFilter,
    Verification,
    mask_headers,
    mask_json,
    mask_secret,
    mask_url,
)
from mock_gateway.store import Database

START = 1_795_704_211.123  # 2026-11-26T14:43:31.123Z
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJlLXNlY3JldC12YWx1ZQ"
AMZ_SIGNATURE = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
AMZ_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESECURITYTOKEN"
PRESIGNED = (
    "https://bucket.oss-ap-southeast-5.aliyuncs.com/ktp/front.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    f"&X-Amz-Credential=LTAI5t%2F20261126&X-Amz-Security-Token={AMZ_TOKEN}&X-Amz-Signature={AMZ_SIGNATURE}"
)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "sandbox.db")
    yield database
    database.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def journal(db: Database, clock: ManualClock) -> Journal:
    return Journal(db, clock)


def record_request(journal: Journal, **overrides) -> int:
    """A minimal inbound request; tests override what they look at."""
    values = {"kind": "request", "method": "GET", "url": "/ping", "request_headers": {}, "status": 200}
    return journal.record(**(values | overrides))


def stored_text(db: Database) -> str:
    """Every column of every journal row as raw text, as a secret-leak check sees the file."""
    rows = db.connection().execute("SELECT * FROM journal").fetchall()
    return "\n".join(" ".join(str(value) for value in tuple(row)) for row in rows)


def exported(journal: Journal, where: JournalFilter = EVERYTHING) -> str:
    stream = io.StringIO()
    journal.export_jsonl(where, stream)
    return stream.getvalue()


def test_record_and_query_round_trip_exact(journal: Journal, clock: ManualClock) -> None:
    first = record_request(journal)
    clock.advance(1.5)
    second = journal.record(
        kind="callback",
        method="POST",
        url="https://partner.example/kyc/callback?tenant=7",
        request_headers={"Content-Type": "application/json", "webhook-id": "msg_1"},
        request_body={"submissionId": "sub-1", "status": "COMPLETED", "result": "VALID"},
        status=503,
        response_headers={"Retry-After": "5"},
        response_body="busy",
        latency_ms=12.345,
        partner_id="demo-client",
        operation="callback",
        partner_session_id="ps-1",
        submission_id="sub-1",
        sdk_session_id="sdk-1",
        attempt=2,
        error="HTTP 503",
    )

    assert (first, second) == (1, 2)
    entry = journal.query(JournalFilter(kind="callback"))[0]
    assert entry == JournalEntry(
        id=2,
        at=START + 1.5,
        kind="callback",
        partner_id="demo-client",
        operation="callback",
        method="POST",
        url="https://partner.example/kyc/callback?tenant=7",
        request_headers={"content-type": "application/json", "webhook-id": "msg_1"},
        request_body={"submissionId": "sub-1", "status": "COMPLETED", "result": "VALID"},
        status=503,
        response_headers={"retry-after": "5"},
        response_body="busy",
        latency_ms=12.345,
        partner_session_id="ps-1",
        submission_id="sub-1",
        sdk_session_id="sdk-1",
        attempt=2,
        error="HTTP 503",
    )
    assert entry.to_json() == {
        "id": 2,
        "at": "2026-11-26T14:43:32.623Z",
        "kind": "callback",
        "partnerId": "demo-client",
        "operation": "callback",
        "method": "POST",
        "url": "https://partner.example/kyc/callback?tenant=7",
        "request": {
            "headers": {"content-type": "application/json", "webhook-id": "msg_1"},
            "body": {"submissionId": "sub-1", "status": "COMPLETED", "result": "VALID"},
        },
        "response": {"status": 503, "headers": {"retry-after": "5"}, "body": "busy"},
        "latencyMs": 12.3,
        "partnerSessionId": "ps-1",
        "submissionId": "sub-1",
        "sdkSessionId": "sdk-1",
        "attempt": 2,
        "error": "HTTP 503",
    }
    assert journal.query(JournalFilter(kind="request"))[0].to_json()["response"] == {
        "status": 200,
        "headers": {},
        "body": None,
    }


@pytest.fixture
def varied(journal: Journal, clock: ManualClock) -> Journal:
    """Four entries that differ in every filterable field."""
    record_request(
        journal,
        method="POST",
        url="/v2/coe/authentication?x=1",
        partner_id="alpha",
        operation="auth.user_token",
        partner_session_id="ps-a",
    )
    clock.advance(10)
    record_request(
        journal,
        method="get",
        url="/coe/v1/submissions/status",
        status=404,
        partner_id="beta",
        operation="submissions.submission_status",
        submission_id="sub-b",
        sdk_session_id="sdk-b",
    )
    clock.advance(10)
    journal.record(
        kind="callback",
        method="PUT",
        url="https://beta.example/cb",
        request_headers={},
        partner_id="beta",
        operation="callback",
        submission_id="sub-b",
        attempt=1,
        error="connection refused",
    )
    clock.advance(10)
    record_request(journal, url="/v2/coe/authentication", partner_id="alpha", operation="auth.user_token")
    return journal


@pytest.mark.parametrize(
    ("where", "ids"),
    [
        (JournalFilter(), [1, 2, 3, 4]),
        (JournalFilter(partner_id="beta"), [2, 3]),
        (JournalFilter(kind="callback"), [3]),
        (JournalFilter(kind="request"), [1, 2, 4]),
        (JournalFilter(operation="auth.user_token"), [1, 4]),
        (JournalFilter(method="GET"), [2, 4]),
        (JournalFilter(method="put"), [3]),
        (JournalFilter(path="/v2/coe/authentication"), [1, 4]),
        (JournalFilter(path="https://beta.example/cb"), [3]),
        (JournalFilter(status=404), [2]),
        (JournalFilter(status=200), [1, 4]),
        (JournalFilter(partner_session_id="ps-a"), [1]),
        (JournalFilter(submission_id="sub-b"), [2, 3]),
        (JournalFilter(sdk_session_id="sdk-b"), [2]),
        (JournalFilter(since=START + 10), [2, 3, 4]),
        (JournalFilter(until=START + 10), [1, 2]),
        (JournalFilter(since=START + 10, until=START + 20), [2, 3]),
        (JournalFilter(partner_id="beta", kind="request"), [2]),
        (JournalFilter(partner_id="gamma"), []),
    ],
)
def test_each_filter_field(varied: Journal, where: JournalFilter, ids: list[int]) -> None:
    assert [entry.id for entry in varied.query(where)] == ids
    assert varied.count(where) == len(ids)
    assert [json.loads(line)["id"] for line in exported(varied, where).splitlines()] == ids


def test_query_pages_and_orders(varied: Journal) -> None:
    assert [entry.id for entry in varied.query(limit=2)] == [1, 2]
    assert [entry.id for entry in varied.query(limit=2, offset=2)] == [3, 4]
    assert [entry.id for entry in varied.query(newest_first=True, limit=3)] == [4, 3, 2]
    assert varied.query(limit=0) == []
    with pytest.raises(ValueError, match="negative"):
        varied.query(offset=-1)


def test_export_jsonl_writes_one_entry_per_line_oldest_first(varied: Journal) -> None:
    stream = io.StringIO()
    assert varied.export_jsonl(JournalFilter(partner_id="beta"), stream) == 2
    lines = stream.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == [
        entry.to_json() for entry in varied.query(JournalFilter(partner_id="beta"))
    ]
    assert stream.getvalue().endswith("\n")


def test_mask_secret() -> None:
    assert mask_secret("demo-pass-key") == "****-key"
    assert mask_secret("12345678") == "****"
    assert mask_secret("123456789") == "****6789"
    assert mask_secret("") == "****"


def test_mask_headers() -> None:
    masked = mask_headers(
        {
            "Pass-Key": "super-secret-pass-key",
            "client-id": "demo-client",
            "X-OneKYC-Token": "partner-token-abcdef",
            "Authorization": "Bearer opaque-token-1234",
            "X-Mock-Admin-Key": "admin-key-987654",
            "Cookie": "session=cookie-secret-zz",
            "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
            "X-Partner-Key": "partner-api-key-4242",
            "X-Api-Key": "default-api-key-5151",
            "Referer": f"https://web.example/launch#/launch-v1?token={JWT}",
        },
        extra=["x-partner-key"],
    )
    assert masked == {
        "pass-key": "****-key",
        "client-id": "demo-client",
        "x-onekyc-token": "****cdef",
        "authorization": "Bearer ****1234",
        "x-mock-admin-key": "****7654",
        "cookie": "****t-zz",
        "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
        "x-partner-key": "****4242",
        "x-api-key": "****5151",
        "referer": "https://web.example/launch#/launch-v1?token=****x1ZQ",
    }
    assert mask_headers({"authorization": "Basic dXNlcjpwYXNzd29yZA=="}) == {"authorization": "Basic ****"}
    assert mask_headers({"authorization": "opaque-token-5678"}) == {"authorization": "****5678"}


def test_mask_json_keys_and_strings() -> None:
    body = {
        "data": {"token": JWT, "expirySeconds": "5184000"},
        "credentials": [{"passKey": "pass-key-value-1"}, {"pass_key": "short"}, {"PASSWORD": "hunter2-hunter2"}],
        "callback": {"signingSecret": "whsec_c2VjcmV0LXNpZ25pbmcta2V5", "apiKey": 12345, "secret": None},
        "launchUrl": f"https://webgw.example/kyc/v2/index.html#/launch-v1?token={JWT}",
        "note": f"bearer {JWT} expired",
        "count": 3,
    }
    original = json.loads(json.dumps(body))

    assert mask_json(body) == {
        "data": {"token": "****x1ZQ", "expirySeconds": "5184000"},
        "credentials": [{"passKey": "****ue-1"}, {"pass_key": "****"}, {"PASSWORD": "****ter2"}],
        "callback": {"signingSecret": "****a2V5", "apiKey": "****", "secret": None},
        "launchUrl": "https://webgw.example/kyc/v2/index.html#/launch-v1?token=****x1ZQ",
        "note": "bearer ****x1ZQ expired",
        "count": 3,
    }
    assert body == original


def test_mask_url() -> None:
    assert mask_url(PRESIGNED) == (
        "https://bucket.oss-ap-southeast-5.aliyuncs.com/ktp/front.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=LTAI5t%2F20261126&X-Amz-Security-Token=****OKEN&X-Amz-Signature=****0a08"
    )
    assert mask_url("https://cb-user:cb-password@partner.example/cb") == "https://cb-user:****@partner.example/cb"
    assert mask_url("/coe/v1/submissions/status?submissionId=sub-1") == "/coe/v1/submissions/status?submissionId=sub-1"


def test_record_masks_everything_it_stores_and_exports(db: Database, clock: ManualClock) -> None:
    journal = Journal(db, clock, secret_headers=["X-Partner-Key"])
    secrets = [
        "super-secret-pass-key",
        "partner-token-abcdef",
        "opaque-bearer-token",
        "partner-api-key-4242",
        JWT,
        AMZ_SIGNATURE,
        AMZ_TOKEN,
        "whsec_c2VjcmV0LXNpZ25pbmcta2V5",
        "cb-password",
    ]
    journal.record(
        kind="request",
        method="POST",
        url=f"/coe/v1/documents?upload={PRESIGNED}",
        request_headers={
            "pass-key": secrets[0],
            "x-onekyc-token": secrets[1],
            "Authorization": f"Bearer {secrets[2]}",
            "X-Partner-Key": secrets[3],
        },
        request_body={"documentUrl": PRESIGNED, "signingSecret": secrets[7]},
        status=200,
        response_body={
            "success": True,
            "data": {"launchUrl": f"https://webgw.example/#/launch-v1?token={JWT}", "sessionHint": JWT},
        },
        error="redirect to https://u:cb-password@partner.example/cb failed",
    )

    stored, export = stored_text(db), exported(journal)
    assert "****0a08" in stored
    for secret in secrets:
        assert secret not in stored
        assert secret not in export
    entry = journal.query()[0]
    assert entry.request_headers["x-partner-key"] == "****4242"
    assert entry.response_body == {
        "success": True,
        "data": {"launchUrl": "https://webgw.example/#/launch-v1?token=****x1ZQ", "sessionHint": "****x1ZQ"},
    }
    assert entry.error == "redirect to https://u:****@partner.example/cb failed"


def test_image_reference_is_stored_as_is_and_binary_is_described(journal: Journal) -> None:
    reference = {"ref": "doc-7f3a", "bytes": 12345, "contentType": "image/jpeg"}
    record_request(journal, method="PUT", request_body=reference)
    record_request(journal, method="PUT", request_body=b"\xff\xd8\xff\xe0 jpeg bytes")
    record_request(journal, method="PUT", request_body=b'{"ok": true}')

    assert [entry.request_body for entry in journal.query()] == [
        reference,
        {"binary": True, "bytes": 15},
        '{"ok": true}',
    ]


def test_big_body_is_truncated(journal: Journal) -> None:
    big = {"blob": "é" * 40_000}  # 80,000 bytes as UTF-8 text, 40,012 characters
    text = json.dumps(big, ensure_ascii=False)
    just_fits = "x" * 65_536
    record_request(journal, request_body=big, response_body=just_fits)

    entry = journal.query()[0]
    assert entry.request_body == {"truncated": True, "bytes": len(text.encode()), "head": text[:1024]}
    assert entry.request_body["bytes"] == 80_012
    assert entry.response_body == just_fits
    record_request(journal, response_body=just_fits + "y")
    assert journal.query()[1].response_body == {"truncated": True, "bytes": 65_537, "head": "x" * 1024}


def test_cap_keeps_the_newest_and_counts_drops(db: Database, clock: ManualClock) -> None:
    journal = Journal(db, clock, cap=5)
    for _ in range(8):
        record_request(journal)

    assert [entry.id for entry in journal.query()] == [4, 5, 6, 7, 8]
    assert journal.count() == 5
    assert journal.dropped() == 3

    reopened = Journal(Database(db.path), clock, cap=5)
    assert reopened.dropped() == 3
    record_request(reopened)
    assert [entry.id for entry in reopened.query()] == [5, 6, 7, 8, 9]
    assert reopened.dropped() == 4


def test_a_smaller_cap_on_reopen_trims_on_the_next_record(db: Database, clock: ManualClock) -> None:
    journal = Journal(db, clock, cap=10)
    for _ in range(6):
        record_request(journal)
    smaller = Journal(db, clock, cap=3)
    record_request(smaller)
    assert [entry.id for entry in smaller.query()] == [5, 6, 7]
    assert smaller.dropped() == 4


def test_clear_one_partner_keeps_the_others(db: Database, clock: ManualClock) -> None:
    journal = Journal(db, clock, cap=3)
    for partner in ("alpha", "beta", "alpha", "beta"):
        record_request(journal, partner_id=partner)

    assert journal.dropped() == 1
    assert journal.clear("alpha") == 1
    assert [(entry.id, entry.partner_id) for entry in journal.query()] == [(2, "beta"), (4, "beta")]
    assert journal.dropped() == 1
    for _ in range(2):
        record_request(journal, partner_id="gamma")
    assert [entry.id for entry in journal.query()] == [4, 5, 6]
    assert journal.dropped() == 2

    assert journal.clear() == 3
    assert journal.count() == 0
    assert journal.dropped() == 0
    record_request(journal)
    assert journal.count() == 1


def test_cap_must_be_positive_and_kind_known(db: Database, clock: ManualClock, journal: Journal) -> None:
    with pytest.raises(ValueError, match="cap"):
        Journal(db, clock, cap=0)
    with pytest.raises(ValueError, match="kind"):
        record_request(journal, kind="response")
    assert journal.count() == 0


@pytest.fixture
def three_callbacks(journal: Journal) -> Journal:
    for _ in range(3):
        record_request(journal, kind="callback", operation="callback")
    return journal


@pytest.mark.parametrize(
    ("bounds", "ok", "expectation"),
    [
        ({}, True, "at least 1"),
        ({"at_least": 3}, True, "at least 3"),
        ({"at_least": 4}, False, "at least 4"),
        ({"at_most": 3}, True, "at most 3"),
        ({"at_most": 2}, False, "at most 2"),
        ({"at_least": 1, "at_most": 3}, True, "at least 1 and at most 3"),
        ({"at_least": 3, "at_most": 3}, True, "exactly 3"),
        ({"at_least": 2, "at_most": 2}, False, "exactly 2"),
        ({"never": True}, False, "never"),
        ({"at_least": 0}, True, "at least 0"),
    ],
)
def test_verify_bounds(three_callbacks: Journal, bounds: dict, ok: bool, expectation: str) -> None:
    result = three_callbacks.verify(JournalFilter(kind="callback"), **bounds)
    assert result == Verification(ok=ok, count=3, expectation=expectation)
    assert result.to_json() == {"verified": ok, "count": 3, "expectation": expectation}


def test_verify_never_passes_when_nothing_matches(three_callbacks: Journal) -> None:
    result = three_callbacks.verify(JournalFilter(kind="request"), never=True, at_most=0, at_least=0)
    assert result == Verification(ok=True, count=0, expectation="never")


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ({"at_least": 3, "at_most": 2}, "at_least 3 is greater than at_most 2"),
        ({"never": True, "at_least": 1}, "never contradicts at_least"),
        ({"never": True, "at_most": 2}, "never contradicts at_most"),
        ({"at_least": -1}, "negative"),
        ({"at_most": -1}, "negative"),
        ({"within_seconds": -0.5}, "negative"),
    ],
)
def test_verify_rejects_contradictory_or_negative_bounds(journal: Journal, bounds: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        journal.verify(JournalFilter(), **bounds)


def test_verify_eventually_sees_an_entry_recorded_later(journal: Journal) -> None:
    def late_callback() -> None:
        time.sleep(0.1)
        record_request(journal, kind="callback", operation="callback")

    writer = threading.Thread(target=late_callback)
    started = time.monotonic()
    writer.start()
    result = journal.verify(JournalFilter(kind="callback"), at_least=1, within_seconds=2)
    elapsed = time.monotonic() - started
    writer.join()

    assert result == Verification(ok=True, count=1, expectation="at least 1 within 2.0 s")
    assert 0.09 <= elapsed < 1.5


class FakeTime:
    """sleep() moves monotonic() forward, and can run an action when a given moment is passed."""

    def __init__(self, at: float | None = None, action=None) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self._at, self._action = at, action

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self._at is not None and self.now >= self._at:
            self._at = None
            self._action()


def test_verify_eventually_fails_after_the_window_without_waiting(journal: Journal) -> None:
    fake = FakeTime()
    started = time.monotonic()
    result = journal.verify(
        JournalFilter(kind="callback"), at_least=1, within_seconds=2, sleep=fake.sleep, monotonic=fake.monotonic
    )

    assert result == Verification(ok=False, count=0, expectation="at least 1 within 2.0 s")
    assert sum(fake.slept) == pytest.approx(2.0)
    assert max(fake.slept) == pytest.approx(0.05)
    assert len(fake.slept) in (40, 41)
    assert time.monotonic() - started < 1.0


def test_verify_upper_bound_is_watched_for_the_whole_window(journal: Journal) -> None:
    late = FakeTime(at=1.0, action=lambda: record_request(journal, kind="callback"))
    result = journal.verify(
        JournalFilter(kind="callback"), never=True, within_seconds=2, sleep=late.sleep, monotonic=late.monotonic
    )
    assert result == Verification(ok=False, count=1, expectation="never within 2.0 s")
    assert sum(late.slept) == pytest.approx(1.0)  # failed as soon as the bound broke

    quiet = FakeTime()
    result = journal.verify(
        JournalFilter(kind="request"), at_most=0, within_seconds=0.5, sleep=quiet.sleep, monotonic=quiet.monotonic
    )
    assert result == Verification(ok=True, count=0, expectation="never within 0.5 s")
    assert sum(quiet.slept) == pytest.approx(0.5)


def test_verify_without_a_window_counts_once(journal: Journal) -> None:
    fake = FakeTime()
    result = journal.verify(JournalFilter(), at_least=1, sleep=fake.sleep, monotonic=fake.monotonic)
    assert result == Verification(ok=False, count=0, expectation="at least 1")
    assert fake.slept == []


def test_two_threads_record_concurrently(journal: Journal) -> None:
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            for index in range(200):
                record_request(journal, partner_id=name, partner_session_id=f"{name}-{index}")
        except BaseException as error:  # collected so the test reports it instead of a silent thread death
            errors.append(error)

    threads = [threading.Thread(target=write, args=(name,)) for name in ("alpha", "beta")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert journal.count() == 400
    assert journal.count(JournalFilter(partner_id="alpha")) == 200
    assert sorted(entry.id for entry in journal.query(limit=1000)) == list(range(1, 401))


def write_from_process(path: str, partner: str, records: int) -> None:
    """Runs in a child process: its own Database and Journal on the shared file."""
    database = Database(Path(path))
    journal = Journal(database, ManualClock(START), cap=150)
    for _ in range(records):
        record_request(journal, partner_id=partner)
    database.close()


def test_two_processes_share_the_cap_and_the_drop_count(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    Journal(Database(path), ManualClock(START), cap=150)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=write_from_process, args=(str(path), name, 100)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert [worker.exitcode for worker in workers] == [0, 0]
    journal = Journal(Database(path), ManualClock(START), cap=150)
    assert journal.count() == 150
    assert journal.dropped() == 50
    assert [entry.id for entry in journal.query(limit=1000)] == list(range(51, 201))
