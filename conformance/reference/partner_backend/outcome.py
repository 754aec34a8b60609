"""From the gateway's SubmissionData to this backend's verdict: only COMPLETED + VALID verifies a user."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.reference.partner_backend.store import KycResult

TERMINAL = frozenset({"COMPLETED", "ERROR"})


def is_terminal(data: Mapping[str, Any]) -> bool:
    """The submission has its final answer (IN_PROGRESS, or a stale copy of it, is not one)."""
    status = data.get("status")
    return isinstance(status, str) and status in TERMINAL


def result_of(data: Mapping[str, Any], defects: frozenset[str]) -> KycResult:
    """The verdict and the ktpData of a terminal SubmissionData, fields kept exactly as the gateway sent them."""
    status, result = data["status"], data.get("result")
    valid = status == "COMPLETED" and result == "VALID"
    verdict = "VERIFIED" if valid else "REJECTED" if status == "COMPLETED" else "FAILED"
    details = data.get("submissionDetails") or {}
    ktp = details.get("ktpData") if isinstance(details, Mapping) else None
    if ktp is not None and "reformat-fields" in defects:
        ktp = _reformatted(ktp)
    return KycResult(
        status=verdict,
        verified=valid or "verify-any-outcome" in defects,
        submission_id=data.get("submissionId"),
        result=result,
        reason_code=data.get("reasonCode"),
        ktp=ktp,
    )


def _reformatted(ktp: Mapping[str, Any]) -> dict[str, Any]:
    """The reformat-fields defect: an ISO birth date and a title-cased name, as a careless backend stores them."""
    reformatted = dict(ktp)
    parts = str(ktp.get("dateOfBirth", "")).split("-")
    if len(parts) == 3:
        day, month, year = parts
        reformatted["dateOfBirth"] = f"{year}-{month}-{day}"
    if isinstance(ktp.get("name"), str):
        reformatted["name"] = ktp["name"].title()
    return reformatted
