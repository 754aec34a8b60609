"""One image read end to end: decode, find and rectify the card, judge its quality, read it, parse it.

Every step is timed; nothing else varies between runs. Bad bytes and failures inside a backend become a
verdict with an `error`, never an exception, and the verdict beats a guess: a NIK that was not read
confidently is never returned under OK.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from datetime import date

import numpy as np

from mock_gateway.ocr.decode import ImageDecodeError, decode_image
from mock_gateway.ocr.extraction import NIK_INCONSISTENT, NIK_REGION_DIFFERS, NOT_DETECTED, OK, Extraction, TextLine
from mock_gateway.ocr.locate import CardLocation, find_card, rectify
from mock_gateway.ocr.parser import ParsedKtp, parse
from mock_gateway.ocr.quality import QualityReport, assess

Reader = Callable[[np.ndarray], list[TextLine]]

NIK_MIN_CONFIDENCE = 0.6  # a NIK read less surely than this is no reading at all (template: >= 0.72 on camera cards)
# A NIK that disagrees with the printed fields is believed only when read at least this surely; less
# surely it is likelier a misread (tesseract misreads OCR-A digits with character confidences up to ~0.95).
NIK_TRUSTED_CONFIDENCE = 0.96
NIK_DOUBTS = (NIK_INCONSISTENT, NIK_REGION_DIFFERS)


def _lazy_reader(module: str) -> Reader:
    """A reader imported on first use: a backend's start-up cost is paid only by those who pick it."""

    def read_card(card: np.ndarray) -> list[TextLine]:
        return importlib.import_module(module).read_card(card)

    return read_card


BACKENDS: dict[str, Reader] = {
    "template": _lazy_reader("mock_gateway.ocr.template"),
    "tesseract": _lazy_reader("mock_gateway.ocr.tesseract"),
}


def backend_names() -> tuple[str, ...]:
    """The names `extract` accepts, the default first."""
    return tuple(BACKENDS)


class _Clock:
    """Milliseconds per step, from one monotonic clock."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.timings: dict[str, float] = {}

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[step] = round((now - self.last) * 1000, 3)
        self.last = now

    def done(self) -> dict[str, float]:
        return self.timings | {"total": round((time.perf_counter() - self.start) * 1000, 3)}


def extract(
    image_bytes: bytes, backend: str = "template", *, as_of: date | None = None,
    today: Callable[[], date] = date.today,
) -> Extraction:  # fmt: skip
    """Read one uploaded image with the named backend; `as_of` (default: `today()`) dates the NIK checks."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown OCR backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    clock = _Clock()
    location: CardLocation | None = None
    try:
        image = decode_image(image_bytes)
        clock.lap("decode")
        location = find_card(image)
        card = rectify(image, location) if location is not None else None
        clock.lap("locate")
        report = assess(image, location, card)
        clock.lap("quality")
        if report.verdict != OK or card is None:
            return Extraction({}, {}, report.verdict, _corners(location), clock.done(), backend=backend)
        lines = BACKENDS[backend](card)
        clock.lap("read")
        parsed = parse(lines, as_of=as_of or today())
        clock.lap("parse")
        return _verdict(parsed, report, _corners(location), clock.done(), backend)
    except ImageDecodeError as error:
        clock.lap("decode")
        return Extraction({}, {}, NOT_DETECTED, None, clock.done(), error=str(error), backend=backend)
    except Exception as error:  # a failure of our own is reported like a bad upload, never raised
        message = f"internal error in the {backend} backend: {type(error).__name__}: {error}"
        return Extraction({}, {}, NOT_DETECTED, _corners(location), clock.done(), error=message, backend=backend)


def _verdict(
    parsed: ParsedKtp, report: QualityReport, corners: list[list[float]] | None, timings: dict[str, float],
    backend: str,
) -> Extraction:  # fmt: skip
    """OK with the fields, unless the NIK was not read well enough to stand behind: then the likeliest defect."""
    nik_confidence = parsed.confidence.get("nik", 0.0)
    doubt = None
    if "nik" not in parsed.fields:
        doubt = "no 16-digit NIK was read"
    elif nik_confidence < NIK_MIN_CONFIDENCE:
        doubt = f"the NIK was read with confidence {nik_confidence:.2f} < {NIK_MIN_CONFIDENCE}"
    elif set(NIK_DOUBTS) & set(parsed.flags) and nik_confidence < NIK_TRUSTED_CONFIDENCE:
        doubt = (f"the NIK disagrees with the card and was read with confidence {nik_confidence:.2f}"
                 f" < {NIK_TRUSTED_CONFIDENCE}")  # fmt: skip
    if doubt is not None:
        return Extraction({}, {}, report.likeliest_defect(), corners, timings, problems=(doubt, *parsed.problems),
                          backend=backend)  # fmt: skip
    return Extraction(parsed.fields, parsed.confidence, OK, corners, timings, parsed.flags, parsed.problems,
                      backend=backend)  # fmt: skip


def _corners(location: CardLocation | None) -> list[list[float]] | None:
    if location is None:
        return None
    return [[round(float(x), 2), round(float(y), 2)] for x, y in location.corners]
