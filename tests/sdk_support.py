"""One reference-SDK launch against the in-process gateway, for the SDK simulator and SDK rule tests."""

from __future__ import annotations

from conformance.reference.sdk_simulator import SdkResult, SdkSimulator
from mock_gateway.journal import JournalEntry
from tests.gateway_support import Gateway


class Launch:
    """One SDK launch against the in-process gateway; its sleeps move the clock and let the worker run."""

    def __init__(self, gateway: Gateway, session_id: str, captures: list[bytes], defects: frozenset[str] = frozenset()):
        self.gateway = gateway
        self.sleeps: list[float] = []
        session = gateway.session(session_id)
        self.sdk = SdkSimulator(
            gateway.settings.base_url, session.token, session_id, capture=lambda attempt: captures[attempt - 1],
            http=gateway.client, sleep=self._sleep, defects=defects,
        )  # fmt: skip

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.gateway.clock.advance(seconds)
        self.gateway.process()

    def run(self) -> SdkResult:
        result = self.sdk.launch()
        self.gateway.process()
        return result

    def traffic(self) -> list[JournalEntry]:
        """What the SDK sent (the partner backend's E3 is left out)."""
        return [e for e in self.gateway.journal(partner_session_id=self.sdk.correlation_id)
                if e.operation != "flows.initiate_flow"]  # fmt: skip


def fault_on_presigned(gateway: Gateway, session_id: str, fault: dict, times: int | None = None) -> None:
    """A control-plane fault on E4 for one partner session."""
    match = {"partnerSessionId": session_id, "operation": "submissions.presigned_urls"}
    gateway.sandbox.overrides.create({"match": match, "fault": fault, "times": times}, None)
