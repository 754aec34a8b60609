"""The processing pool: confirmed attempts are read by the OCR backend, decided, finished and called back."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mock_gateway.clock import Clock
from mock_gateway.delivery import CallbackDispatcher, CallbackMisbehaviour
from mock_gateway.domain.gateway import KtpScanGateway
from mock_gateway.domain.outcomes import Decision, Triggers, decide
from mock_gateway.domain.records import Submission
from mock_gateway.domain.views import submission_data
from mock_gateway.ocr import Extraction, extract

LOG = logging.getLogger("ktp_sandbox.processing")
PROCESSING_EFFECTS = ("scenario", "outcome", "retryReason", "processingDelayMs")
PROCESSING_OPERATION = "submissions.confirm_submission"  # what an override's `match.operation` names for processing
LEASE_SECONDS = 300.0
PURGE_EVERY_SECONDS = 60.0
Reader = Callable[..., Extraction]


class Processor:
    """Runs queued attempts on a pool of threads; all state lives in the database, so a restart resumes."""

    def __init__(self, gateway: KtpScanGateway, dispatcher: CallbackDispatcher, clock: Clock,
                 reader: Reader = extract, poll_interval: float = 0.02) -> None:  # fmt: skip
        self.gateway = gateway
        self.records = gateway.records
        self.settings = gateway.settings
        self.dispatcher = dispatcher
        self.clock = clock
        self.reader = reader
        self.poll_interval = poll_interval
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_purge = 0.0

    def start(self, workers: int) -> None:
        """Requeue what a previous process left running, then start `workers` threads."""
        requeued = self.records.requeue_running()
        if requeued:
            LOG.info("requeued %d attempt(s) left in progress by the previous run", requeued)
        self._stopping.clear()
        for number in range(workers):
            thread = threading.Thread(target=self._loop, name=f"ktp-processing-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Let in-flight attempts finish; queued ones stay in the database for the next start."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def run_due(self) -> int:
        """Process every attempt that is due now (tests call this instead of starting threads)."""
        processed = 0
        while (submission_id := self.records.claim_job(self.clock.now(), LEASE_SECONDS)) is not None:
            try:
                self.process(submission_id)
            except Exception:  # a bug of ours ends the attempt as the real gateway's system error, never a hang
                LOG.exception("processing %s failed", submission_id)
                self._fail(submission_id)
            processed += 1
        return processed

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                worked = self.run_due()
                self._purge_images()
            except Exception:  # the database itself failed: log, wait, try again
                LOG.exception("processing pool")
                worked = 0
            if not worked:
                self._stopping.wait(self.poll_interval)

    def process(self, submission_id: str) -> None:
        """Decide the attempt (or take the decision held back by a delay) and finish it when its time has come."""
        submission = self.records.submission(submission_id)
        if submission is None:
            with self.records.db.transaction() as connection:
                self.records.finish_job(connection, submission_id)
            return
        if submission.decision is not None:
            decision = Decision(**submission.decision)
        else:
            decision, extraction = self._decide(submission)
            due = (submission.confirmed_at or self.clock.now()) + decision.processing_delay_ms / 1000
            if due > self.clock.now():
                with self.records.db.transaction() as connection:
                    self.records.update_submission(connection, submission_id, decision=decision.to_json(),
                                                   extraction=extraction)  # fmt: skip
                    self.records.delay_job(connection, submission_id, due)
                return
            submission = dataclasses.replace(submission, extraction=extraction)
        self._finish(submission, decision)

    def _decide(self, submission: Submission) -> tuple[Decision, dict[str, Any]]:
        stored = self.gateway.images.get(submission.document_reference)
        as_of = datetime.fromtimestamp(self.clock.now(), UTC).date()
        extraction = self.reader(stored[0] if stored else b"", self.settings.ocr_backend, as_of=as_of)
        identity = self.gateway.identity(submission, PROCESSING_OPERATION)
        session = self.records.session(submission.client_id, submission.partner_session_id)
        triggers = Triggers(
            header_scenario=submission.scenario or (session.scenario if session else None),
            override=self.gateway.overrides.take(identity, PROCESSING_EFFECTS),
        )
        decision = decide(extraction, triggers, submission.attempt, self.settings.max_attempts,
                          self.settings.processing_delay_ms)  # fmt: skip
        return decision, _extraction_json(extraction)

    def _fail(self, submission_id: str) -> None:
        submission = self.records.submission(submission_id)
        if submission is not None:
            self._finish(submission, Decision(
                status="ERROR", result=None, reason_code="SYSTEM_ERROR", next_action="EXIT", retry_reason=None,
                document_status="INVALID", ktp_data=None, trigger="image", scenario=None, processing_delay_ms=0,
            ))  # fmt: skip

    def _finish(self, submission: Submission, decision: Decision) -> None:
        """Callback first (once), then the record: a crash in between re-runs the job without a second callback."""
        finished = dataclasses.replace(
            submission, status=decision.status, result=decision.result, reason_code=decision.reason_code,
            next_action=decision.next_action, retry_reason=decision.retry_reason,
            document_status=decision.document_status, ktp_data=decision.ktp_data, completed_at=self.clock.now(),
            decision=None, scenario=decision.scenario,
        )  # fmt: skip
        if decision.next_action == "EXIT":
            self._call_back(finished)
        with self.records.db.transaction() as connection:
            self.records.update_submission(
                connection, finished.submission_id, status=finished.status, result=finished.result,
                reason_code=finished.reason_code, next_action=finished.next_action,
                retry_reason=finished.retry_reason, document_status=finished.document_status,
                ktp_data=finished.ktp_data, completed_at=finished.completed_at, extraction=finished.extraction,
                decision=None, scenario=finished.scenario,
            )  # fmt: skip
            if decision.next_action == "EXIT":
                self.records.update_session(connection, finished.client_id, finished.partner_session_id, closed=1)
            self.records.finish_job(connection, finished.submission_id)

    def _call_back(self, finished: Submission) -> None:
        if self.dispatcher.deliveries(submission_id=finished.submission_id):
            return
        session = self.records.session(finished.client_id, finished.partner_session_id)
        misbehaviour = self.gateway.overrides.take(self.gateway.identity(finished, PROCESSING_OPERATION), ("callback",))
        self.dispatcher.enqueue(
            partner_id=finished.client_id, submission_id=finished.submission_id,
            partner_session_id=finished.partner_session_id,
            body=submission_data(finished, session, self.gateway.image_url(finished)),
            misbehaviour=_misbehaviour(misbehaviour["callback"] if misbehaviour else None),
        )  # fmt: skip

    def _purge_images(self) -> None:
        now = self.clock.now()
        if now - self._last_purge >= PURGE_EVERY_SECONDS:
            self._last_purge = now
            self.gateway.images.purge(now - self.settings.image_ttl_seconds)


def _misbehaviour(spec: dict[str, Any] | None) -> CallbackMisbehaviour:
    spec = spec or {}
    return CallbackMisbehaviour(
        fail_times=int(spec.get("failTimes", 0)), duplicate=bool(spec.get("duplicate", False)),
        out_of_order=bool(spec.get("outOfOrder", False)), bad_signature=bool(spec.get("badSignature", False)),
    )  # fmt: skip


def _extraction_json(extraction: Extraction) -> dict[str, Any]:
    """What the control plane shows of a read: fields, verdict, confidence, flags, timings."""
    return {
        "fields": extraction.fields, "quality": extraction.quality, "confidence": extraction.confidence,
        "flags": list(extraction.flags), "problems": list(extraction.problems), "timingsMs": extraction.timings_ms,
        "backend": extraction.backend, "corners": extraction.corners, "error": extraction.error,
    }  # fmt: skip
