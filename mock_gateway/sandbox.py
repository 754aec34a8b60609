"""The composition root: every service of one gateway instance, built from Settings over one data dir."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from mock_gateway.clock import Clock, SystemClock
from mock_gateway.delivery import CallbackDispatcher
from mock_gateway.domain.gateway import KtpScanGateway
from mock_gateway.domain.overrides import Overrides
from mock_gateway.domain.presign import Presigner
from mock_gateway.domain.records import Records
from mock_gateway.domain.tokens import SigningKey, TokenService
from mock_gateway.journal import Journal
from mock_gateway.routes import Routes
from mock_gateway.settings import Settings
from mock_gateway.store import Database, ImageStore

if TYPE_CHECKING:
    from mock_gateway.domain.processing import Processor

LOG = logging.getLogger("ktp_sandbox")


@dataclass
class Sandbox:
    """What handlers and the edge reach through the request scope."""

    settings: Settings
    clock: Clock
    db: Database
    journal: Journal
    records: Records
    overrides: Overrides
    tokens: TokenService
    gateway: KtpScanGateway
    dispatcher: CallbackDispatcher
    routes: Routes
    started_at: float = field(default_factory=time.monotonic)
    running: bool = False

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Sandbox:
        """Open (or create) the data dir and wire the services."""
        clock = clock or SystemClock()
        data_dir = settings.data_dir
        db = Database(data_dir / "sandbox.db")
        secret_headers = {p.callback.auth.header_name for p in settings.partners if p.callback.auth.kind == "api_key"}
        journal = Journal(db, clock, cap=settings.journal_cap, secret_headers=secret_headers)
        key = SigningKey.load_or_create(data_dir, settings.token_secret)
        tokens = TokenService(key, clock)
        records = Records(db)
        overrides = Overrides(db, clock)
        gateway = KtpScanGateway(
            settings, clock, records, overrides, tokens, Presigner(key.secret, settings.base_url, clock),
            ImageStore(data_dir / "images"),
        )  # fmt: skip
        dispatcher = CallbackDispatcher(db, journal, clock, settings.partner)
        return cls(settings, clock, db, journal, records, overrides, tokens, gateway, dispatcher, Routes.from_files())

    @cached_property
    def processor(self) -> Processor:
        """The OCR pool, built on first use: HTTP-only worker processes never load OpenCV and the OCR backends."""
        from mock_gateway.domain.processing import Processor

        return Processor(self.gateway, self.dispatcher, self.clock)

    def start(self) -> None:
        """Start the processing pool and the callback dispatcher (once per data dir, in one process)."""
        if not self.running:
            self.processor.start(self.settings.processing_workers)
            self.dispatcher.start()
            self.running = True

    def stop(self) -> None:
        """Finish in-flight work; everything queued stays in the database."""
        if self.running:
            self.processor.stop()
            self.dispatcher.stop()
            self.running = False
        self.db.close()

    def reset(self, client_id: str | None = None) -> dict[str, int]:
        """Forget sessions, submissions, journal, overrides and callbacks (all, or one partner's)."""
        sessions, submissions = self.records.clear(client_id)
        return {
            "sessions": sessions,
            "submissions": submissions,
            "journal": self.journal.clear(client_id),
            "scenarios": self.overrides.clear(client_id),
            "callbacks": self.dispatcher.clear(client_id),
        }
