"""The control plane under /__mock: every operation's answer, who may ask, and that partners never see each other."""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT4

from mock_gateway.app import GatewayApp, create_app
from mock_gateway.clock import ManualClock
from mock_gateway.routes import CONTROL_SPEC
from mock_gateway.settings import DEMO_PARTNER, CallbackAuth, CallbackSettings, Partner, Settings
from synthetic_ktp.dataset import encode_image, generate_card

START = 1_780_000_000.0  # 2026-05-28T20:26:40Z
ADMIN = {"x-mock-admin-key": "ktp-sandbox-admin"}
A_CREDENTIALS = {"client-id": "demo-client", "pass-key": "demo-pass-key"}
B_CREDENTIALS = {"client-id": "b-client", "pass-key": "b-pass"}
BEARER_TOKEN = "callback-bearer-token-0001"
SIGNING_SECRET = "whsec_" + base64.b64encode(b"control-plane-test-signing-key").decode()
PARTNER_B = Partner("b-client", "b-pass", name="Partner B", onboarding_partners=("B-SDK-KTP_SCAN",))
A_OPERATIONS = [
    "tokens.partner_token", "flows.initiate_flow", "submissions.presigned_urls", "storage.upload_document",
    "submissions.confirm_submission", "callback",
]  # fmt: skip
SPEC = yaml.safe_load(CONTROL_SPEC.read_text(encoding="utf-8"))
REGISTRY = Registry().with_resource("urn:mock", DRAFT4.create_resource(SPEC))
# Every operation that needs credentials, with a request connexion lets through to security.
PROTECTED = [
    ("GET", "/partners", None), ("POST", "/scenarios", {"scenario": "valid"}), ("GET", "/scenarios", None),
    ("DELETE", "/scenarios", None), ("DELETE", "/scenarios/scn-1", None), ("GET", "/journal", None),
    ("DELETE", "/journal", None), ("GET", "/journal/count", None), ("POST", "/journal/verify", {}),
    ("GET", "/journal/export", None), ("GET", "/submissions", None), ("GET", "/submissions/s-1", None),
    ("GET", "/submissions/s-1/image", None), ("GET", "/callbacks", None), ("POST", "/callbacks/d-1/redeliver", None),
    ("POST", "/reset", None),
]  # fmt: skip


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@cache
def card_jpeg() -> bytes:
    """A camera photo of an ordinary synthetic card (no magic serial), which the template OCR reads as VALID."""
    return encode_image(generate_card(7, "camera").photo, "jpg")


@cache
def card_nik() -> str:
    return generate_card(7, "camera").truth.to_ktp_data()["nik"]


# --- the partner's receiver ----------------------------------------------------------------------------------------


class Receiver:
    """A partner callback endpoint on a real socket that answers 200 and remembers every request."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                received.append({"headers": dict(self.headers.items()), "body": json.loads(body)})
                reply = b'{"received":true}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_POST = do_PUT = _answer  # noqa: N815 (http.server's naming)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/onekyc/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def partners_calling(receiver: Receiver) -> tuple[Partner, Partner]:
    """Demo partner with a bearer-authenticated, signed callback; partner B with a plain one."""
    a = dataclasses.replace(DEMO_PARTNER, callback=CallbackSettings(
        url=receiver.url, auth=CallbackAuth("bearer", token=BEARER_TOKEN), signing_secret=SIGNING_SECRET,
    ))  # fmt: skip
    b = dataclasses.replace(PARTNER_B, callback=CallbackSettings(url=receiver.url, method="PUT"))
    return a, b


# --- driving the gateway -------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Sandboxed:
    """An in-process gateway with a hand-moved clock."""

    app: GatewayApp
    clock: ManualClock

    def __post_init__(self) -> None:
        self.client = self.app.test_client()

    def mock(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        """A control-plane call (the test client's `json=` only when there is a body)."""
        extra = {} if body is None else {"json": body}
        return self.client.request(method, "/__mock" + path, headers=headers, **extra)

    def open_session(self, credentials: dict[str, str], onboarding_partner: str, session_id: str,
                     user_id: str) -> dict[str, str]:  # fmt: skip
        """Partner token, then initiate-flow: the SDK's headers for the user token."""
        token = self.client.get("/v1/coe/partner/authentication", headers=credentials).json()["data"]["token"]
        headers = {
            "x-onekyc-token": token, "x-onboarding-partner": onboarding_partner, "x-partner-user-id": user_id,
            "x-partner-user-id-type": "CLIENT_X_USER_ID", "x-partner-session-id": session_id,
        }  # fmt: skip
        answer = self.client.post(
            "/coe-partner/v1/initiate-flow", headers=headers, json={"flow": "KTP_SCAN", "source": "SDK"}
        )
        assert answer.status_code == 200, answer.text
        return {"x-onekyc-token": answer.json()["data"]["token"], "x-sdk-session-id": f"sdk-{session_id}",
                "x-partner-session-id": session_id}  # fmt: skip

    def request_slot(self, sdk: dict[str, str]) -> dict[str, Any]:
        answer = self.client.get("/coe/v1/submissions/urls?submissionType=KTP_SCAN", headers=sdk)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    def capture(self, sdk: dict[str, str]) -> str:
        """One attempt: upload slot, upload, then (a second later) confirm; returns the submission id."""
        slot = self.request_slot(sdk)
        url = slot["documents"]["KTP_FRONT"]["documentUrl"].removeprefix("http://127.0.0.1:8080")
        assert self.client.put(url, content=card_jpeg(), headers={"content-type": "image/jpeg"}).status_code == 200
        self.clock.advance(1)
        confirmed = self.client.put(
            "/coe/v1/submissions/urls", headers=sdk, json={"submissionId": slot["submissionId"]}
        )
        assert confirmed.status_code == 200, confirmed.text
        return slot["submissionId"]

    def status(self, sdk: dict[str, str], submission_id: str) -> dict[str, Any]:
        return self.client.get(f"/coe/v1/submissions/{submission_id}/status", headers=sdk).json()["data"]

    def process(self) -> None:
        """Process every confirmed attempt, then make every due callback attempt."""
        self.app.sandbox.processor.run_due()
        self.app.sandbox.dispatcher.run_due()


def sandboxed(data_dir: Path, partners: tuple[Partner, ...]) -> Sandboxed:
    clock = ManualClock(START)
    return Sandboxed(create_app(Settings(data_dir=data_dir, partners=partners), clock=clock, start_workers=False),
                     clock)  # fmt: skip


@dataclasses.dataclass
class World:
    """Partner A and partner B, each with one processed, called-back KTP Scan."""

    box: Sandboxed
    a_submission: str
    b_submission: str
    a_sdk: dict[str, str]


def build_world(data_dir: Path, receiver: Receiver) -> World:
    """A captures at START (confirmed START+1), B at START+1 (confirmed START+2), both processed at START+4."""
    box = sandboxed(data_dir, partners_calling(receiver))
    a_sdk = box.open_session(A_CREDENTIALS, "DEMO-SDK-KTP_SCAN", "ps-a", "user-a")
    a_submission = box.capture(a_sdk)
    b_sdk = box.open_session(B_CREDENTIALS, "B-SDK-KTP_SCAN", "ps-b", "user-b")
    b_submission = box.capture(b_sdk)
    box.clock.advance(2)
    box.process()
    return World(box, a_submission, b_submission, a_sdk)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> World:
    """Shared by the tests that only read; a test that changes anything builds its own."""
    return build_world(tmp_path_factory.mktemp("world"), receiver)


@pytest.fixture
def fresh_world(tmp_path: Path, receiver: Receiver) -> World:
    return build_world(tmp_path, receiver)


# --- reading answers -----------------------------------------------------------------------------------------------


def documented(response: Any, path: str, method: str) -> Any:
    """Assert the answer fits the schema mock.yaml documents for its status, and return the envelope's data."""
    status = str(response.status_code)
    answers = SPEC["paths"][path][method.lower()]["responses"]
    assert status in answers, response.text
    pointer = answers[status].get("$ref", f"#/paths/{_escape(path)}/{method.lower()}/responses/{status}")
    validator = OAS30Validator({"$ref": f"urn:mock{pointer}/content/application~1json/schema"}, registry=REGISTRY,
                               format_checker=oas30_format_checker)  # fmt: skip
    body = response.json()
    validator.validate(body)
    return body["data"]


def _escape(token: str) -> str:
    """A JSON-pointer token."""
    return token.replace("~", "~0").replace("/", "~1")


def refused(response: Any, status: int) -> str:
    """A control-plane refusal: the mock's envelope with its status as the code; returns the message."""
    body = response.json()
    assert response.status_code == status, response.text
    cause = {400: "MOCK_INVALID_REQUEST", 401: "MOCK_UNAUTHORIZED", 404: "MOCK_NOT_FOUND"}[status]
    assert body["success"] is False
    assert body["data"] is None
    assert [(item["code"], item["cause"]) for item in body["errors"]] == [(str(status), cause)]
    return body["errors"][0]["message"]


def create_override(box: Sandboxed, headers: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    """POST /scenarios for tests about what an override does (its exact answer is checked once, below)."""
    answer = box.mock("POST", "/scenarios", headers, spec)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


# --- health --------------------------------------------------------------------------------------------------------


def test_health_needs_no_credentials_and_counts_queued_work_and_pending_callbacks(
    tmp_path: Path, receiver: Receiver
) -> None:
    box = sandboxed(tmp_path, partners_calling(receiver))
    box.app.sandbox.started_at = time.monotonic() - 90
    sdk = box.open_session(A_CREDENTIALS, "DEMO-SDK-KTP_SCAN", "ps-h", "user-h")
    box.capture(sdk)

    def health() -> dict[str, Any]:
        data = documented(box.client.get("/__mock/health"), "/health", "get")
        assert 90 <= data.pop("uptimeSeconds") < 150
        return data

    assert health() == {"status": "ok", "version": version("ktp-scan-sandbox"), "queue": {"pending": 1, "running": 0},
                        "callbacks": {"pending": 0}}  # fmt: skip
    box.app.sandbox.processor.run_due()
    assert health()["queue"] == {"pending": 0, "running": 0}
    assert health()["callbacks"] == {"pending": 1}
    box.app.sandbox.dispatcher.run_due()
    assert health()["callbacks"] == {"pending": 0}


# --- who may ask ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_every_protected_operation_refuses_a_caller_without_credentials(world: World, method: str, path: str,
                                                                        body: Any) -> None:  # fmt: skip
    assert refused(world.box.mock(method, path, {}, body), 401) == "No authorization token provided"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"x-mock-admin-key": "not-the-key"}, "wrong admin key"),
        ({"client-id": "demo-client", "pass-key": "wrong"}, "wrong client-id or pass-key"),
        ({"client-id": "nobody", "pass-key": "demo-pass-key"}, "wrong client-id or pass-key"),
        ({"client-id": "demo-client"}, "No authorization token provided"),
        ({"pass-key": "demo-pass-key"}, "No authorization token provided"),
    ],
)
def test_wrong_or_incomplete_credentials_get_401(world: World, headers: dict[str, str], message: str) -> None:
    assert refused(world.box.mock("GET", "/partners", headers), 401) == message


def test_a_wrong_admin_key_next_to_valid_partner_credentials_gets_the_partners_view(world: World) -> None:
    answer = world.box.mock("GET", "/submissions", {**A_CREDENTIALS, "x-mock-admin-key": "not-the-key"})
    assert [s["submissionId"] for s in documented(answer, "/submissions", "get")] == [world.a_submission]


# --- partners ------------------------------------------------------------------------------------------------------


def test_partners_admin_sees_every_partner_without_any_secret(world: World, receiver: Receiver) -> None:
    answer = world.box.mock("GET", "/partners", ADMIN)
    assert documented(answer, "/partners", "get") == [
        {"clientId": "demo-client", "name": "Demo partner", "onboardingPartners": ["DEMO-SDK-KTP_SCAN",
                                                                                   "DEMO-WEB_SDK-KTP_SCAN"],
         "callback": {"url": receiver.url, "method": "POST", "auth": {"kind": "bearer"}, "signed": True,
                      "timeoutSeconds": 10.0, "retryScheduleSeconds": [1.0, 5.0, 30.0, 120.0, 600.0]}},
        {"clientId": "b-client", "name": "Partner B", "onboardingPartners": ["B-SDK-KTP_SCAN"],
         "callback": {"url": receiver.url, "method": "PUT", "auth": {"kind": "none"}, "signed": False,
                      "timeoutSeconds": 10.0, "retryScheduleSeconds": [1.0, 5.0, 30.0, 120.0, 600.0]}},
    ]  # fmt: skip
    for secret in ("demo-pass-key", "b-pass", BEARER_TOKEN, SIGNING_SECRET):
        assert secret not in answer.text


def test_partners_a_partner_sees_only_itself(world: World) -> None:
    data = documented(world.box.mock("GET", "/partners", B_CREDENTIALS), "/partners", "get")
    assert [partner["clientId"] for partner in data] == ["b-client"]


def test_partners_a_partner_without_callback_shows_a_null_url(tmp_path: Path) -> None:
    box = sandboxed(tmp_path, (DEMO_PARTNER,))
    data = documented(box.mock("GET", "/partners", A_CREDENTIALS), "/partners", "get")
    assert data[0]["callback"] == {
        "url": None,
        "method": "POST",
        "auth": {"kind": "none"},
        "signed": False,
        "timeoutSeconds": 10.0,
        "retryScheduleSeconds": [1.0, 5.0, 30.0, 120.0, 600.0],
    }


# --- scenarios -----------------------------------------------------------------------------------------------------


def test_scenarios_create_list_delete_and_clear(tmp_path: Path) -> None:
    box = sandboxed(tmp_path, (DEMO_PARTNER, PARTNER_B))
    spec = {"match": {"partnerSessionId": "ps-1", "operation": "submissions.confirm_submission"},
            "fault": {"status": 503, "latencyMs": 0}, "times": 2}  # fmt: skip
    created = documented(box.mock("POST", "/scenarios", A_CREDENTIALS, spec), "/scenarios", "post")
    assert created == {
        "id": created["id"], "match": {"partnerSessionId": "ps-1", "operation": "submissions.confirm_submission",
                                       "clientId": "demo-client"},
        "fault": {"status": 503, "latencyMs": 0}, "times": 2, "remaining": 2, "createdAt": iso(START),
    }  # fmt: skip
    box.clock.advance(5)
    lasting = documented(box.mock("POST", "/scenarios", A_CREDENTIALS, {"scenario": "not-ektp"}), "/scenarios", "post")
    assert lasting == {"id": lasting["id"], "match": {"clientId": "demo-client"}, "scenario": "not-ektp",
                       "times": None, "remaining": None, "createdAt": iso(START + 5)}  # fmt: skip

    assert documented(box.mock("GET", "/scenarios", A_CREDENTIALS), "/scenarios", "get") == [created, lasting]
    unmatched = documented(box.mock("POST", "/scenarios", ADMIN, {"processingDelayMs": 0}), "/scenarios", "post")
    assert unmatched == {"id": unmatched["id"], "match": {}, "processingDelayMs": 0, "times": None, "remaining": None,
                         "createdAt": iso(START + 5)}  # fmt: skip
    assert documented(box.mock("GET", "/scenarios", ADMIN), "/scenarios", "get") == [created, lasting, unmatched]
    deleted = box.mock("DELETE", f"/scenarios/{created['id']}", A_CREDENTIALS)
    assert documented(deleted, "/scenarios/{scenarioId}", "delete") == {"deleted": 1}
    assert refused(box.mock("DELETE", f"/scenarios/{created['id']}", A_CREDENTIALS), 404) == (
        f"no scenario override {created['id']!r}")  # fmt: skip
    assert documented(box.mock("GET", "/scenarios", A_CREDENTIALS), "/scenarios", "get") == [lasting]
    assert documented(box.mock("DELETE", "/scenarios", A_CREDENTIALS), "/scenarios", "delete") == {"deleted": 1}
    assert documented(box.mock("GET", "/scenarios", A_CREDENTIALS), "/scenarios", "get") == []


def test_scenarios_a_partner_cannot_aim_an_override_at_another_partner(tmp_path: Path) -> None:
    box = sandboxed(tmp_path, (DEMO_PARTNER, PARTNER_B))
    spec = {"match": {"clientId": "b-client"}, "scenario": "system-error"}
    created = create_override(box, A_CREDENTIALS, spec)
    assert created["match"] == {"clientId": "demo-client"}
    by_admin = create_override(box, ADMIN, spec)
    assert by_admin["match"] == {"clientId": "b-client"}
    assert [o["id"] for o in box.mock("GET", "/scenarios", ADMIN).json()["data"]] == [created["id"], by_admin["id"]]
    assert documented(box.mock("GET", "/scenarios", B_CREDENTIALS), "/scenarios", "get") == []


@pytest.mark.parametrize(
    "spec",
    [
        {"fault": {}},
        {"callback": {}, "times": 1},
        {"match": {"partnerSessionId": "ps-1"}, "fault": {}, "callback": {}},
    ],
)
def test_scenarios_an_override_without_any_effect_is_refused(tmp_path: Path, spec: dict[str, Any]) -> None:
    box = sandboxed(tmp_path, (DEMO_PARTNER,))
    message = refused(box.mock("POST", "/scenarios", A_CREDENTIALS, spec), 400)
    assert message == ("an override needs at least one non-empty effect: scenario, outcome, retryReason, "
                       "processingDelayMs, fault, callback")  # fmt: skip
    assert documented(box.mock("GET", "/scenarios", ADMIN), "/scenarios", "get") == []


@pytest.mark.parametrize(
    "spec",
    [
        {"match": {"partnerSessionId": "ps-1"}},
        {"scenario": "no-such-scenario"},
        {"scenario": "valid", "unknown": 1},
        {"retryReason": "GLARE_DETECTED", "times": 0},
        [],
    ],
)
def test_scenarios_a_body_outside_the_schema_is_refused(tmp_path: Path, spec: Any) -> None:
    box = sandboxed(tmp_path, (DEMO_PARTNER,))
    refused(box.mock("POST", "/scenarios", A_CREDENTIALS, spec), 400)
    assert documented(box.mock("GET", "/scenarios", ADMIN), "/scenarios", "get") == []


def test_scenarios_malformed_json_is_a_400_not_a_500(tmp_path: Path) -> None:
    box = sandboxed(tmp_path, (DEMO_PARTNER,))
    answer = box.client.post("/__mock/scenarios", headers={**A_CREDENTIALS, "content-type": "application/json"},
                             content=b'{"scenario": ')  # fmt: skip
    refused(answer, 400)


def test_a_retry_reason_override_makes_the_next_attempt_retry_and_times_1_is_used_up(tmp_path: Path) -> None:
    box = sandboxed(tmp_path, (DEMO_PARTNER,))
    spec = {"match": {"partnerSessionId": "ps-r"}, "retryReason": "BLUR_DETECTED", "times": 1}
    create_override(box, A_CREDENTIALS, spec)
    sdk = box.open_session(A_CREDENTIALS, "DEMO-SDK-KTP_SCAN", "ps-r", "user-r")

    first = box.capture(sdk)
    box.process()
    status = box.status(sdk, first)
    assert (status["status"], status["nextAction"], status["retryReason"], status["attemptsRemaining"]) == (
        "COMPLETED", "RETRY", "BLUR_DETECTED", 2)  # fmt: skip
    assert documented(box.mock("GET", "/scenarios", A_CREDENTIALS), "/scenarios", "get") == []

    second = box.capture(sdk)
    box.process()
    status = box.status(sdk, second)
    assert (status["status"], status["nextAction"], status["retryReason"]) == ("COMPLETED", "EXIT", None)
    records = documented(box.mock("GET", "/submissions?partnerSessionId=ps-r", A_CREDENTIALS), "/submissions", "get")
    assert [(r["attempt"], r["result"], r["reasonCode"], r["nextAction"], r["retryReason"]) for r in records] == [
        (2, "VALID", "", "EXIT", None),
        (1, "INVALID", "IMAGE_QUALITY_INSUFFICIENT", "RETRY", "BLUR_DETECTED"),
    ]  # fmt: skip


# --- journal -------------------------------------------------------------------------------------------------------


def test_journal_a_partner_pages_through_its_own_entries(world: World) -> None:
    page = documented(world.box.mock("GET", "/journal", A_CREDENTIALS), "/journal", "get")
    assert (page["total"], page["dropped"]) == (6, 0)
    assert [entry["operation"] for entry in page["entries"]] == A_OPERATIONS
    assert {entry["partnerId"] for entry in page["entries"]} == {"demo-client"}
    assert [entry["at"] for entry in page["entries"]] == [
        "2026-05-28T20:26:40.000Z"] * 4 + ["2026-05-28T20:26:41.000Z", "2026-05-28T20:26:44.000Z"]  # fmt: skip
    token_request = page["entries"][0]["request"]["headers"]
    assert (token_request["client-id"], token_request["pass-key"]) == ("demo-client", "****-key")

    newest = documented(world.box.mock("GET", "/journal?order=desc&limit=2&offset=1", A_CREDENTIALS), "/journal", "get")
    assert [entry["operation"] for entry in newest["entries"]] == [A_OPERATIONS[4], A_OPERATIONS[3]]
    assert newest["total"] == 6


@pytest.mark.parametrize(
    ("query", "operations"),
    [
        ("kind=callback", ["callback"]),
        ("kind=request&status=200", A_OPERATIONS[:5]),
        ("operation=storage.upload_document", ["storage.upload_document"]),
        ("method=put&path=/coe/v1/submissions/urls", ["submissions.confirm_submission"]),
        ("partnerSessionId=ps-a&kind=request", A_OPERATIONS[1:5]),
        ("sdkSessionId=sdk-ps-a", A_OPERATIONS[2:3] + A_OPERATIONS[4:5]),
        ("since=2026-05-28T20:26:41Z", A_OPERATIONS[4:]),
        ("until=2026-05-28T20:26:40Z", A_OPERATIONS[:4]),
        ("since=2026-05-28t20:26:41z&until=2026-05-28T21:26:43%2B01:00", A_OPERATIONS[4:5]),
        ("status=500", []),
    ],
)
def test_journal_query_filters(world: World, query: str, operations: list[str]) -> None:
    page = documented(world.box.mock("GET", f"/journal?{query}", A_CREDENTIALS), "/journal", "get")
    assert [entry["operation"] for entry in page["entries"]] == operations
    assert page["total"] == len(operations)
    count = documented(world.box.mock("GET", f"/journal/count?{query}", A_CREDENTIALS), "/journal/count", "get")
    assert count == {"count": len(operations)}


def test_journal_the_callback_entry_is_the_delivered_attempt_with_its_auth_masked(
    world: World, receiver: Receiver
) -> None:
    page = documented(world.box.mock("GET", "/journal?kind=callback", A_CREDENTIALS), "/journal", "get")
    (entry,) = page["entries"]
    assert (entry["url"], entry["method"], entry["attempt"], entry["error"]) == (receiver.url, "POST", 1, None)
    assert (entry["submissionId"], entry["partnerSessionId"]) == (world.a_submission, "ps-a")
    assert entry["response"]["status"] == 200
    assert entry["response"]["body"] == {"received": True}
    assert entry["request"]["headers"]["authorization"] == "Bearer ****0001"
    assert entry["request"]["body"]["submissionId"] == world.a_submission


def test_journal_the_admin_sees_both_partners(world: World) -> None:
    page = documented(world.box.mock("GET", "/journal?kind=callback", ADMIN), "/journal", "get")
    assert [(e["partnerId"], e["submissionId"]) for e in page["entries"]] == [
        ("demo-client", world.a_submission), ("b-client", world.b_submission)]  # fmt: skip
    assert documented(world.box.mock("GET", "/journal/count", ADMIN), "/journal/count", "get") == {"count": 12}


def test_journal_a_bad_filter_is_a_400(world: World) -> None:
    refused(world.box.mock("GET", "/journal?status=abc", A_CREDENTIALS), 400)
    refused(world.box.mock("GET", "/journal?limit=0", A_CREDENTIALS), 400)
    refused(world.box.mock("GET", "/journal/count?since=yesterday", A_CREDENTIALS), 400)


CONFIRM = {"operation": "submissions.confirm_submission"}


@pytest.mark.parametrize(
    ("expectation", "verification"),
    [
        ({"where": CONFIRM}, {"verified": True, "count": 1, "expectation": "at least 1"}),
        ({"where": CONFIRM, "atLeast": 1}, {"verified": True, "count": 1, "expectation": "at least 1"}),
        ({"where": CONFIRM, "atLeast": 2}, {"verified": False, "count": 1, "expectation": "at least 2"}),
        ({"where": CONFIRM, "atMost": 1}, {"verified": True, "count": 1, "expectation": "at most 1"}),
        ({"where": {}, "atMost": 5}, {"verified": False, "count": 6, "expectation": "at most 5"}),
        ({"where": CONFIRM, "atLeast": 1, "atMost": 1}, {"verified": True, "count": 1, "expectation": "exactly 1"}),
        ({"where": {"kind": "request"}, "atLeast": 2, "atMost": 4},
         {"verified": False, "count": 5, "expectation": "at least 2 and at most 4"}),
        ({"where": CONFIRM, "never": True}, {"verified": False, "count": 1, "expectation": "never"}),
        ({"where": {"operation": "details.submission_details"}, "never": True},
         {"verified": True, "count": 0, "expectation": "never"}),
        ({"where": {"kind": "callback", "status": 200, "submissionId": "x"}, "atMost": 0},
         {"verified": True, "count": 0, "expectation": "never"}),
        ({"where": {"since": "2026-05-28T20:26:41Z", "until": "2026-05-28T20:26:44Z"}, "atLeast": 2, "atMost": 2},
         {"verified": True, "count": 2, "expectation": "exactly 2"}),
        ({"where": CONFIRM, "atLeast": 1, "withinMs": 2000},
         {"verified": True, "count": 1, "expectation": "at least 1 within 2.0 s"}),
        ({"where": CONFIRM, "atLeast": 3, "withinMs": 60},
         {"verified": False, "count": 1, "expectation": "at least 3 within 0.06 s"}),
    ],
)  # fmt: skip
def test_journal_verify_at_least_at_most_never(world: World, expectation: dict, verification: dict) -> None:
    answer = world.box.mock("POST", "/journal/verify", A_CREDENTIALS, expectation)
    assert documented(answer, "/journal/verify", "post") == verification


@pytest.mark.parametrize(
    ("expectation", "message"),
    [
        ({"atLeast": 3, "atMost": 1}, "at_least 3 is greater than at_most 1"),
        ({"never": True, "atLeast": 1}, "never contradicts at_least > 0"),
        ({"never": True, "atMost": 2}, "never contradicts at_most > 0"),
    ],
)
def test_journal_verify_contradictory_bounds_are_a_400(world: World, expectation: dict, message: str) -> None:
    assert refused(world.box.mock("POST", "/journal/verify", A_CREDENTIALS, expectation), 400) == message


@pytest.mark.parametrize(
    "expectation",
    [{"atLeast": -1}, {"withinMs": 60001}, {"where": {"since": "yesterday"}}, {"where": {"nope": 1}}, {"extra": 1}],
)
def test_journal_verify_a_body_outside_the_schema_is_a_400(world: World, expectation: dict) -> None:
    refused(world.box.mock("POST", "/journal/verify", A_CREDENTIALS, expectation), 400)


def test_journal_export_is_ndjson_of_the_same_entries(world: World) -> None:
    answer = world.box.mock("GET", "/journal/export", A_CREDENTIALS)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/x-ndjson"
    lines = answer.text.splitlines()
    page = documented(world.box.mock("GET", "/journal", A_CREDENTIALS), "/journal", "get")
    assert [json.loads(line) for line in lines] == page["entries"]
    assert answer.text.endswith("\n")
    callbacks = world.box.mock("GET", "/journal/export?kind=callback", A_CREDENTIALS).text.splitlines()
    assert [json.loads(line)["operation"] for line in callbacks] == ["callback"]


def test_journal_clear_deletes_only_the_callers_entries(fresh_world: World) -> None:
    box = fresh_world.box
    cleared = documented(box.mock("DELETE", "/journal", B_CREDENTIALS), "/journal", "delete")
    assert cleared == {"deleted": 6}
    assert documented(box.mock("GET", "/journal/count", B_CREDENTIALS), "/journal/count", "get") == {"count": 0}
    assert documented(box.mock("GET", "/journal/count", A_CREDENTIALS), "/journal/count", "get") == {"count": 6}
    assert documented(box.mock("DELETE", "/journal", ADMIN), "/journal", "delete") == {"deleted": 6}
    assert documented(box.mock("GET", "/journal/count", ADMIN), "/journal/count", "get") == {"count": 0}


# --- submissions ---------------------------------------------------------------------------------------------------


def test_submissions_get_answers_the_full_record(world: World) -> None:
    answer = world.box.mock("GET", f"/submissions/{world.a_submission}", A_CREDENTIALS)
    record = documented(answer, "/submissions/{submissionId}", "get")
    extraction = record.pop("extraction")
    assert record == {
        "submissionId": world.a_submission, "clientId": "demo-client", "partnerSessionId": "ps-a",
        "sdkSessionId": "sdk-ps-a", "onboardingPartner": "DEMO-SDK-KTP_SCAN", "userId": "user-a",
        "userIdType": "CLIENT_X_USER_ID", "attempt": 1, "status": "COMPLETED", "result": "VALID", "reasonCode": "",
        "nextAction": "EXIT", "retryReason": None, "scenario": None, "createdAt": "2026-05-28T20:26:40Z",
        "confirmedAt": "2026-05-28T20:26:41Z", "completedAt": "2026-05-28T20:26:44Z",
        "image": {"contentType": "image/jpeg", "bytes": len(card_jpeg()),
                  "url": f"/__mock/submissions/{world.a_submission}/image"},
    }  # fmt: skip
    (delivery,) = documented(world.box.mock("GET", "/callbacks", A_CREDENTIALS), "/callbacks", "get")
    sent = delivery["body"]["submissionDetails"]["ktpData"]
    assert {key: extraction["fields"].get(key, "") for key in sent} == sent
    assert extraction["fields"]["nik"] == card_nik()
    assert (extraction["quality"], extraction["backend"], extraction["flags"], extraction["problems"]) == (
        "OK", "template", [], [])  # fmt: skip


def test_submissions_an_unconfirmed_attempt_has_no_image_and_no_extraction(tmp_path: Path) -> None:
    box = sandboxed(tmp_path, (DEMO_PARTNER,))
    sdk = box.open_session(A_CREDENTIALS, "DEMO-SDK-KTP_SCAN", "ps-u", "user-u")
    submission_id = box.request_slot(sdk)["submissionId"]
    record = documented(box.mock("GET", f"/submissions/{submission_id}", A_CREDENTIALS), "/submissions/{submissionId}",
                        "get")  # fmt: skip
    assert (record["status"], record["nextAction"], record["confirmedAt"], record["completedAt"]) == (
        "INITIATED", "STATUS", None, None)  # fmt: skip
    assert (record["image"], record["extraction"], record["result"], record["reasonCode"]) == (None, None, None, None)
    message = refused(box.mock("GET", f"/submissions/{submission_id}/image", A_CREDENTIALS), 404)
    assert message == f"no image for submission {submission_id!r}"


def test_submissions_a_header_scenario_shows_on_the_record(tmp_path: Path) -> None:
    box = sandboxed(tmp_path, (DEMO_PARTNER,))
    sdk = box.open_session(A_CREDENTIALS, "DEMO-SDK-KTP_SCAN", "ps-s", "user-s")
    slot = box.client.get("/coe/v1/submissions/urls?submissionType=KTP_SCAN",
                          headers={**sdk, "x-mock-scenario": "not-ektp"}).json()["data"]  # fmt: skip
    record = documented(box.mock("GET", f"/submissions/{slot['submissionId']}", ADMIN), "/submissions/{submissionId}",
                        "get")  # fmt: skip
    assert record["scenario"] == "not-ektp"


def test_submissions_image_is_the_uploaded_bytes(world: World) -> None:
    answer = world.box.mock("GET", f"/submissions/{world.a_submission}/image", A_CREDENTIALS)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.content == card_jpeg()


def test_submissions_list_newest_first_with_filters_and_paging(world: World) -> None:
    def listed(query: str, headers: dict[str, str]) -> list[str]:
        data = documented(world.box.mock("GET", f"/submissions{query}", headers), "/submissions", "get")
        return [record["submissionId"] for record in data]

    assert listed("", ADMIN) == [world.b_submission, world.a_submission]
    assert listed("?limit=1", ADMIN) == [world.b_submission]
    assert listed("?offset=1", ADMIN) == [world.a_submission]
    assert listed("?partnerSessionId=ps-a", ADMIN) == [world.a_submission]
    assert listed("", A_CREDENTIALS) == [world.a_submission]
    assert listed("?partnerSessionId=ps-nobody", A_CREDENTIALS) == []


def test_submissions_unknown_id_is_a_404(world: World) -> None:
    assert refused(world.box.mock("GET", "/submissions/no-such-id", ADMIN), 404) == "no submission 'no-such-id'"
    assert refused(world.box.mock("GET", "/submissions/no-such-id/image", ADMIN), 404) == "no submission 'no-such-id'"


# --- callbacks -----------------------------------------------------------------------------------------------------


def test_callbacks_list_shows_the_delivery(world: World, receiver: Receiver) -> None:
    (delivery,) = documented(world.box.mock("GET", "/callbacks", A_CREDENTIALS), "/callbacks", "get")
    body = delivery.pop("body")
    assert delivery == {
        "id": delivery["id"], "partnerId": "demo-client", "submissionId": world.a_submission,
        "partnerSessionId": "ps-a", "url": receiver.url, "method": "POST", "state": "delivered", "attempts": 1,
        "nextAttemptAt": None, "createdAt": "2026-05-28T20:26:44Z", "deliveredAt": "2026-05-28T20:26:44Z",
        "lastStatus": 200, "lastError": None,
        "misbehaviour": {"failTimes": 0, "duplicate": False, "outOfOrder": False, "badSignature": False},
    }  # fmt: skip
    assert delivery["id"].startswith("msg_")
    assert (body["submissionId"], body["flow"], body["status"], body["result"]) == (
        world.a_submission, "KTP_SCAN", "COMPLETED", "VALID")  # fmt: skip


def test_callbacks_list_filters_and_the_admin_sees_both(world: World) -> None:
    def listed(query: str, headers: dict[str, str]) -> list[str]:
        data = documented(world.box.mock("GET", f"/callbacks{query}", headers), "/callbacks", "get")
        return [delivery["submissionId"] for delivery in data]

    assert listed("", ADMIN) == [world.a_submission, world.b_submission]
    assert listed(f"?submissionId={world.b_submission}", ADMIN) == [world.b_submission]
    assert listed("?partnerSessionId=ps-a", ADMIN) == [world.a_submission]
    assert listed("?partnerSessionId=ps-b", A_CREDENTIALS) == []


def test_callbacks_redeliver_sends_again_with_the_same_webhook_id(fresh_world: World, receiver: Receiver) -> None:
    box = fresh_world.box
    (delivery,) = documented(box.mock("GET", "/callbacks", A_CREDENTIALS), "/callbacks", "get")
    box.clock.advance(10)
    answer = box.mock("POST", f"/callbacks/{delivery['id']}/redeliver", A_CREDENTIALS)
    assert answer.status_code == 202
    queued = documented(answer, "/callbacks/{deliveryId}/redeliver", "post")
    assert {**delivery, "state": "pending", "nextAttemptAt": "2026-05-28T20:26:54Z"} == queued
    before = len(receiver.received)
    box.app.sandbox.dispatcher.run_due()
    (after,) = documented(box.mock("GET", "/callbacks", A_CREDENTIALS), "/callbacks", "get")
    assert (after["state"], after["attempts"], after["nextAttemptAt"]) == ("delivered", 2, None)
    (resent,) = receiver.received[before:]
    assert resent["headers"]["webhook-id"] == delivery["id"]
    assert resent["body"] == delivery["body"]


def test_callbacks_redeliver_unknown_is_a_404(world: World) -> None:
    assert refused(world.box.mock("POST", "/callbacks/msg_nope/redeliver", ADMIN), 404) == (
        "no callback delivery 'msg_nope'")  # fmt: skip


# --- isolation -----------------------------------------------------------------------------------------------------


def test_isolation_b_cannot_see_as_submissions_or_image(world: World) -> None:
    a_id = world.a_submission
    assert [r["submissionId"] for r in documented(world.box.mock("GET", "/submissions", B_CREDENTIALS),
                                                  "/submissions", "get")] == [world.b_submission]  # fmt: skip
    assert documented(world.box.mock("GET", "/submissions?partnerSessionId=ps-a", B_CREDENTIALS), "/submissions",
                      "get") == []  # fmt: skip
    assert refused(world.box.mock("GET", f"/submissions/{a_id}", B_CREDENTIALS), 404) == f"no submission {a_id!r}"
    assert refused(world.box.mock("GET", f"/submissions/{a_id}/image", B_CREDENTIALS), 404) == (
        f"no submission {a_id!r}")  # fmt: skip


def test_isolation_b_cannot_see_as_journal_entries(world: World) -> None:
    page = documented(world.box.mock("GET", "/journal", B_CREDENTIALS), "/journal", "get")
    assert page["total"] == 6
    assert {entry["partnerId"] for entry in page["entries"]} == {"b-client"}
    assert world.a_submission not in json.dumps(page)
    by_a_id = documented(world.box.mock("GET", f"/journal?submissionId={world.a_submission}", B_CREDENTIALS),
                         "/journal", "get")  # fmt: skip
    assert (by_a_id["entries"], by_a_id["total"]) == ([], 0)
    count = world.box.mock("GET", "/journal/count?partnerSessionId=ps-a", B_CREDENTIALS)
    assert documented(count, "/journal/count", "get") == {"count": 0}
    verify = world.box.mock("POST", "/journal/verify", B_CREDENTIALS, {"where": {"partnerSessionId": "ps-a"}})
    assert documented(verify, "/journal/verify", "post") == {"verified": False, "count": 0,
                                                             "expectation": "at least 1"}  # fmt: skip
    assert world.a_submission not in world.box.mock("GET", "/journal/export", B_CREDENTIALS).text


def test_isolation_b_cannot_see_or_redeliver_as_callbacks(world: World) -> None:
    (own,) = documented(world.box.mock("GET", "/callbacks", B_CREDENTIALS), "/callbacks", "get")
    assert (own["partnerId"], own["submissionId"], own["method"]) == ("b-client", world.b_submission, "PUT")
    assert documented(world.box.mock("GET", f"/callbacks?submissionId={world.a_submission}", B_CREDENTIALS),
                      "/callbacks", "get") == []  # fmt: skip
    (a_delivery,) = documented(world.box.mock("GET", "/callbacks?partnerSessionId=ps-a", ADMIN), "/callbacks", "get")
    answer = world.box.mock("POST", f"/callbacks/{a_delivery['id']}/redeliver", B_CREDENTIALS)
    assert refused(answer, 404) == f"no callback delivery {a_delivery['id']!r}"
    (unchanged,) = documented(world.box.mock("GET", "/callbacks?partnerSessionId=ps-a", ADMIN), "/callbacks", "get")
    assert unchanged == a_delivery


def test_isolation_b_cannot_see_or_delete_as_overrides(tmp_path: Path) -> None:
    box = sandboxed(tmp_path, (DEMO_PARTNER, PARTNER_B))
    a_override = create_override(box, A_CREDENTIALS, {"scenario": "slow"})
    assert documented(box.mock("GET", "/scenarios", B_CREDENTIALS), "/scenarios", "get") == []
    assert refused(box.mock("DELETE", f"/scenarios/{a_override['id']}", B_CREDENTIALS), 404) == (
        f"no scenario override {a_override['id']!r}")  # fmt: skip
    assert documented(box.mock("DELETE", "/scenarios", B_CREDENTIALS), "/scenarios", "delete") == {"deleted": 0}
    assert [o["id"] for o in box.mock("GET", "/scenarios", A_CREDENTIALS).json()["data"]] == [a_override["id"]]


def test_isolation_bs_reset_leaves_as_data_and_the_admins_reset_takes_everything(fresh_world: World) -> None:
    box = fresh_world.box
    create_override(box, A_CREDENTIALS, {"scenario": "slow"})
    create_override(box, B_CREDENTIALS, {"scenario": "slow"})
    reset = documented(box.mock("POST", "/reset", B_CREDENTIALS), "/reset", "post")
    assert reset == {"sessions": 1, "submissions": 1, "journal": 6, "scenarios": 1, "callbacks": 1}

    def admin_sees(path: str) -> Any:
        return documented(box.mock("GET", path, ADMIN), path, "get")

    assert [r["submissionId"] for r in admin_sees("/submissions")] == [fresh_world.a_submission]
    assert [d["partnerId"] for d in admin_sees("/callbacks")] == ["demo-client"]
    assert [o["match"]["clientId"] for o in box.mock("GET", "/scenarios", ADMIN).json()["data"]] == ["demo-client"]
    assert admin_sees("/journal/count") == {"count": 6}
    assert fresh_world.box.status(fresh_world.a_sdk, fresh_world.a_submission)["status"] == "COMPLETED"
    assert documented(box.mock("GET", "/submissions", B_CREDENTIALS), "/submissions", "get") == []

    reset = documented(box.mock("POST", "/reset", ADMIN), "/reset", "post")
    # the status poll just above was journaled too: A has 7 entries now
    assert reset == {"sessions": 1, "submissions": 1, "journal": 7, "scenarios": 1, "callbacks": 1}
    assert admin_sees("/submissions") == []
    assert admin_sees("/journal/count") == {"count": 0}
