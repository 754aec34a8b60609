"""SDK steps: launch the reference SDK simulator (with the run's defect switches), or watch a real build's launch.

A launch starts the way a partner's backend would start it (partner token, then initiate-flow with source SDK), so
the SDK under test only ever sees the user token and the correlation id.
"""

from __future__ import annotations

import time
import uuid

from pytest_bdd import parsers, then, when

from conformance.evidence import seconds
from conformance.plugin import KtpGateway, KtpJournal
from conformance.reference.sdk_simulator import SdkSimulator
from conformance.steps.context import RunSettings, SdkRun, World

WATCH_POLL_SECONDS = 1.0
WATCH_QUIET_SECONDS = 5.0  # a watched launch is over once its last EXIT is this old, or after a 401


@when("the SDK scans the card")
def sdk_scans(world: World, gateway_under_test: KtpGateway, ktp_run: RunSettings) -> None:
    """Start a flow as the partner would, then launch the reference SDK; capture N shows the Nth card given."""
    cards = world.captures()
    correlation_id = str(uuid.uuid4())
    token = user_token(gateway_under_test, ktp_run, correlation_id, world.user_id())
    sdk = SdkSimulator(ktp_run.gateway_url, token, correlation_id,
                       capture=lambda attempt: cards[min(attempt, len(cards)) - 1].image,
                       defects=frozenset(ktp_run.sdk_defects))  # fmt: skip
    world.launches.append(SdkRun(correlation_id, sdk.launch()))


@when("the launch under watch has ended")
def launch_watched(world: World, gateway_under_test: KtpGateway, ktp_run: RunSettings) -> None:
    """Wait for a real SDK build's traffic with the watched correlation id until the launch ends (or times out)."""
    correlation_id = ktp_run.watch_correlation_id
    assert correlation_id, "watch mode needs --correlation-id"
    journal = KtpJournal(gateway_under_test)
    deadline = time.monotonic() + ktp_run.watch_timeout_seconds
    while time.monotonic() < deadline and not _launch_over(journal.entries(partnerSessionId=correlation_id)):
        time.sleep(WATCH_POLL_SECONDS)
    calls = journal.count(partnerSessionId=correlation_id, operation="submissions.presigned_urls")
    waited = ktp_run.watch_timeout_seconds
    assert calls, f"no SDK launch with x-partner-session-id {correlation_id} within {waited:.0f} s"
    world.launches.append(SdkRun(correlation_id, None))


@then(parsers.parse("the SDK reported {status}"))
def sdk_reported(world: World, status: str) -> None:
    """The app got this result from the last launch: COMPLETED, NOT_COMPLETED or ERROR."""
    result = world.launches[-1].result
    assert result is not None and result.status == status, f"the SDK reported {result}"


def user_token(gateway: KtpGateway, run: RunSettings, correlation_id: str, user_id: str) -> str:
    """E1 then E3 (source SDK), as the partner's backend does before it launches the SDK."""
    response = gateway.client.post(
        "/coe-partner/v1/initiate-flow",
        json={"flow": "KTP_SCAN", "source": "SDK"},
        headers={"x-onekyc-token": gateway.partner_token(),
                 "x-onboarding-partner": run.credentials.onboarding_partner,
                 "x-partner-user-id": user_id, "x-partner-user-id-type": "PARTNER_USER_ID",
                 "x-partner-session-id": correlation_id},
    )  # fmt: skip
    response.raise_for_status()
    return response.json()["data"]["token"]


def _launch_over(entries: list[dict]) -> bool:
    """A launch has ended after a 401, or once its last status answer was EXIT and the SDK has gone quiet."""
    if any(entry["response"]["status"] == 401 for entry in entries):
        return True
    statuses = [entry for entry in entries if entry["operation"] == "submissions.submission_status"]
    if not statuses:
        return False
    body = statuses[-1]["response"]["body"]
    exited = isinstance(body, dict) and (body.get("data") or {}).get("nextAction") == "EXIT"
    quiet = time.time() - seconds(entries[-1]) > WATCH_QUIET_SECONDS
    return exited and quiet
