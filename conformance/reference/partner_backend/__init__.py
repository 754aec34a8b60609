"""The reference partner backend: a small Flask app that follows every PB rule, with one defect switch per rule.

It is the code a partner engineer would copy: the partner token cached and refreshed on 401, a fresh
x-partner-session-id per flow, callbacks authenticated and acknowledged once, results fetched from Get Submission
Details and stored as sent, bounded backoff, and a polling fallback for callbacks that never come.
"""

from conformance.reference.partner_backend.app import create_app, shutdown
from conformance.reference.partner_backend.config import PartnerBackendConfig
from conformance.reference.partner_backend.defects import DEFECTS

__all__ = ["DEFECTS", "PartnerBackendConfig", "create_app", "shutdown"]
