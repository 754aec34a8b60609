"""The JSON the gateway answers with for a submission: status polls (SDK) and SubmissionData (partner)."""

from __future__ import annotations

from statistics import fmean
from typing import Any

from mock_gateway.clock import iso_utc
from mock_gateway.domain.records import PartnerSession, Submission

DOCUMENT_KEY = "KTP_FRONT"
IMAGE_KEY = "KTP"
DEFAULT_LOCALE = "id_ID"
SYSTEM_ERROR_MESSAGE = "System error while processing the KTP image"

UI_MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "en_ID": {
        "INITIATED": ("Waiting for upload", "Upload a photo of your KTP to continue"),
        "IN_PROGRESS": ("Processing", "Your submission is being processed"),
        "GLARE_DETECTED": ("Glare detected", "Move away from direct light so the whole KTP is readable, then retry"),
        "BLUR_DETECTED": ("Photo is blurry", "Hold your phone steady and let the camera focus, then retry"),
        "OBSTRUCTION_DETECTED": ("KTP is covered", "Keep your fingers and other objects off the KTP, then retry"),
        "KTP_NOT_DETECTED": ("KTP not found", "Place your KTP inside the frame, then retry"),
        "LOW_RESOLUTION": ("Photo is too small", "Bring the KTP closer so it fills the frame, then retry"),
        "VALID": ("KTP verified", "Your KTP has been read successfully"),
        "NOT_EKTP": ("Verification rejected", "ID submitted is not eKTP"),
        "NIK_INCONSISTENT": ("Verification rejected", "The NIK does not match the data printed on the KTP"),
        "IMAGE_QUALITY_INSUFFICIENT": ("Verification rejected", "The KTP photo could not be read clearly enough"),
        "SYSTEM_ERROR": ("Something went wrong", "We could not process your KTP. Please try again later"),
    },
    "id_ID": {
        "INITIATED": ("Menunggu unggahan", "Unggah foto KTP Anda untuk melanjutkan"),
        "IN_PROGRESS": ("Sedang diproses", "Data Anda sedang diproses"),
        "GLARE_DETECTED": ("Ada pantulan cahaya", "Hindari cahaya langsung agar seluruh KTP terbaca, lalu coba lagi"),
        "BLUR_DETECTED": ("Foto buram", "Pegang ponsel dengan stabil dan biarkan kamera fokus, lalu coba lagi"),
        "OBSTRUCTION_DETECTED": ("KTP tertutup", "Jauhkan jari dan benda lain dari KTP, lalu coba lagi"),
        "KTP_NOT_DETECTED": ("KTP tidak ditemukan", "Letakkan KTP di dalam bingkai, lalu coba lagi"),
        "LOW_RESOLUTION": ("Foto terlalu kecil", "Dekatkan KTP hingga memenuhi bingkai, lalu coba lagi"),
        "VALID": ("KTP terverifikasi", "KTP Anda berhasil dibaca"),
        "NOT_EKTP": ("Verifikasi ditolak", "Kartu yang dikirim bukan e-KTP"),
        "NIK_INCONSISTENT": ("Verifikasi ditolak", "NIK tidak sesuai dengan data yang tercetak di KTP"),
        "IMAGE_QUALITY_INSUFFICIENT": ("Verifikasi ditolak", "Foto KTP tidak dapat dibaca dengan jelas"),
        "SYSTEM_ERROR": ("Terjadi kesalahan", "KTP Anda tidak dapat diproses. Silakan coba lagi nanti"),
    },
}


def ui_message(key: str, locale: str | None) -> dict[str, dict[str, str]]:
    """`uiMessages` with one message in the user's locale."""
    title, message = UI_MESSAGES.get(locale or DEFAULT_LOCALE, UI_MESSAGES[DEFAULT_LOCALE])[key]
    return {"message_1": {"title": title, "message": message}}


def _message_key(submission: Submission) -> str:
    if submission.status in ("INITIATED", "IN_PROGRESS"):
        return submission.status
    if submission.next_action == "RETRY" and submission.retry_reason:
        return submission.retry_reason
    if submission.status == "ERROR":
        return "SYSTEM_ERROR"
    return "VALID" if submission.result == "VALID" else submission.reason_code or "IMAGE_QUALITY_INSUFFICIENT"


def status_view(submission: Submission, session: PartnerSession | None, max_attempts: int, poll_after_ms: int
                ) -> dict[str, Any]:  # fmt: skip
    """E7's data: the real status fields plus `nextAction`, `retryReason`, `attemptsRemaining`, `pollAfterMs`."""
    processing = submission.status in ("INITIATED", "IN_PROGRESS")
    used = session.attempts_used if session else submission.attempt
    return {
        "submissionId": submission.submission_id,
        "status": submission.status,
        "submissionType": "KTP_SCAN",
        "createdAt": iso_utc(submission.created_at),
        "completedAt": iso_utc(submission.completed_at) if submission.completed_at else None,
        "verificationResult": None if processing else _verification_result(submission),
        "errorMessage": SYSTEM_ERROR_MESSAGE if submission.status == "ERROR" else None,
        "documents": {DOCUMENT_KEY: {"status": submission.document_status,
                                     "documentReference": submission.document_reference}},
        "uiMessages": ui_message(_message_key(submission), session.locale if session else None),
        "nextAction": "STATUS" if processing else submission.next_action,
        "retryReason": submission.retry_reason if submission.next_action == "RETRY" else None,
        "attemptsRemaining": 0 if submission.next_action == "EXIT" else max(0, max_attempts - used),
        "pollAfterMs": poll_after_ms if processing else None,
    }  # fmt: skip


def _verification_result(submission: Submission) -> dict[str, Any] | None:
    if submission.status == "ERROR":
        return None
    confidences = list(((submission.extraction or {}).get("confidence") or {}).values())
    approved = submission.result == "VALID"
    return {
        "isApproved": approved,
        "riskLevel": "LOW" if approved else "HIGH",
        "confidence": str(round(fmean(confidences) * 100)) if confidences else "0",
    }


def submission_data(submission: Submission, session: PartnerSession | None, image_url: str | None
                    ) -> dict[str, Any]:  # fmt: skip
    """SubmissionData: the details API's `data` and the callback body; an attempt sent back for RETRY is not over."""
    done = submission.status in ("COMPLETED", "ERROR") and submission.next_action != "RETRY"
    rejected = submission.result == "INVALID"
    locale_texts = {
        locale: dict(zip(("title", "message"), UI_MESSAGES[locale][submission.reason_code or ""], strict=True))
        for locale in UI_MESSAGES
    } if rejected and submission.reason_code in UI_MESSAGES[DEFAULT_LOCALE] else None  # fmt: skip
    return {
        "submissionId": submission.submission_id,
        "flow": "KTP_SCAN",
        "userId": session.user_id if session else None,
        "userIdType": session.user_id_type if session else None,
        "partnerSessionId": submission.partner_session_id,
        "status": submission.status if done else ("IN_PROGRESS" if submission.next_action else submission.status),
        "result": submission.result if done else None,
        "reasonCode": submission.reason_code if done else None,
        "processedAt": iso_utc(submission.completed_at) if submission.completed_at else None,
        "submissionDetails": {
            "ktpData": submission.ktp_data,
            "imageUrls": {IMAGE_KEY: image_url} if image_url else {},
            "rejectionReasonTranslations": locale_texts,
        } if done else None,  # the spec: null until the submission is processed
    }
