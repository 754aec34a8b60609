"""Callbacks end to end through the gateway: misbehaviour overrides from the control plane, redelivery, signing."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from mock_gateway.app import create_app
from mock_gateway.clock import ManualClock
from mock_gateway.settings import DEMO_PARTNER, CallbackSettings, Settings
from tests.gateway_support import Gateway, card
from tests.serve_support import Receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ADMIN = {"x-mock-admin-key": "ktp-sandbox-admin"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def gateway(tmp_path: Path, receiver: Receiver) -> Iterator[Gateway]:
    callback = CallbackSettings(url=receiver.url, signing_secret=SECRET, retry_schedule_seconds=(1.0, 5.0))
    partner = dataclasses.replace(DEMO_PARTNER, callback=callback)
    app = create_app(Settings(data_dir=tmp_path, partners=(partner,)), clock=ManualClock(time.time()),
                     start_workers=False)  # fmt: skip
    yield Gateway(app, app.sandbox.clock)
    app.sandbox.stop()


def finish_one_flow(gateway: Gateway, partner_session_id: str) -> str:
    session = gateway.session(partner_session_id)
    status = session.processed_status(card(21).jpeg)
    assert status["nextAction"] == "EXIT"
    return status["submissionId"]


def webhook_ids(receiver: Receiver) -> list[str]:
    return [request["headers"]["webhook-id"] for request in receiver.requests]


def test_callback_outage_duplicate_and_stale_copy_from_one_override(gateway: Gateway, receiver: Receiver) -> None:
    created = gateway.client.post("/__mock/scenarios", headers=ADMIN, json={
        "match": {"partnerSessionId": "ps-outage"}, "callback": {"failTimes": 2, "duplicate": True, "outOfOrder": True},
    })  # fmt: skip
    assert created.status_code == 201, created.text
    submission_id = finish_one_flow(gateway, "ps-outage")
    dispatcher = gateway.sandbox.dispatcher

    assert dispatcher.run_due() == 1
    gateway.clock.advance(1)
    assert dispatcher.run_due() == 1
    assert receiver.requests == []
    gateway.clock.advance(5)
    assert dispatcher.run_due() == 1

    bodies = [json.loads(request["body"]) for request in receiver.requests]
    assert [body["status"] for body in bodies] == ["COMPLETED", "COMPLETED", "IN_PROGRESS"]
    assert {body["submissionId"] for body in bodies} == {submission_id}
    first, duplicate, stale = receiver.requests
    assert first["headers"]["webhook-id"] == duplicate["headers"]["webhook-id"] != stale["headers"]["webhook-id"]
    assert int(stale["headers"]["webhook-timestamp"]) < int(first["headers"]["webhook-timestamp"])
    attempts = gateway.journal(kind="callback", submission_id=submission_id)
    assert [(entry.attempt, entry.status, entry.error) for entry in attempts] == [
        (1, None, "injected failure"), (2, None, "injected failure"), (3, 200, None), (3, 200, None), (3, 200, None),
    ]  # fmt: skip
    assert all(entry.partner_id == "demo-client" for entry in attempts)


def test_redelivery_from_the_control_plane_sends_the_same_signed_callback(gateway: Gateway, receiver: Receiver
                                                                           ) -> None:  # fmt: skip
    finish_one_flow(gateway, "ps-redeliver")
    assert gateway.sandbox.dispatcher.run_due() == 1
    delivery = gateway.client.get("/__mock/callbacks?partnerSessionId=ps-redeliver", headers=ADMIN).json()["data"][0]
    assert (delivery["state"], delivery["attempts"], delivery["lastStatus"]) == ("delivered", 1, 200)

    again = gateway.client.post(f"/__mock/callbacks/{delivery['id']}/redeliver", headers=ADMIN)
    assert again.status_code == 202
    assert gateway.sandbox.dispatcher.run_due() == 1
    assert webhook_ids(receiver) == [delivery["id"], delivery["id"]]
    for request in receiver.requests:
        signed = {k: v for k, v in request["headers"].items() if k.startswith("webhook-")}
        assert Webhook(SECRET).verify(request["body"], signed)["partnerSessionId"] == "ps-redeliver"


def test_a_bad_signature_override_fails_the_partners_verification(gateway: Gateway, receiver: Receiver) -> None:
    gateway.sandbox.overrides.create({"callback": {"badSignature": True}, "times": 1}, owner=None)
    finish_one_flow(gateway, "ps-forged")
    finish_one_flow(gateway, "ps-honest")
    assert gateway.sandbox.dispatcher.run_due() == 2
    verified = {}
    for request in receiver.requests:
        signed = {k: v for k, v in request["headers"].items() if k.startswith("webhook-")}
        session = json.loads(request["body"])["partnerSessionId"]
        try:
            Webhook(SECRET).verify(request["body"], signed)
            verified[session] = True
        except WebhookVerificationError:
            verified[session] = False
    assert verified == {"ps-forged": False, "ps-honest": True}
