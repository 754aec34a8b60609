"""Outbound callbacks against a real local HTTP receiver; time moves only by ManualClock, never by sleeping."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from conformance.plugin import free_port
from mock_gateway.clock import ManualClock
from mock_gateway.delivery import (
    CallbackDispatcher,
    CallbackMisbehaviour,
    Delivery,
    generate_secret,
    signature_headers,
)
from mock_gateway.journal import Journal, JournalFilter
from mock_gateway.settings import CallbackAuth, CallbackSettings, Partner
from mock_gateway.store import Database

REPO = Path(__file__).resolve().parents[1]
FIXED_START = 1_780_000_000.0  # 2026-05-28T20:26:40Z
BODY = {
    "submissionId": "0b7f6f0e-4a8e-4d59-9a53-2f4c1d9e7a10",
    "flow": "KTP_SCAN",
    "userId": "user-42",
    "userIdType": "PHONE",
    "partnerSessionId": "ps-1",
    "status": "COMPLETED",
    "result": "VALID",
    "processedAt": "2026-05-28T20:26:40Z",
    "reasonCode": None,
    "submissionDetails": {
        "ktpData": {"nik": "3171015708900003", "name": "SITI RAHAYU", "address": "JL. MAWAR NO. 7 • BLOK C"},
        "imageUrls": {"KTP": "http://127.0.0.1:8080/__mock/submissions/x/image"},
    },
}
WIRE_BODY = json.dumps(BODY, separators=(",", ":"), ensure_ascii=False).encode()
CALLBACK_FILTER = JournalFilter(kind="callback")


@dataclass(frozen=True)
class Reply:
    """What the receiver answers to one request."""

    status: int = 200
    delay: float = 0.0
    body: bytes = b'{"received":true}'
    content_type: str = "application/json"


@dataclass(frozen=True)
class Received:
    """One request as the partner's backend saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        """The body parsed."""
        return json.loads(self.body)


@dataclass
class Receiver:
    """A partner backend on 127.0.0.1:<free port> that records requests and answers scripted replies in order."""

    script: list[Reply] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.arrived:
                    receiver.requests.append(
                        Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    reply = receiver.script.pop(0) if receiver.script else Reply()
                    receiver.arrived.notify_all()
                if reply.delay:
                    receiver.release.wait(reply.delay)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_POST = do_PUT = do_PATCH = _handle  # noqa: N815 - the names http.server dispatches on

            def log_message(self, *args: object) -> None:
                """Quiet: the test asserts on `requests` instead."""

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                """A client that gave up (the timeout test) is expected, not an error."""

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    @property
    def url(self) -> str:
        """The callback URL partners would register."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/onekyc/callback"

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Block until `count` requests arrived (background-thread and subprocess tests only)."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout), self.requests

    def close(self) -> None:
        """Release any sleeping reply and stop serving."""
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Harness:
    """One dispatcher wired to a real Database and Journal in tmp_path."""

    db: Database
    journal: Journal
    clock: ManualClock
    dispatcher: CallbackDispatcher
    partners: dict[str, Partner]

    def enqueue(self, misbehaviour: CallbackMisbehaviour | None = None, partner_id: str = "p1") -> Delivery:
        """The standard body for partner p1."""
        return self.dispatcher.enqueue(
            partner_id=partner_id,
            submission_id=BODY["submissionId"],
            partner_session_id="ps-1",
            body=BODY,
            misbehaviour=misbehaviour or CallbackMisbehaviour(),
        )

    def entries(self) -> list:
        """Every callback journal entry, oldest first."""
        return self.journal.query(CALLBACK_FILTER, limit=1000)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def harness(tmp_path: Path):
    """Builds harnesses; every database they open is closed at teardown."""
    opened: list[Database] = []

    def build(
        callback: CallbackSettings,
        *,
        start: float = FIXED_START,
        clock: ManualClock | None = None,
        secret_headers: tuple[str, ...] = (),
        client: httpx.Client | None = None,
    ) -> Harness:
        db = Database(tmp_path / "sandbox.db")
        opened.append(db)
        clock = clock or ManualClock(start)
        journal = Journal(db, clock, secret_headers=secret_headers)
        partners = {"p1": Partner("p1", "pass-key-p1", callback=callback)}
        dispatcher = CallbackDispatcher(db, journal, clock, partners.get, client=client)
        return Harness(db, journal, clock, dispatcher, partners)

    yield build
    for db in opened:
        db.close()


def wall_start() -> float:
    """A start time Standard Webhooks verification accepts (it checks against the real clock, ±5 min)."""
    return float(int(time.time()))


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_sends_partner_method_with_exact_bytes_and_headers(harness, receiver: Receiver, method: str) -> None:
    h = harness(CallbackSettings(url=receiver.url, method=method))
    queued = h.enqueue()

    assert h.dispatcher.run_due() == 1
    assert h.dispatcher.run_due() == 0

    (request,) = receiver.requests
    assert request.method == method
    assert request.path == "/onekyc/callback"
    assert request.body == WIRE_BODY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == f"ktp-sandbox/{version('ktp-scan-sandbox')}"
    assert not {"authorization", "webhook-id", "webhook-timestamp", "webhook-signature"} & set(request.headers)
    delivered = h.dispatcher.get(queued.id)
    assert delivered is not None
    assert (delivered.state, delivered.attempts, delivered.method) == ("delivered", 1, method)
    assert (delivered.last_status, delivered.last_error) == (200, None)
    assert (delivered.delivered_at, delivered.next_attempt_at) == (FIXED_START, None)


def test_enqueue_persists_a_pending_delivery_due_now(harness, receiver: Receiver) -> None:
    h = harness(CallbackSettings(url=receiver.url))
    queued = h.enqueue(CallbackMisbehaviour(fail_times=1, duplicate=True))

    assert re.fullmatch(r"msg_[0-9a-f]{24}", queued.id)
    assert h.dispatcher.get(queued.id) == queued
    assert (queued.state, queued.attempts, queued.next_attempt_at, queued.created_at) == (
        "pending",
        0,
        FIXED_START,
        FIXED_START,
    )
    assert queued.url == receiver.url
    assert queued.misbehaviour == CallbackMisbehaviour(fail_times=1, duplicate=True)
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("auth", "header", "value"),
    [
        (CallbackAuth(kind="basic", username="alice", password="s3cret"), "authorization", "Basic YWxpY2U6czNjcmV0"),
        (CallbackAuth(kind="bearer", token="tok-abcdefgh1234"), "authorization", "Bearer tok-abcdefgh1234"),
        (CallbackAuth(kind="api_key", header_name="X-Partner-Key", api_key="key-98765"), "x-partner-key", "key-98765"),
    ],
)
def test_each_auth_kind_sends_its_exact_header(harness, receiver, auth, header, value) -> None:
    h = harness(CallbackSettings(url=receiver.url, auth=auth))
    h.enqueue()

    h.dispatcher.run_due()

    assert receiver.requests[0].headers[header] == value


def test_auth_none_sends_no_credentials(harness, receiver: Receiver) -> None:
    h = harness(CallbackSettings(url=receiver.url, auth=CallbackAuth(kind="none", api_key="unused")))
    h.enqueue()

    h.dispatcher.run_due()

    assert set(receiver.requests[0].headers) == {
        "host",
        "accept",
        "accept-encoding",
        "connection",
        "user-agent",
        "content-type",
        "content-length",
    }


def test_signature_verifies_and_a_tampered_body_does_not(harness, receiver: Receiver) -> None:
    secret = generate_secret()
    h = harness(CallbackSettings(url=receiver.url, signing_secret=secret), start=wall_start())
    queued = h.enqueue()

    h.dispatcher.run_due()

    (request,) = receiver.requests
    assert request.headers["webhook-id"] == queued.id
    assert request.headers["webhook-timestamp"] == str(int(h.clock.now()))
    assert request.headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(request.body, request.headers) == BODY
    tampered = request.body.replace(b'"VALID"', b'"INVALID"')
    with pytest.raises(WebhookVerificationError, match="No matching signature found"):
        Webhook(secret).verify(tampered, request.headers)


def test_bad_signature_fails_verification(harness, receiver: Receiver) -> None:
    secret = generate_secret()
    h = harness(CallbackSettings(url=receiver.url, signing_secret=secret), start=wall_start())
    h.enqueue(CallbackMisbehaviour(bad_signature=True))

    h.dispatcher.run_due()

    (request,) = receiver.requests
    assert request.headers["webhook-signature"].startswith("v1,")
    with pytest.raises(WebhookVerificationError, match="No matching signature found"):
        Webhook(secret).verify(request.body, request.headers)


def test_signature_headers_match_the_standard_webhooks_reference_vector() -> None:
    headers = signature_headers(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330.9, b'{"test": 2432232314}'
    )

    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_generate_secret_is_whsec_and_24_random_bytes() -> None:
    first, second = generate_secret(), generate_secret()

    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 24
    assert first != second


def test_an_empty_signing_secret_is_a_failed_attempt_not_a_crash(harness, receiver: Receiver) -> None:
    h = harness(CallbackSettings(url=receiver.url, signing_secret="whsec_", retry_schedule_seconds=()))
    queued = h.enqueue()

    assert h.dispatcher.run_due() == 1

    assert receiver.requests == []
    failed = h.dispatcher.get(queued.id)
    assert failed is not None
    assert failed.state == "failed"
    assert failed.last_error == "invalid signing secret: webhook secret may not be empty"
    assert [entry.error for entry in h.entries()] == [failed.last_error]


def test_retry_schedule_is_exact(harness, receiver: Receiver) -> None:
    receiver.script = [Reply(500), Reply(500), Reply(200)]
    h = harness(CallbackSettings(url=receiver.url, retry_schedule_seconds=(1.0, 5.0)))
    queued = h.enqueue()

    assert h.dispatcher.run_due() == 1
    after_first = h.dispatcher.get(queued.id)
    assert after_first is not None
    assert (after_first.state, after_first.attempts, after_first.next_attempt_at) == ("pending", 1, FIXED_START + 1)
    assert (after_first.last_status, after_first.last_error) == (500, "HTTP 500")
    h.clock.advance(0.999)
    assert h.dispatcher.run_due() == 0
    h.clock.advance(0.001)
    assert h.dispatcher.run_due() == 1
    h.clock.advance(4.999)
    assert h.dispatcher.run_due() == 0
    h.clock.advance(0.001)
    assert h.dispatcher.run_due() == 1

    done = h.dispatcher.get(queued.id)
    assert done is not None
    assert (done.state, done.attempts, done.last_status, done.next_attempt_at) == ("delivered", 3, 200, None)
    entries = h.entries()
    assert [e.status for e in entries] == [500, 500, 200]
    assert [e.attempt for e in entries] == [1, 2, 3]
    assert [e.error for e in entries] == ["HTTP 500", "HTTP 500", None]
    assert [round(e.at - FIXED_START, 3) for e in entries] == [0.0, 1.0, 6.0]
    assert len(receiver.requests) == 3
    assert {r.body for r in receiver.requests} == {WIRE_BODY}


def test_exhausted_schedule_marks_the_delivery_failed(harness, receiver: Receiver) -> None:
    receiver.script = [Reply(503), Reply(503), Reply(503)]
    h = harness(CallbackSettings(url=receiver.url, retry_schedule_seconds=(2.0,)))
    queued = h.enqueue()

    h.dispatcher.run_due()
    h.clock.advance(2)
    assert h.dispatcher.run_due() == 1
    h.clock.advance(3600)
    assert h.dispatcher.run_due() == 0

    failed = h.dispatcher.get(queued.id)
    assert failed is not None
    assert (failed.state, failed.attempts, failed.next_attempt_at) == ("failed", 2, None)
    assert (failed.last_status, failed.last_error) == (503, "HTTP 503")
    assert len(receiver.requests) == 2


def test_timeout_is_a_failed_attempt_without_status(harness, receiver: Receiver) -> None:
    receiver.script = [Reply(200, delay=5.0)]
    h = harness(CallbackSettings(url=receiver.url, timeout_seconds=0.3, retry_schedule_seconds=(1.0,)))
    queued = h.enqueue()

    assert h.dispatcher.run_due() == 1

    (entry,) = h.entries()
    assert (entry.status, entry.error, entry.attempt) == (None, "timeout after 0.3 s", 1)
    assert 300 <= entry.latency_ms < 5000
    pending = h.dispatcher.get(queued.id)
    assert pending is not None
    assert (pending.state, pending.last_status, pending.last_error) == ("pending", None, "timeout after 0.3 s")
    assert pending.next_attempt_at == FIXED_START + 1


def test_connection_refused_is_a_failed_attempt(harness) -> None:
    h = harness(CallbackSettings(url=f"http://127.0.0.1:{free_port()}/cb", retry_schedule_seconds=(1.0,)))
    queued = h.enqueue()

    assert h.dispatcher.run_due() == 1

    (entry,) = h.entries()
    assert (entry.status, entry.error, entry.attempt) == (None, "connection refused", 1)
    pending = h.dispatcher.get(queued.id)
    assert pending is not None
    assert (pending.state, pending.last_error) == ("pending", "connection refused")


def test_fail_times_injects_journaled_failures_then_delivers(harness, receiver: Receiver) -> None:
    h = harness(CallbackSettings(url=receiver.url, retry_schedule_seconds=(1.0, 5.0)))
    queued = h.enqueue(CallbackMisbehaviour(fail_times=2))

    assert h.dispatcher.run_due() == 1
    h.clock.advance(1)
    assert h.dispatcher.run_due() == 1
    assert receiver.requests == []
    h.clock.advance(5)
    assert h.dispatcher.run_due() == 1

    assert len(receiver.requests) == 1
    entries = h.entries()
    assert [(e.attempt, e.status, e.error) for e in entries] == [
        (1, None, "injected failure"),
        (2, None, "injected failure"),
        (3, 200, None),
    ]
    assert entries[0].request_body == BODY
    done = h.dispatcher.get(queued.id)
    assert done is not None
    assert (done.state, done.attempts) == ("delivered", 3)


def test_duplicate_sends_the_identical_request_twice(harness, receiver: Receiver) -> None:
    h = harness(CallbackSettings(url=receiver.url, signing_secret=generate_secret()), start=wall_start())
    queued = h.enqueue(CallbackMisbehaviour(duplicate=True))

    assert h.dispatcher.run_due() == 1

    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == queued.id
    assert first.headers == second.headers
    assert first.body == second.body == WIRE_BODY
    assert [(e.attempt, e.status) for e in h.entries()] == [(1, 200), (1, 200)]
    done = h.dispatcher.get(queued.id)
    assert done is not None
    assert (done.state, done.attempts) == ("delivered", 1)


def test_out_of_order_sends_a_stale_in_progress_copy_with_an_older_timestamp(harness, receiver: Receiver) -> None:
    secret = generate_secret()
    h = harness(CallbackSettings(url=receiver.url, signing_secret=secret), start=wall_start())
    queued = h.enqueue(CallbackMisbehaviour(out_of_order=True))

    h.dispatcher.run_due()

    fresh, stale = receiver.requests
    assert fresh.json() == BODY
    assert stale.json() == {
        **BODY,
        "status": "IN_PROGRESS",
        "result": None,
        "reasonCode": None,
        "submissionDetails": None,
    }
    assert stale.headers["webhook-id"] != queued.id
    assert stale.headers["webhook-id"].startswith("msg_")
    assert int(stale.headers["webhook-timestamp"]) == int(fresh.headers["webhook-timestamp"]) - 1
    assert Webhook(secret).verify(stale.body, stale.headers)["status"] == "IN_PROGRESS"


def test_partner_without_callback_url_is_recorded_but_never_sent(harness, receiver: Receiver) -> None:
    h = harness(CallbackSettings(url=None))
    queued = h.enqueue()
    unknown = h.enqueue(partner_id="nobody")

    assert (queued.state, queued.url, queued.next_attempt_at) == ("no_url", None, None)
    assert unknown.state == "no_url"
    h.clock.advance(3600)
    assert h.dispatcher.run_due() == 0
    assert h.dispatcher.redeliver(queued.id).state == "no_url"
    assert h.dispatcher.run_due() == 0
    assert h.entries() == []
    assert receiver.requests == []


def test_redeliver_of_a_delivered_callback_sends_again(harness, receiver: Receiver) -> None:
    h = harness(CallbackSettings(url=receiver.url, signing_secret=generate_secret()), start=wall_start())
    queued = h.enqueue(CallbackMisbehaviour(duplicate=True))
    h.dispatcher.run_due()
    h.clock.advance(60)

    again = h.dispatcher.redeliver(queued.id)

    assert (again.state, again.attempts, again.next_attempt_at) == ("pending", 1, h.clock.now())
    assert h.dispatcher.run_due() == 1
    assert [r.headers["webhook-id"] for r in receiver.requests] == [queued.id] * 3  # 1st, its duplicate, redelivery
    assert [e.attempt for e in h.entries()] == [1, 1, 2]
    done = h.dispatcher.get(queued.id)
    assert done is not None
    assert (done.state, done.attempts, done.delivered_at) == ("delivered", 2, h.clock.now())


def test_redeliver_of_a_failed_callback_restarts_the_schedule(harness, receiver: Receiver) -> None:
    receiver.script = [Reply(500)] * 4
    h = harness(CallbackSettings(url=receiver.url, retry_schedule_seconds=(1.0,)))
    queued = h.enqueue()
    h.dispatcher.run_due()
    h.clock.advance(1)
    h.dispatcher.run_due()
    failed = h.dispatcher.get(queued.id)
    assert failed is not None
    assert (failed.state, failed.attempts) == ("failed", 2)

    h.dispatcher.redeliver(queued.id)
    assert h.dispatcher.run_due() == 1
    retrying = h.dispatcher.get(queued.id)
    assert retrying is not None
    assert (retrying.state, retrying.attempts, retrying.next_attempt_at) == ("pending", 3, h.clock.now() + 1)
    h.clock.advance(1)
    assert h.dispatcher.run_due() == 1

    final = h.dispatcher.get(queued.id)
    assert final is not None
    assert (final.state, final.attempts) == ("failed", 4)
    assert [e.attempt for e in h.entries()] == [1, 2, 3, 4]


def test_redeliver_of_an_unknown_id_raises_key_error(harness, receiver: Receiver) -> None:
    h = harness(CallbackSettings(url=receiver.url))

    with pytest.raises(KeyError):
        h.dispatcher.redeliver("msg_000000000000000000000000")


def test_a_new_dispatcher_on_the_same_file_delivers_what_the_old_one_queued(harness, receiver: Receiver) -> None:
    first = harness(CallbackSettings(url=receiver.url))
    queued = first.enqueue()
    first.db.close()

    second = harness(CallbackSettings(url=receiver.url))

    assert second.dispatcher.get(queued.id) == queued
    assert second.dispatcher.run_due() == 1
    assert receiver.requests[0].body == WIRE_BODY
    assert second.dispatcher.get(queued.id).state == "delivered"


class Killed(BaseException):
    """Stands in for the process dying in the middle of a send."""


def test_a_claimed_but_unfinished_attempt_is_due_again_after_the_lease(harness, receiver: Receiver) -> None:
    def die(request: httpx.Request) -> httpx.Response:
        raise Killed

    callback = CallbackSettings(url=receiver.url, timeout_seconds=10.0)
    crashed = harness(callback, client=httpx.Client(transport=httpx.MockTransport(die)))
    queued = crashed.enqueue()
    with pytest.raises(Killed):
        crashed.dispatcher.run_due()

    leased = crashed.dispatcher.get(queued.id)
    assert leased is not None
    assert (leased.state, leased.attempts, leased.next_attempt_at) == ("pending", 0, FIXED_START + 40)
    restarted = harness(callback, clock=crashed.clock)
    assert restarted.dispatcher.run_due() == 0
    crashed.clock.advance(39.999)
    assert restarted.dispatcher.run_due() == 0
    crashed.clock.advance(0.001)
    assert restarted.dispatcher.run_due() == 1
    done = restarted.dispatcher.get(queued.id)
    assert done is not None
    assert (done.state, done.attempts) == ("delivered", 1)
    assert [e.attempt for e in restarted.entries()] == [1]


CHILD = """
import sys
from pathlib import Path
from mock_gateway.clock import ManualClock
from mock_gateway.delivery import CallbackDispatcher
from mock_gateway.journal import Journal
from mock_gateway.settings import CallbackSettings, Partner
from mock_gateway.store import Database

db_file, url, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
db, clock = Database(Path(db_file)), ManualClock(start)
partner = Partner("p1", "pass-key-p1", callback=CallbackSettings(url=url, timeout_seconds=5.0))
CallbackDispatcher(db, Journal(db, clock), clock, {"p1": partner}.get).run_due()
"""


def test_kill_9_mid_send_loses_nothing(harness, receiver: Receiver, tmp_path: Path) -> None:
    receiver.script = [Reply(200, delay=60.0)]
    callback = CallbackSettings(url=receiver.url, timeout_seconds=5.0)
    h = harness(callback)
    queued = h.enqueue()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "sandbox.db"), receiver.url, str(FIXED_START)], cwd=REPO
    )
    try:
        receiver.wait_for(1)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()

    leased = h.dispatcher.get(queued.id)
    assert leased is not None
    assert (leased.state, leased.attempts, leased.next_attempt_at) == ("pending", 0, FIXED_START + 35)
    h.clock.advance(35)
    assert h.dispatcher.run_due() == 1
    assert [r.body for r in receiver.requests] == [WIRE_BODY] * 2
    assert h.dispatcher.get(queued.id).state == "delivered"


def test_two_dispatchers_on_one_file_never_send_the_same_attempt(harness, receiver: Receiver) -> None:
    callback = CallbackSettings(url=receiver.url, signing_secret=generate_secret())
    first = harness(callback, start=wall_start())
    second = harness(callback, clock=first.clock)
    queued = [first.enqueue().id for _ in range(30)]
    made: list[int] = []
    threads = [threading.Thread(target=lambda h=h: made.append(h.dispatcher.run_due())) for h in (first, second)]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(made) == 30
    assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(queued)
    assert {d.state for d in first.dispatcher.deliveries()} == {"delivered"}
    assert [e.attempt for e in first.entries()] == [1] * 30
    assert [d.id for d in first.dispatcher.deliveries()] == queued


def test_journal_entries_carry_status_attempt_and_masked_auth(harness, receiver: Receiver) -> None:
    receiver.script = [Reply(500, body=b"boom", content_type="text/plain"), Reply(201)]
    bearer = CallbackAuth(kind="bearer", token="tok-abcdefgh1234")
    h = harness(CallbackSettings(url=receiver.url, auth=bearer, retry_schedule_seconds=(1.0,)))
    queued = h.enqueue()

    h.dispatcher.run_due()
    h.clock.advance(1)
    h.dispatcher.run_due()

    failed, delivered = h.entries()
    for entry, attempt in ((failed, 1), (delivered, 2)):
        assert (entry.kind, entry.operation, entry.method, entry.url) == ("callback", "callback", "POST", receiver.url)
        assert (entry.partner_id, entry.partner_session_id, entry.submission_id) == ("p1", "ps-1", BODY["submissionId"])
        assert (entry.sdk_session_id, entry.attempt) == (None, attempt)
        assert entry.request_headers["authorization"] == "Bearer ****1234"
        assert entry.request_body == BODY
        assert entry.latency_ms > 0
    assert (failed.status, failed.error, failed.response_body) == (500, "HTTP 500", "boom")
    assert (delivered.status, delivered.error, delivered.response_body) == (201, None, {"received": True})
    assert delivered.response_headers["content-type"] == "application/json"
    exported = json.dumps([e.to_json() for e in h.entries()])
    assert "tok-abcdefgh1234" not in exported
    assert h.dispatcher.get(queued.id).last_status == 201


def test_api_key_header_is_masked_when_the_journal_knows_its_name(harness, receiver: Receiver) -> None:
    auth = CallbackAuth(kind="api_key", header_name="X-Partner-Key", api_key="key-secret-98765")
    h = harness(CallbackSettings(url=receiver.url, auth=auth), secret_headers=("X-Partner-Key",))
    h.enqueue()

    h.dispatcher.run_due()

    (entry,) = h.entries()
    assert entry.request_headers["x-partner-key"] == "****8765"
    assert receiver.requests[0].headers["x-partner-key"] == "key-secret-98765"


def test_delivery_to_json_is_camel_case_with_iso_times(harness, receiver: Receiver) -> None:
    h = harness(CallbackSettings(url=receiver.url, method="PUT"))
    queued = h.enqueue(CallbackMisbehaviour(fail_times=1, out_of_order=True))
    h.clock.advance(1)

    assert queued.to_json() == {
        "id": queued.id,
        "partnerId": "p1",
        "submissionId": BODY["submissionId"],
        "partnerSessionId": "ps-1",
        "url": receiver.url,
        "method": "PUT",
        "state": "pending",
        "attempts": 0,
        "nextAttemptAt": "2026-05-28T20:26:40Z",
        "createdAt": "2026-05-28T20:26:40Z",
        "deliveredAt": None,
        "lastStatus": None,
        "lastError": None,
        "body": BODY,
        "misbehaviour": {"failTimes": 1, "duplicate": False, "outOfOrder": True, "badSignature": False},
    }


def test_misbehaviour_json_round_trip_and_defaults() -> None:
    odd = CallbackMisbehaviour(fail_times=3, duplicate=True, out_of_order=False, bad_signature=True)

    assert odd.to_json() == {"failTimes": 3, "duplicate": True, "outOfOrder": False, "badSignature": True}
    assert CallbackMisbehaviour.from_json(odd.to_json()) == odd
    assert CallbackMisbehaviour.from_json({"duplicate": True}) == CallbackMisbehaviour(duplicate=True)


def test_deliveries_filter_oldest_first_and_clear_per_partner(harness, receiver: Receiver) -> None:
    h = harness(CallbackSettings(url=receiver.url))
    h.partners["p2"] = Partner("p2", "pass-key-p2", callback=CallbackSettings(url=receiver.url))
    a = h.enqueue()
    b = h.dispatcher.enqueue(partner_id="p2", submission_id="sub-b", partner_session_id="ps-2", body={"x": 1})
    c = h.dispatcher.enqueue(partner_id="p1", submission_id="sub-c", partner_session_id=None, body={"x": 2})

    assert [d.id for d in h.dispatcher.deliveries()] == [a.id, b.id, c.id]
    assert [d.id for d in h.dispatcher.deliveries(partner_id="p1")] == [a.id, c.id]
    assert [d.id for d in h.dispatcher.deliveries(submission_id="sub-b")] == [b.id]
    assert [d.id for d in h.dispatcher.deliveries(partner_session_id="ps-1")] == [a.id]
    assert h.dispatcher.deliveries(partner_id="p1", submission_id="sub-b") == []
    assert h.dispatcher.get("msg_missing") is None
    assert h.dispatcher.clear("p1") == 2
    assert [d.id for d in h.dispatcher.deliveries()] == [b.id]
    assert h.dispatcher.clear() == 1
    assert h.dispatcher.deliveries() == []


def test_background_threads_deliver_and_stop(harness, receiver: Receiver) -> None:
    h = harness(CallbackSettings(url=receiver.url))
    h.dispatcher.start(threads=2)
    try:
        queued = h.enqueue()
        receiver.wait_for(1)
    finally:
        h.dispatcher.stop()

    assert not [t for t in threading.enumerate() if t.name.startswith("callback-dispatcher")]
    assert len(receiver.requests) == 1
    assert h.dispatcher.get(queued.id).state == "delivered"
    later = h.enqueue()
    assert h.dispatcher.get(later.id).state == "pending"
