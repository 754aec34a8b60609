"""The `tesseract` backend's reader: Debian tesseract (-l ind) on the column regions of a rectified e-KTP.

It reads the way a generic KTP reader would: the header band, the data column left of the photo and the
lines under the photo as text blocks, and the NIK band on its own with a digits whitelist, since whole
text reading confuses the OCR-A digits. Lines carry no label except the NIK band's; the parser finds
labels in the text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import cv2
import numpy as np
import pytesseract

from mock_gateway.ocr.extraction import Box, TextLine

# Tesseract's OpenMP threads make it about 5x slower on two cores (toolchain notes §8); pytesseract
# passes this process's environment to every tesseract it starts.
os.environ["OMP_THREAD_LIMIT"] = "1"

TEXT_LANGUAGE = "ind"
TEXT_CONFIG = "--psm 6"  # one uniform block: --psm 4 loses the label column of 12% of camera cards
# The NIK band: `eng` reads OCR-A digits far better than `ind` (clean cards: 81% of NIKs vs 15%), best at
# about half size and lightly blurred. Its word confidence is always 0 under a whitelist, so the
# characters' confidences (hOCR) are used instead.
DIGIT_LANGUAGE = "eng"
NIK_CONFIG = "--psm 7 -c tessedit_char_whitelist=0123456789 -c hocr_char_boxes=1"
NIK_SCALE = 0.5
NIK_BLUR = 5
# Tesseract misreads OCR-A digits even at character confidences of 0.98 (a leading 8 read as 6): about one
# NIK in five is wrong on clean cards. Its NIK confidence is scaled by that measured hit rate, so a NIK that
# disagrees with the printed fields is never taken over them.
NIK_HIT_RATE = 0.8
PAD = 20  # px of background around a crop: tesseract misses text that touches the image edge
HOCR_CHAR = re.compile(r"x_conf ([0-9.]+)'>([^<]*)<")


@dataclass(frozen=True)
class _Region:
    """A part of the card as fractions of its width and height."""

    x0: float
    y0: float
    x1: float
    y1: float


HEADER = _Region(0.02, 0.0, 0.98, 0.16)  # clear of the card edge, which reads as | or £
NIK_BAND = _Region(0.257, 0.163, 0.73, 0.25)  # right of the NIK label's colon
DATA_COLUMN = _Region(0.015, 0.254, 0.73, 0.96)  # left of the photo; room for a wrapped Alamat
UNDER_PHOTO = _Region(0.715, 0.69, 0.995, 0.81)  # issue place and date, above the signature


def read_card(card: np.ndarray) -> list[TextLine]:
    """The card's text lines in reading order: headers, NIK, data rows, then the lines under the photo."""
    gray = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)
    return [*_read_text(gray, HEADER), *_read_nik(gray), *_read_text(gray, DATA_COLUMN), *_read_text(gray, UNDER_PHOTO)]


def _crop(gray: np.ndarray, region: _Region) -> tuple[np.ndarray, int, int]:
    """The region's pixels and its top-left corner in card px."""
    height, width = gray.shape
    left, top = round(region.x0 * width), round(region.y0 * height)
    return gray[top : round(region.y1 * height), left : round(region.x1 * width)], left, top


def _padded(crop: np.ndarray) -> np.ndarray:
    return cv2.copyMakeBorder(crop, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=int(np.median(crop)))


def _read_nik(gray: np.ndarray) -> list[TextLine]:
    """The NIK band as one line of digits; its confidence is its least sure digit's, scaled by the hit rate."""
    crop, left, top = _crop(gray, NIK_BAND)
    small = cv2.resize(cv2.GaussianBlur(crop, (NIK_BLUR, NIK_BLUR), 0), None, fx=NIK_SCALE, fy=NIK_SCALE,
                       interpolation=cv2.INTER_AREA)  # fmt: skip
    hocr = pytesseract.image_to_pdf_or_hocr(_padded(small), lang=DIGIT_LANGUAGE, config=NIK_CONFIG, extension="hocr")
    characters = HOCR_CHAR.findall(hocr.decode())
    if not characters:
        return []
    text = "".join(character for _, character in characters)
    confidence = NIK_HIT_RATE * min(float(value) for value, _ in characters) / 100
    return [TextLine(text, "NIK", confidence, (left, top, left + crop.shape[1], top + crop.shape[0]))]


def _read_text(gray: np.ndarray, region: _Region) -> list[TextLine]:
    """Tesseract's words grouped into its lines; a line's confidence is its words' mean."""
    crop, left, top = _crop(gray, region)
    data = pytesseract.image_to_data(_padded(crop), lang=TEXT_LANGUAGE, config=TEXT_CONFIG,
                                     output_type=pytesseract.Output.DICT)  # fmt: skip
    words: dict[tuple[int, int, int], list[int]] = {}
    for index, text in enumerate(data["text"]):
        if text.strip() and float(data["conf"][index]) >= 0:
            line = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
            words.setdefault(line, []).append(index)
    lines = []
    for indices in words.values():
        box: Box = (
            left - PAD + min(data["left"][i] for i in indices),
            top - PAD + min(data["top"][i] for i in indices),
            left - PAD + max(data["left"][i] + data["width"][i] for i in indices),
            top - PAD + max(data["top"][i] + data["height"][i] for i in indices),
        )
        text = " ".join(data["text"][i].strip() for i in indices)
        confidence = sum(float(data["conf"][i]) for i in indices) / len(indices) / 100
        lines.append(TextLine(text, None, round(confidence, 4), box))
    return lines
