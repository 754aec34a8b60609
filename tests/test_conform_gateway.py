"""The gateway suite: the mock passes every GW rule end to end; each check fails a hand-made breach with exact evidence.

The end-to-end runs are real `ktp-sandbox conform --suite gateway` subprocesses: one lets the runner start the mock,
the other points `--gateway` at a running mock with a wrong admin key, so any use of the control plane would fail it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conformance.checks.gateway import (
    CONFIRM,
    DETAILS_BY_SESSION,
    KTP_DATA_KEYS,
    PARTNER_DETAILS,
    PRESIGN,
    STATUS,
    Case,
    Exchange,
    FuzzFinding,
    FuzzRun,
    GatewayRun,
)
from conformance.checks.partner_backend import INITIATE, TOKEN, USER_TOKEN
from conformance.checks.sdk import UPLOAD
from conformance.evidence import Verdict, jwt_segment
from conformance.plugin import free_port, serving_gateway
from conformance.rules import rules_of
from conformance.steps.gateway import expired, forged
from tests.test_conform import Run, conform

GATEWAY_RULES = rules_of("gateway")
AT = 1_800_000_000.0
SUBMISSION, SESSION = "sub-1", "session-1"
REQUESTS = {
    TOKEN: ("GET", "/v1/coe/partner/authentication"),
    USER_TOKEN: ("GET", "/v2/coe/authentication"),
    INITIATE: ("POST", "/coe-partner/v1/initiate-flow"),
    PRESIGN: ("GET", "/coe/v1/submissions/urls"),
    UPLOAD: ("PUT", "/mock-storage/ref-1"),
    CONFIRM: ("PUT", "/coe/v1/submissions/urls"),
    STATUS: ("GET", f"/coe/v1/submissions/{SUBMISSION}/status"),
    DETAILS_BY_SESSION: ("GET", "/coe/v1/submissions"),
    PARTNER_DETAILS: ("GET", "/coe-partner/v1/submissions"),
}


def judge(rule_id: str, *exchanges: Exchange | FuzzRun) -> Verdict:
    """One rule's verdict on hand-made exchanges."""
    rule = next(rule for rule in GATEWAY_RULES if rule.id == rule_id)
    return rule.judge(GatewayRun.of(exchanges))


def exchange(operation: str, status: int, body: Any, case: Case = Case.PLAIN, **about: Any) -> Exchange:
    """An exchange of this operation, answered at AT."""
    method, path = REQUESTS[operation]
    return Exchange(operation, case, method, path, status, body, AT, **about)


def ok(**data: Any) -> dict[str, Any]:
    return {"success": True, "data": data}


def refusal(code: str | int, cause: str, **extra: Any) -> dict[str, Any]:
    return {"success": False, "errors": [{"code": code, "cause": cause}], "data": None, **extra}


def jwt(**header: Any) -> str:
    """A JWT-shaped token with this header."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part({'sub': 'demo-client', 'exp': int(AT) + 3600})}.c2lnbmF0dXJl"


TOKEN_DATA = {"token": jwt(kid="k-1"), "expiry_seconds": "3600", "expires_at": str(int(AT) + 3600)}
WEB_DATA = {"launchUrl": "https://web.example/launch", "expirySeconds": "60", "expiresAt": str(int(AT) + 60)}
KTP_DATA = {"nik": "3171014501900001", "name": "BUDI SANTOSO"}


# --- end to end -------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """The suite against the mock the runner starts, and against a running mock whose control plane it cannot open."""
    root = tmp_path_factory.mktemp("conform-gateway")
    (root / "running").mkdir()
    with serving_gateway(root / "running", free_port()) as running, ThreadPoolExecutor(2) as pool:
        jobs = {"runner's mock": ("runner", ()),
                "--gateway": ("gateway", ("--gateway", running, "--admin-key", "not-the-admin-key"))}  # fmt: skip
        futures = {name: pool.submit(conform, root / folder, "--suite", "gateway", *arguments)
                   for name, (folder, arguments) in jobs.items()}  # fmt: skip
        yield {name: future.result() for name, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["runner's mock", "--gateway"])
def test_the_mock_passes_every_gateway_rule(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.exit_status == 0, run.output
    assert run.statuses() == {rule.id: "pass" for rule in GATEWAY_RULES}, run.output
    assert run.report["score"] == 100 and run.report["mustFailures"] == []
    assert {"report.json", "junit.xml", "cucumber.json", "report.html"} <= {p.name for p in run.report_dir.iterdir()}


@pytest.mark.slow
def test_the_fuzzing_phase_sends_every_gateway_operation_a_bounded_number_of_cases(runs: dict[str, Run]) -> None:
    run = runs["runner's mock"]
    evidence = next(rule["evidence"] for rule in run.report["rules"] if rule["id"] == "GW-09")
    assert len(evidence) == 1 and evidence[0].endswith("cases over 8 operations (seed 20261126), no failure")


# --- each check on a hand-made breach ---------------------------------------------------------------------------------
def test_every_check_skips_a_scenario_without_its_exchanges() -> None:
    assert {rule.id: rule.judge(GatewayRun()).status for rule in GATEWAY_RULES} == {
        rule.id: "skip" for rule in GATEWAY_RULES
    }


def test_gw_01_a_partner_token_refusal_with_an_integer_code_and_a_token_without_kid() -> None:
    verdict = judge(
        "GW-01",
        exchange(TOKEN, 200, ok(**{**TOKEN_DATA, "token": jwt(alg="HS256"), "expiry_seconds": 3600})),
        exchange(TOKEN, 400, refusal(1539, "CLIENT_ID_CAN_NOT_BE_EMPTY"), Case.NO_CLIENT_ID),
        exchange(TOKEN, 401, refusal("110", "UNAUTHORIZED"), Case.WRONG_PASS_KEY),
    )
    assert verdict == Verdict("fail", (
        "GET /v1/coe/partner/authentication -> 200: data.token's header has no kid",
        "GET /v1/coe/partner/authentication -> 200: data.expiry_seconds is 3600 (an integer); the partner-token API "
        "answers a string of digits",
        "GET /v1/coe/partner/authentication without a client-id -> 400: errors[0].code is 1539 (an integer); the "
        'partner-token API answers the string "1539"',
    ))  # fmt: skip


def test_gw_02_the_user_token_api_refuses_with_integer_codes() -> None:
    verdict = judge(
        "GW-02",
        exchange(USER_TOKEN, 200, ok(**{**TOKEN_DATA, "expires_at": str(int(AT) - 1)})),
        exchange(USER_TOKEN, 400, refusal("1539", "MISSING_CLIENT_ID_OR_PASS_KEY"), Case.NO_PASS_KEY),
    )
    assert verdict == Verdict("fail", (
        f"GET /v2/coe/authentication -> 200: data.expires_at {int(AT) - 1} is not after the answer ({int(AT)})",
        'GET /v2/coe/authentication without a pass-key -> 400: errors[0].code is "1539" (a string); the user-token '
        "API answers the integer 1539",
    ))  # fmt: skip


def test_gw_03_snake_case_expiry_a_launch_url_without_token_and_an_accepted_reused_session() -> None:
    verdict = judge(
        "GW-03",
        exchange(INITIATE, 200, ok(**TOKEN_DATA), Case.SDK),
        exchange(INITIATE, 200, ok(**WEB_DATA), Case.WEB_SDK),
        exchange(INITIATE, 200, ok(**TOKEN_DATA), Case.REUSED_SESSION),
    )
    assert verdict == Verdict("fail", (
        "POST /coe-partner/v1/initiate-flow for the native SDK -> 200: data.expirySeconds is null; initiate-flow "
        "answers a string of digits",
        "POST /coe-partner/v1/initiate-flow for the native SDK -> 200: data.expiresAt is null; initiate-flow answers a "
        "string of digits",
        "POST /coe-partner/v1/initiate-flow for the native SDK -> 200: data has expiry_seconds; initiate-flow spells "
        "it expirySeconds",
        "POST /coe-partner/v1/initiate-flow for the native SDK -> 200: data has expires_at; initiate-flow spells it "
        "expiresAt",
        "POST /coe-partner/v1/initiate-flow for the web flow -> 200: data.launchUrl carries no token=",
        "POST /coe-partner/v1/initiate-flow with a reused x-partner-session-id -> 200: initiate-flow answers 400 "
        '(errors[0].code the string "1539", cause DUPLICATE_PARTNER_SESSION_ID)',
    ))  # fmt: skip


def test_gw_04_a_ktp_slot_instead_of_ktp_front_and_a_missing_header_accepted() -> None:
    slot = {"documentUrl": "https://oss.example/ref-1?X-Amz-Signature=s", "documentReference": "ref-1",
            "expiryInSeconds": "600"}  # fmt: skip
    verdict = judge(
        "GW-04",
        exchange(PRESIGN, 200, ok(submissionId=SUBMISSION, status="INITIATED", documents={"KTP": slot})),
        exchange(PRESIGN, 400, refusal("1539", "X_SDK_SESSION_ID_CAN_NOT_BE_EMPTY", data={}), Case.NO_SDK_SESSION),
    )
    assert verdict == Verdict("fail", (
        'GET /coe/v1/submissions/urls -> 200: data.documents is ["KTP"]; for KTP_SCAN the contract has one slot, '
        "KTP_FRONT",
        "GET /coe/v1/submissions/urls without an x-sdk-session-id -> 400: data is {} (an object); a failure has data "
        "null",
    ))  # fmt: skip


def test_gw_05_a_refused_upload_and_a_second_confirm_accepted() -> None:
    confirmed = ok(submissionId=SUBMISSION, uiMessages={"message_1": {"title": "Processing", "message": "…"}})
    verdict = judge(
        "GW-05",
        exchange(UPLOAD, 403, "<Error><Code>AccessDenied</Code></Error>", submission_id=SUBMISSION),
        exchange(CONFIRM, 200, confirmed, submission_id=SUBMISSION),
        exchange(CONFIRM, 200, confirmed, Case.AGAIN, submission_id=SUBMISSION),
    )
    assert verdict == Verdict("fail", (
        "PUT /mock-storage/ref-1 -> 403: object storage answers 200 or 204 to an upload",
        "PUT /coe/v1/submissions/urls a second time -> 200: the confirm API answers 409 (errors[0].code the string "
        '"409", cause SUBMISSION_STATE_CONFLICT)',
    ))  # fmt: skip


def test_gw_06_a_status_without_poll_after_ms_that_never_reaches_exit() -> None:
    status = {"submissionId": SUBMISSION, "status": "IN_PROGRESS", "submissionType": "KTP_SCAN",
              "createdAt": "2026-11-26T14:00:05Z", "nextAction": "STATUS", "pollAfterMs": None}  # fmt: skip
    verdict = judge("GW-06", exchange(STATUS, 200, ok(**status), submission_id=SUBMISSION))
    assert verdict == Verdict("fail", (
        f"GET /coe/v1/submissions/{SUBMISSION}/status -> 200: data.pollAfterMs is null; nextAction STATUS says how "
        "long to wait",
        f'GET /coe/v1/submissions/{SUBMISSION}/status -> 200: polling ended at nextAction "STATUS" (a string), never '
        "EXIT",
    ))  # fmt: skip


def test_gw_06_an_exit_without_completed_at_or_whether_it_is_approved() -> None:
    status = {"submissionId": SUBMISSION, "status": "COMPLETED", "submissionType": "KTP_SCAN",
              "createdAt": "2026-11-26T14:00:05Z", "nextAction": "EXIT", "verificationResult": None}  # fmt: skip
    verdict = judge("GW-06", exchange(STATUS, 200, ok(**status), submission_id=SUBMISSION))
    assert verdict == Verdict("fail", (
        f"GET /coe/v1/submissions/{SUBMISSION}/status -> 200: data.completedAt is null; the contract has an ISO-8601 "
        "date-time",
        f"GET /coe/v1/submissions/{SUBMISSION}/status -> 200: data.verificationResult is null; a COMPLETED submission "
        "says isApproved",
    ))  # fmt: skip


def test_gw_07_a_face_flow_answer_and_lookups_that_disagree() -> None:
    details = {"submissionId": SUBMISSION, "partnerSessionId": SESSION, "flow": "KTP_SCAN", "status": "COMPLETED",
               "result": "VALID", "reasonCode": "", "processedAt": "2026-11-26T14:00:09Z",
               "submissionDetails": {"ktpData": dict.fromkeys(KTP_DATA_KEYS, "X"),
                                     "imageUrls": {"KTP": "https://oss.example/ref-1"}}}  # fmt: skip
    about = {"submission_id": SUBMISSION, "partner_session_id": SESSION}
    rejected_face_flow = {"flow": "FACE_VERIFICATION", "result": "INVALID", "reasonCode": "NOT_EKTP"}
    verdict = judge(
        "GW-07",
        exchange(DETAILS_BY_SESSION, 200, ok(**details), Case.BY_SUBMISSION, **about),
        exchange(DETAILS_BY_SESSION, 200, ok(**{**details, **rejected_face_flow}), Case.BY_SESSION, **about),
    )
    assert verdict == Verdict("fail", (
        'GET /coe/v1/submissions by x-partner-session-id -> 200: data.flow is "FACE_VERIFICATION" (a string); the '
        "contract allows KTP_SCAN",
        "GET /coe/v1/submissions by x-partner-session-id -> 200: result, reasonCode differ from "
        "GET /coe/v1/submissions by x-submission-id -> 200",
    ))  # fmt: skip


def test_gw_08_a_forged_token_accepted_and_an_expired_one_refused_outside_the_envelope() -> None:
    verdict = judge(
        "GW-08",
        exchange(PRESIGN, 200, ok(submissionId=SUBMISSION), Case.FORGED_TOKEN),
        exchange(PARTNER_DETAILS, 401, {"success": False, "errors": [{"code": 110}]}, Case.EXPIRED_TOKEN),
        exchange(STATUS, 401, refusal("110", "UNAUTHORIZED"), Case.NO_TOKEN),
    )
    assert verdict == Verdict("fail", (
        "GET /coe/v1/submissions/urls with a forged token -> 200: the presigned-URL API answers 401 (errors[0].code "
        'the string "110", cause UNAUTHORIZED)',
        "GET /coe-partner/v1/submissions with an expired token -> 401: errors[0].code is 110 (an integer); Get "
        'Submission Details (partner variant) answers the string "110"',
        "GET /coe-partner/v1/submissions with an expired token -> 401: errors[0].cause is null; Get Submission Details "
        "(partner variant) answers UNAUTHORIZED",
    ))  # fmt: skip


def test_gw_09_names_every_finding_and_a_run_that_sent_nothing() -> None:
    finding = FuzzFinding("GET /coe/v1/submissions -> 500", "Server error")
    verdict = judge("GW-09", FuzzRun(7, {"details.submission_details": 40}, (finding,)), FuzzRun(8, {}))
    assert verdict == Verdict("fail", (finding.describe(), "schemathesis sent no case (seed 8)"))
    assert finding.describe() == "GET /coe/v1/submissions -> 500: Server error"
    assert judge("GW-09", FuzzRun(7, {"tokens.partner_token": 30, "tokens.user_token": 12})) == Verdict(
        "pass", ("42 cases over 2 operations (seed 7), no failure",)
    )


def test_gw_10_a_misread_field_and_a_card_rejected() -> None:
    answer = ok(result="VALID", submissionDetails={"ktpData": {**KTP_DATA, "name": "BUDI"}})
    verdict = judge(
        "GW-10",
        exchange(DETAILS_BY_SESSION, 200, answer, Case.BY_SUBMISSION, truth=KTP_DATA),
        exchange(PARTNER_DETAILS, 200, ok(result="INVALID", reasonCode="NOT_EKTP"), Case.BY_SESSION, truth=KTP_DATA),
    )
    assert verdict == Verdict("fail", (
        'GET /coe/v1/submissions by x-submission-id -> 200: ktpData.name is "BUDI" (a string); the card says '
        '"BUDI SANTOSO"',
        "GET /coe-partner/v1/submissions by x-partner-session-id -> 200: result INVALID (NOT_EKTP); the card is a "
        "clean synthetic KTP that reads VALID",
    ))  # fmt: skip


def test_forged_and_expired_tokens_keep_what_a_gateway_must_not_trust() -> None:
    token = jwt(kid="k-1")
    header, payload, signature = token.split(".")
    assert forged(token).split(".")[:2] == [header, payload] and forged(token).split(".")[2] != signature
    bent = expired(token).split(".")
    assert (bent[0], bent[2]) == (header, signature) and jwt_segment(bent[1])["exp"] < time.time()
