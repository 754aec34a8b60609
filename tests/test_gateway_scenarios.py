"""Scenario triggers, weakest to strongest (image, card serial, x-mock-scenario, override), and injected faults."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest

from mock_gateway.clock import iso_utc
from mock_gateway.edge import InjectedConnectionResetError
from tests.gateway_support import CLIENT_ID, PASS_KEY, USER_HEADERS, Gateway, Session, card, failure

UNAUTHORIZED = failure("110", "UNAUTHORIZED")
SYSTEM_ERROR_MESSAGE = "System error while processing the KTP image"


@dataclass(frozen=True)
class Expected:
    """Where a scenario leaves the first attempt: E7's driving fields and E8's outcome."""

    status: str
    result: str | None
    reason_code: str | None
    next_action: str = "EXIT"
    retry_reason: str | None = None
    ktp_data: bool = False  # E8 carries the card's ktpData
    document_status: str = "REJECTED"

    @property
    def attempts_remaining(self) -> int:
        """A first attempt that must be retried leaves two of the three attempts."""
        return 2 if self.next_action == "RETRY" else 0


QUALITY = ("COMPLETED", "INVALID", "IMAGE_QUALITY_INSUFFICIENT")
SCENARIOS = {
    "valid": Expected("COMPLETED", "VALID", "", ktp_data=True, document_status="VERIFIED"),
    "not-ektp": Expected("COMPLETED", "INVALID", "NOT_EKTP"),
    "nik-inconsistent": Expected("COMPLETED", "INVALID", "NIK_INCONSISTENT", ktp_data=True),
    "image-quality": Expected(*QUALITY),
    "system-error": Expected("ERROR", None, "SYSTEM_ERROR", document_status="INVALID"),
    "retry-glare": Expected(*QUALITY, "RETRY", "GLARE_DETECTED"),
    "retry-blur": Expected(*QUALITY, "RETRY", "BLUR_DETECTED"),
    "retry-obstruction": Expected(*QUALITY, "RETRY", "OBSTRUCTION_DETECTED"),
    "retry-then-valid": Expected(*QUALITY, "RETRY", "GLARE_DETECTED"),
}
TRIGGERS = ("card-serial", "initiate-flow", "presigned", "confirm")


def first_attempt(gateway: Gateway, image: bytes, scenario: str | None, trigger: str | None
                  ) -> tuple[Session, dict[str, Any]]:  # fmt: skip
    """One processed attempt with `scenario` sent on the request `trigger` names (or printed on the card)."""
    session = gateway.session(scenario=scenario if trigger == "initiate-flow" else None)
    presigned = session.presign(scenario if trigger == "presigned" else None).json()["data"]
    submission_id = presigned["submissionId"]
    assert session.upload(presigned["documents"]["KTP_FRONT"]["documentUrl"], image).status_code == 200
    assert session.confirm(submission_id, scenario if trigger == "confirm" else None).status_code == 200
    assert gateway.process() == 1
    return session, session.status(submission_id).json()["data"]


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_each_scenario_reaches_its_outcome_from_every_trigger(gateway: Gateway, scenario: str, trigger: str) -> None:
    expected = SCENARIOS[scenario]
    ktp = card(1, scenario) if trigger == "card-serial" else card(1)

    session, status = first_attempt(gateway, ktp.jpeg, scenario, trigger)

    assert (status["status"], status["nextAction"], status["retryReason"], status["attemptsRemaining"],
            status["pollAfterMs"], status["documents"]["KTP_FRONT"]["status"]) == (
        expected.status, expected.next_action, expected.retry_reason, expected.attempts_remaining, None,
        expected.document_status,
    )  # fmt: skip
    assert status["errorMessage"] == (SYSTEM_ERROR_MESSAGE if expected.status == "ERROR" else None)
    ordinary_card = trigger == "card-serial" and scenario == "valid"  # the image decides: no scenario in force
    assert gateway.sandbox.records.submission(status["submissionId"]).scenario == (None if ordinary_card else scenario)
    details = gateway.details(**{"x-submission-id": status["submissionId"]}).json()["data"]
    if expected.next_action == "RETRY":  # the partner session goes on: nothing final to report yet
        assert (details["status"], details["result"], details["reasonCode"], details["submissionDetails"]) == (
            "IN_PROGRESS", None, None, None)  # fmt: skip
    else:
        assert (details["status"], details["result"], details["reasonCode"]) == (
            expected.status, expected.result, expected.reason_code,
        )  # fmt: skip
        assert details["submissionDetails"]["ktpData"] == (ktp.truth if expected.ktp_data else None)
    deliveries = gateway.sandbox.dispatcher.deliveries(partner_session_id=session.partner_session_id)
    if expected.next_action == "EXIT":
        assert [d.body for d in deliveries] == [details]
    else:
        assert deliveries == []


def test_retry_then_valid_completes_on_the_second_attempt_of_the_same_card(gateway: Gateway) -> None:
    ktp = card(2, "retry-then-valid")
    session, first = first_attempt(gateway, ktp.jpeg, "retry-then-valid", "card-serial")

    second = session.processed_status(ktp.jpeg)

    assert (first["nextAction"], first["retryReason"]) == ("RETRY", "GLARE_DETECTED")
    assert (second["status"], second["nextAction"], second["attemptsRemaining"]) == ("COMPLETED", "EXIT", 0)
    details = gateway.details(**{"x-submission-id": second["submissionId"]}).json()["data"]
    assert (details["result"], details["submissionDetails"]["ktpData"]) == ("VALID", ktp.truth)


@pytest.mark.parametrize("trigger", ["card-serial", "presigned"])
def test_slow_keeps_the_attempt_in_progress_until_thirty_seconds_have_passed(gateway: Gateway, trigger: str) -> None:
    ktp = card(1, "slow") if trigger == "card-serial" else card(1)
    session = gateway.session()
    submission_id = session.attempt(ktp.jpeg, "slow" if trigger == "presigned" else None)

    assert gateway.process() == 1
    gateway.clock.advance(29.9)
    assert gateway.process() == 0
    waiting = session.status(submission_id).json()["data"]
    callbacks_while_waiting = gateway.sandbox.dispatcher.deliveries()
    gateway.clock.advance(0.1)
    assert gateway.process() == 1
    done = session.status(submission_id).json()["data"]

    assert (waiting["status"], waiting["nextAction"], waiting["pollAfterMs"], waiting["completedAt"]) == (
        "IN_PROGRESS", "STATUS", 1000, None,
    )  # fmt: skip
    assert callbacks_while_waiting == [], "no callback before the outcome is out"
    assert (done["status"], done["nextAction"], done["completedAt"]) == (
        "COMPLETED", "EXIT", iso_utc(gateway.clock.now()),
    )  # fmt: skip
    assert len(gateway.sandbox.dispatcher.deliveries()) == 1


def test_the_header_beats_the_card_serial_and_the_image(gateway: Gateway) -> None:
    _, over_serial = first_attempt(gateway, card(1, "not-ektp").jpeg, "valid", "presigned")
    _, over_image = first_attempt(gateway, card(4, preset="harsh").jpeg, "system-error", "confirm")

    assert (over_serial["status"], over_serial["verificationResult"]["isApproved"]) == ("COMPLETED", True)
    assert (over_image["status"], over_image["nextAction"], over_image["retryReason"]) == ("ERROR", "EXIT", None)


def test_an_override_beats_the_header_and_is_used_up_after_its_times(gateway: Gateway) -> None:
    overrides = gateway.sandbox.overrides
    overrides.create({"scenario": "system-error", "times": 1}, owner=None)

    _, forced = first_attempt(gateway, card(1).jpeg, "not-ektp", "presigned")
    _, after = first_attempt(gateway, card(1).jpeg, "not-ektp", "presigned")

    assert (forced["status"], forced["errorMessage"]) == ("ERROR", SYSTEM_ERROR_MESSAGE)
    assert gateway.details(**{"x-submission-id": after["submissionId"]}).json()["data"]["reasonCode"] == "NOT_EKTP"
    assert overrides.list() == []


@pytest.mark.parametrize(("effect", "expected"), [
    ({"outcome": {"status": "COMPLETED", "result": "INVALID", "reasonCode": "NIK_INCONSISTENT"}},
     ("COMPLETED", "EXIT", None, "INVALID", "NIK_INCONSISTENT")),
    ({"outcome": {"status": "ERROR", "result": None, "reasonCode": "SYSTEM_ERROR"}},
     ("ERROR", "EXIT", None, None, "SYSTEM_ERROR")),
    ({"retryReason": "LOW_RESOLUTION"},
     ("COMPLETED", "RETRY", "LOW_RESOLUTION", None, None)),  # the session goes on: details say IN_PROGRESS
])  # fmt: skip
def test_an_override_matched_on_the_session_forces_its_outcome_there_only(gateway: Gateway, effect: dict[str, Any],
                                                                          expected: tuple) -> None:  # fmt: skip
    target = gateway.session("ps-target")
    bystander = gateway.session("ps-bystander")
    gateway.sandbox.overrides.create({"match": {"partnerSessionId": "ps-target"}, **effect}, owner=None)

    forced = target.processed_status(card(1).jpeg)
    normal = bystander.processed_status(card(1).jpeg)

    details = gateway.details(**{"x-submission-id": forced["submissionId"]}).json()["data"]
    assert (forced["status"], forced["nextAction"], forced["retryReason"], details["result"],
            details["reasonCode"]) == expected  # fmt: skip
    assert (normal["status"], normal["verificationResult"]["isApproved"]) == ("COMPLETED", True)


def test_a_processing_delay_override_holds_the_outcome_back(gateway: Gateway) -> None:
    gateway.sandbox.overrides.create({"processingDelayMs": 5000}, owner=None)
    session = gateway.session()
    submission_id = session.attempt(card(1).jpeg)
    gateway.process()
    gateway.clock.advance(4.9)
    gateway.process()

    waiting = session.status(submission_id).json()["data"]["status"]
    gateway.clock.advance(0.1)
    gateway.process()

    assert (waiting, session.status(submission_id).json()["data"]["status"]) == ("IN_PROGRESS", "COMPLETED")


def test_an_injected_status_answers_until_its_times_are_used_up(gateway: Gateway) -> None:
    session = gateway.session("ps-fault")
    submission_id = session.attempt(card(1).jpeg)
    gateway.sandbox.overrides.create(
        {"match": {"operation": "submissions.submission_status"}, "fault": {"status": 503}, "times": 2}, owner=None
    )

    answers = [session.status(submission_id) for _ in range(3)]
    presigned = session.presign()

    assert [(r.status_code, r.json()) for r in answers[:2]] == [(503, failure("903", "SERVICE_UNAVAILABLE"))] * 2
    assert (answers[2].status_code, answers[2].json()["data"]["status"]) == (200, "IN_PROGRESS")
    assert presigned.status_code == 409, "other operations were never faulted"
    assert [(e.status, e.error) for e in gateway.journal(operation="submissions.submission_status")] == [
        (503, "injected fault"), (503, "injected fault"), (200, None),
    ]  # fmt: skip


@pytest.mark.parametrize(("status", "expected"), [
    (429, failure("429", "TOO_MANY_REQUESTS")),
    (500, failure("900", "GENERIC_SERVICE_ERROR")),
    (418, failure("418", "INJECTED_FAULT")),
])  # fmt: skip
def test_an_injected_status_uses_the_real_envelope_for_it(gateway: Gateway, status: int,
                                                         expected: dict[str, Any]) -> None:  # fmt: skip
    session = gateway.session()
    submission_id = session.attempt(card(1).jpeg)
    gateway.sandbox.overrides.create({"match": {"operation": "submissions.confirm_submission"},
                                      "fault": {"status": status}}, owner=None)  # fmt: skip

    response = session.confirm(submission_id)

    assert (response.status_code, response.json()) == (status, expected)


def test_an_injected_status_on_the_storage_stand_in_answers_in_xml(gateway: Gateway) -> None:
    session = gateway.session()
    slot = session.presign().json()["data"]
    gateway.sandbox.overrides.create({"match": {"operation": "storage.upload_document"}, "fault": {"status": 503},
                                      "times": 1}, owner=None)  # fmt: skip
    url = slot["documents"]["KTP_FRONT"]["documentUrl"]

    refused = session.upload(url, card(1).jpeg)
    accepted = session.upload(url, card(1).jpeg)

    assert (refused.status_code, refused.headers["content-type"], refused.text) == (
        503, "application/xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InjectedFault</Code>'
        "<Message>SERVICE_UNAVAILABLE</Message></Error>",
    )  # fmt: skip
    assert accepted.status_code == 200


def test_injected_latency_delays_the_answer(gateway: Gateway) -> None:
    gateway.sandbox.overrides.create(
        {"match": {"operation": "tokens.partner_token"}, "fault": {"latencyMs": 150}, "times": 1}, owner=None
    )

    started = time.perf_counter()
    gateway.partner_token()
    delayed = time.perf_counter() - started
    started = time.perf_counter()
    gateway.partner_token()
    prompt = time.perf_counter() - started

    assert delayed >= 0.15
    assert prompt < 0.15
    slow, fast = gateway.journal(operation="tokens.partner_token")
    assert (slow.status, slow.latency_ms >= 150, fast.status) == (200, True, 200)


def test_an_injected_connection_reset_cuts_the_request_and_is_journaled(gateway: Gateway) -> None:
    session = gateway.session("ps-reset")
    gateway.sandbox.overrides.create(
        {"match": {"partnerSessionId": "ps-reset", "operation": "submissions.presigned_urls"},
         "fault": {"connectionReset": True}, "times": 1}, owner=None,
    )  # fmt: skip

    with pytest.raises(InjectedConnectionResetError):
        session.presign()

    entry = gateway.journal(operation="submissions.presigned_urls")[-1]
    assert (entry.status, entry.error, entry.partner_session_id) == (None, "injected connection reset", "ps-reset")
    assert gateway.sandbox.records.submissions(CLIENT_ID, "ps-reset") == [], "the request never reached the gateway"
    assert session.presign().status_code == 200


def test_expire_token_refuses_a_valid_token_in_each_apis_own_words(gateway: Gateway) -> None:
    session = gateway.session("ps-expired")
    gateway.sandbox.overrides.create({"match": {"partnerSessionId": "ps-expired"}, "fault": {"expireToken": True},
                                      "times": 1}, owner=None)  # fmt: skip
    refused = session.presign()
    assert (refused.status_code, refused.json()) == (401, UNAUTHORIZED)
    assert session.presign().status_code == 200, "used up"

    for operation, expected in (
        ("tokens.partner_token", failure("110", "UNAUTHORIZED", "ONEKYC_TOKEN_SERVICE")),
        ("tokens.user_token", failure(110, "UNAUTHORIZED", "ONEKYC_TOKEN_SERVICE")),
    ):
        gateway.sandbox.overrides.create({"match": {"operation": operation}, "fault": {"expireToken": True},
                                          "times": 1}, owner=None)  # fmt: skip
        path = "/v1/coe/partner/authentication" if operation == "tokens.partner_token" else "/v2/coe/authentication"
        response = gateway.client.get(path, headers={"client-id": CLIENT_ID, "pass-key": PASS_KEY, **USER_HEADERS})
        assert (response.status_code, response.json()) == (401, expected), operation
