"""What the hosted flow page says, in the two locales initiate-flow accepts, so a tester reads the user's language."""

from __future__ import annotations

from mock_gateway.domain.views import UI_MESSAGES

RETRY_REASONS = ("GLARE_DETECTED", "BLUR_DETECTED", "OBSTRUCTION_DETECTED", "KTP_NOT_DETECTED", "LOW_RESOLUTION")

# The page's own words; `{n}` is filled in by the page.
PAGE_TEXTS: dict[str, dict[str, str]] = {
    "en_ID": {
        "title": "Scan your KTP",
        "loading": "Opening your session…",
        "cameraStarting": "Starting the camera…",
        "noCamera": "No camera is available. Choose a photo of your KTP instead.",
        "choosePhoto": "Choose a photo of your KTP",
        "placeCard": "Place your KTP inside the frame",
        "tooDark": "Too dark: move to a brighter place",
        "holdStill": "Hold still…",
        "capture": "Take photo",
        "cancel": "Cancel",
        "uploadLabel": "Photo of your KTP",
        "unreadableFile": "That file is not a photo we can read. Choose another one.",
        "uploading": "Uploading your photo…",
        "processing": "Checking your KTP…",
        "attemptsLeft": "Attempts left: {n}",
        "completed": "Done. Taking you back…",
        "completedHere": "Done. You can continue.",
        "failed": "The verification could not be finished. Taking you back…",
        "failedHere": "The verification could not be finished.",
        "invalidLink": "This link is invalid or has expired.",
        "previewLabel": "Camera preview",
    },
    "id_ID": {
        "title": "Pindai KTP Anda",
        "loading": "Membuka sesi Anda…",
        "cameraStarting": "Menyalakan kamera…",
        "noCamera": "Kamera tidak tersedia. Pilih foto KTP Anda.",
        "choosePhoto": "Pilih foto KTP Anda",
        "placeCard": "Letakkan KTP Anda di dalam bingkai",
        "tooDark": "Terlalu gelap: pindah ke tempat yang lebih terang",
        "holdStill": "Tahan posisi…",
        "capture": "Ambil foto",
        "cancel": "Batal",
        "uploadLabel": "Foto KTP Anda",
        "unreadableFile": "Berkas itu bukan foto yang dapat kami baca. Pilih yang lain.",
        "uploading": "Mengunggah foto Anda…",
        "processing": "Memeriksa KTP Anda…",
        "attemptsLeft": "Sisa percobaan: {n}",
        "completed": "Selesai. Mengembalikan Anda…",
        "completedHere": "Selesai. Anda dapat melanjutkan.",
        "failed": "Verifikasi tidak dapat diselesaikan. Mengembalikan Anda…",
        "failedHere": "Verifikasi tidak dapat diselesaikan.",
        "invalidLink": "Tautan ini tidak valid atau sudah kedaluwarsa.",
        "previewLabel": "Pratinjau kamera",
    },
}


def retry_reason_text(locale: str, reason: str) -> str:
    """A retryReason as the user reads it: the gateway's own uiMessages title and advice, in one line."""
    title, advice = UI_MESSAGES[locale][reason]
    return f"{title}. {advice}."


def page_texts() -> dict[str, dict[str, object]]:
    """Every locale's page words plus its retry reasons, handed to the page whole (the locale comes later)."""
    return {
        locale: {**texts, "retryReasons": {reason: retry_reason_text(locale, reason) for reason in RETRY_REASONS}}
        for locale, texts in PAGE_TEXTS.items()
    }
