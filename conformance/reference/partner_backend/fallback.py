"""The polling fallback: a lost callback must not leave a user pending for ever, so pending flows are asked about."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from conformance.reference.partner_backend.onekyc import GatewayError
from conformance.reference.partner_backend.service import KycService

log = logging.getLogger(__name__)

GIVE_UP_SECONDS = 600.0  # a flow still pending 10 minutes after its start is left alone


class FallbackPoller:
    """A daemon thread that, every `interval` seconds, polls E8 for each flow pending longer than `after` seconds."""

    def __init__(self, service: KycService, clock: Callable[[], float], after: float, interval: float) -> None:
        self.service = service
        self.clock = clock
        self.after = after
        self.interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kyc-polling-fallback", daemon=True)

    def start(self) -> FallbackPoller:
        """Begin polling in the background."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current pass."""
        self._stopping.set()
        self._thread.join(timeout)

    def poll_once(self) -> None:
        """One pass over the flows that are due; one failing flow does not stop the others."""
        now = self.clock()
        for session in self.service.store.pending(started_after=now - GIVE_UP_SECONDS, started_before=now - self.after):
            if self._stopping.is_set():
                return
            try:
                self.service.poll(session)
            except GatewayError as error:
                log.warning("polling fallback for a pending session failed: %s", error)

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.poll_once()
            except Exception:
                log.exception("polling fallback pass failed; trying again next pass")
