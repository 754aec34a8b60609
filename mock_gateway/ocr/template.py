"""The `template` backend's reader: every line of a rectified e-KTP, read with the card's own fonts.

The card is in canonical coordinates (1012x638), so the layout says where each line starts; the
label column (constant text) is matched first to learn whether Alamat wrapped and how far the whole
block sits from its nominal place. Enumerated values are read as whole words, the rest glyph by glyph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np
from PIL import Image, ImageDraw
from threadpoolctl import ThreadpoolController

from mock_gateway.ocr.extraction import CITY_HEADER, ISSUE_DATE, ISSUE_PLACE, PROVINCE_HEADER, TextLine
from mock_gateway.ocr.glyphs import (
    BLURS,
    DIGITS,
    MARGIN,
    NAME_ALPHABET,
    TEXT_ALPHABET,
    band_height,
    blurred,
    glyph_set,
    word_ink,
)
from mock_gateway.ocr.lines import DY, LineRead, best_candidate, card_ink, decode_line
from synthetic_ktp import regions
from synthetic_ktp.model import (
    BLOOD_TYPES,
    CITIZENSHIPS,
    LIFETIME_VALIDITY,
    MARITAL_STATUSES,
    OCCUPATIONS,
    PRINTED_GENDER,
    RELIGIONS,
)
from synthetic_ktp.render import (
    BLOOD_VALUE_X,
    CARD_SIZE,
    COLON_X,
    GENDER_VALUE_RIGHT,
    HEADER_SIZE,
    HEADER_TOPS,
    ISSUE_DATE_TOP,
    ISSUE_PLACE_TOP,
    MIN_TEXT_SIZE,
    NIK_SIZE,
    NIK_TOP,
    ROW_LABELS,
    ROW_PITCH,
    TEXT_SIZE,
    UNDER_PHOTO_SIZE,
    UNDER_PHOTO_SLOT,
    VALUE_RIGHT,
    VALUE_X,
    font,
    row_tops,
)

SLACK = 4  # px the pen start of a line may sit from where the layout puts it
CAP_HEIGHT = 0.667  # Liberation Sans capitals, in em
SPACE_WIDTH = 0.278  # Liberation Sans word space, in em
ROW_SEARCH = 3  # rows a line may sit from its nominal top (local warp error)
ENUM_VALUES: dict[str, tuple[str, ...]] = {
    "Jenis Kelamin": tuple(PRINTED_GENDER.values()),
    "Agama": RELIGIONS,
    "Status Perkawinan": MARITAL_STATUSES,
    "Pekerjaan": OCCUPATIONS,
    "Kewarganegaraan": CITIZENSHIPS,
    "Gol. Darah": BLOOD_TYPES,
}  # the printed forms, as the card shows them
FREE_TEXT_ALPHABETS: dict[str, str] = {
    "Nama": NAME_ALPHABET,
    "Tempat/Tgl Lahir": TEXT_ALPHABET,
    "Alamat": TEXT_ALPHABET,
    "RT/RW": DIGITS + "/",
    "Berlaku Hingga": DIGITS + "-",  # when it is not SEUMUR HIDUP, it is a date
    "Kel/Desa": TEXT_ALPHABET,
    "Kecamatan": TEXT_ALPHABET,
}
ENUM_RESIDUAL_LIMIT = 0.45  # a whole-word match worse than this is not trusted; the line is read glyph by glyph
CLEAR_LEAD = 3.0  # ... unless every other candidate explains the line at least this many times worse
LABEL_SEARCH = 10  # px the label block may sit from its nominal place


@dataclass(frozen=True)
class _Line:
    """Where one printed line is, in canonical card px, and how to read it."""

    label: str
    top: int
    left: int
    right: int
    face: str = "regular"
    size: int = TEXT_SIZE
    centred: bool = False
    shrinks: bool = True


@dataclass(frozen=True)
class _Card:
    """The rectified card as ink, and what was learnt from its constant text."""

    ink: np.ndarray
    blur: float
    row_shifts: dict[tuple[int, int], int] = field(default_factory=dict)  # (row top, size) -> rows lower


def read_card(card: np.ndarray) -> list[TextLine]:
    """Every printed line of a rectified card (BGR, 1012x638), in reading order, labelled.

    BLAS runs on one thread here: the matrices are small, and worker threads must not oversubscribe cores.
    """
    with _blas().limit(limits=1, user_api="blas"):
        return _read_card(card)


@cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def _read_card(card: np.ndarray) -> list[TextLine]:
    gray = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)
    ink_level = float(np.percentile(gray[NIK_TOP + 8 : NIK_TOP + 36, VALUE_X : VALUE_X + 420], 2))
    ink = card_ink(gray, ink_level)
    wrapped, dx, dy, blur = _label_block(ink)
    scan = _Card(ink, blur)
    tops = {label: top + dy for label, top in row_tops(2 if wrapped else 1).items()}
    lines = [
        _Line(PROVINCE_HEADER, HEADER_TOPS[0] + dy, 20 + dx, CARD_SIZE[0] - 20 + dx, "bold", HEADER_SIZE, True),
        _Line(CITY_HEADER, HEADER_TOPS[1] + dy, 20 + dx, CARD_SIZE[0] - 20 + dx, "bold", HEADER_SIZE, True),
        _Line("NIK", NIK_TOP + dy, VALUE_X + dx, VALUE_RIGHT + dx, "ocr", NIK_SIZE, shrinks=False),
    ]
    for label, _ in ROW_LABELS:
        right = GENDER_VALUE_RIGHT if label == "Jenis Kelamin" else VALUE_RIGHT
        if ISSUE_PLACE_TOP - TEXT_SIZE < tops[label] - dy < ISSUE_DATE_TOP + TEXT_SIZE:
            right = min(right, UNDER_PHOTO_SLOT[0] - 2)  # a long issue place reaches this far left
        lines.append(_Line(label, tops[label], VALUE_X + dx, right + dx))
        if label == "Jenis Kelamin":
            lines.append(_Line("Gol. Darah", tops[label], BLOOD_VALUE_X + dx, VALUE_RIGHT + dx, shrinks=False))
        if label == "Alamat" and wrapped:
            lines.append(_Line("Alamat", tops[label] + ROW_PITCH, VALUE_X + dx, VALUE_RIGHT + dx))
    left, right = UNDER_PHOTO_SLOT
    lines += [
        _Line(ISSUE_PLACE, ISSUE_PLACE_TOP + dy, left + dx, right + dx, size=UNDER_PHOTO_SIZE, centred=True),
        _Line(ISSUE_DATE, ISSUE_DATE_TOP + dy, left + dx, right + dx, size=UNDER_PHOTO_SIZE, centred=True),
    ]
    # Kecamatan before Kel/Desa: a village is looked for among the villages of the kecamatan read.
    order = sorted(range(len(lines)), key=lambda index: lines[index].label == "Kel/Desa")
    known: dict[str, str] = {}  # label -> Kemendagri code of the region read there
    read = {index: _read(scan, lines[index], known) for index in order}
    return [read[index] for index in range(len(lines))]


def _read(scan: _Card, line: _Line, known: dict[str, str]) -> TextLine:
    """Read one line: as the whole candidate that explains it best at any size, else glyph by glyph."""
    candidates = _candidates(line.label, known)
    crops = [_line_crop(scan, line, size) for size in _sizes(scan, line, every=bool(candidates))]
    matches = [_match(scan, line, crop, candidates) for crop in crops if candidates and crop.end > crop.start]
    match = min(matches, key=lambda item: item[1], default=None)
    if match is not None and match[0] is not None:
        read, box = match[0], match[2]
    else:
        crops = [_line_crop(scan, line, size) for size in _sizes(scan, line, every=False)]
        read, box = max(((_decode(scan, line, crop), crop.box) for crop in crops), key=lambda item: item[0].confidence)
    code = _region_code(line.label, read.text, known)
    if code is not None:
        known[line.label] = code
    confidence = read.confidence
    if line.label in ("NIK", ISSUE_DATE):
        confidence = min(confidence, _digit_confidence(read))
    return TextLine(read.text.strip(), line.label, round(confidence, 4), box)


def _sizes(scan: _Card, line: _Line, every: bool) -> list[int]:
    """Text sizes to try: the nominal one, unless the line fills its slot (it shrank).

    A shrunk line is tried at every smaller size when it is read as whole candidates (cheap), else at
    the sizes its cap height suggests.
    """
    if not line.shrinks:
        return [line.size]
    band = scan.ink[line.top : line.top + line.size + 4, line.left : line.right]
    columns = _text_columns(band, line.size)
    if columns.size == 0 or columns[-1] - columns[0] < 0.85 * (line.right - line.left):
        return [line.size]
    if every:
        return list(range(line.size, MIN_TEXT_SIZE - 1, -1))
    rows = np.flatnonzero(band[:, columns[0] : columns[-1] + 1].mean(axis=1) > 0.12)
    estimate = round((rows[-1] - rows[0] + 1 - scan.blur) / CAP_HEIGHT) if rows.size else line.size
    return [size for size in (estimate, estimate - 1, estimate + 1) if MIN_TEXT_SIZE <= size <= line.size] or [
        line.size
    ]


@dataclass(frozen=True)
class _Crop:
    """A line's ink at one text size: rows aligned on its cap band, its inked columns, its box on the card."""

    ink: np.ndarray
    size: int
    start: int
    end: int
    box: tuple[int, int, int, int]


def _line_crop(scan: _Card, line: _Line, size: int) -> _Crop:
    top = line.top + (TEXT_SIZE - size) // 2 if size < TEXT_SIZE else line.top
    x0 = max(line.left - SLACK, 0)
    height = band_height(line.face, size) + 2 * DY
    tall = _crop(scan.ink, top - MARGIN - DY - ROW_SEARCH, height + 2 * ROW_SEARCH, x0, line.right + SLACK)
    # Lines on one printed row share its alignment: Gol. Darah (often a lone "-") takes Jenis Kelamin's.
    shift = scan.row_shifts.get((line.top, size))
    if shift is None or line.label == "Jenis Kelamin":
        shift = scan.row_shifts[(line.top, size)] = _row_offset(tall, line.face, size)
    top += shift
    ink = tall[ROW_SEARCH + shift : ROW_SEARCH + shift + height]
    columns = _text_columns(ink[DY + MARGIN : DY + MARGIN + size], size)
    if columns.size == 0:
        return _Crop(ink, size, 0, 0, (line.left, top, line.right, top + height - 2 * MARGIN))
    start, end = int(columns[0]), int(columns[-1]) + 1
    box = (x0 + start, top, x0 + end, top + height - 2 * MARGIN)  # ascender to descender
    if line.centred:
        shift = max(start - SLACK, 0)
        ink, start, end = ink[:, shift:], start - shift, end - shift
    return _Crop(ink[:, : end + SLACK + 2], size, start, end, box)


def _match(
    scan: _Card, line: _Line, crop: _Crop, candidates: tuple[str, ...]
) -> tuple[LineRead | None, float, tuple[int, int, int, int]]:
    """The best whole candidate at this size, if it is trusted (and its residual, to compare sizes)."""
    padded = np.pad(crop.ink, ((0, 0), (MARGIN, 0)))
    word, residual, runner_up = best_candidate(
        padded, candidates, line.face, crop.size, scan.blur, SLACK, crop.end - crop.start
    )
    if residual < ENUM_RESIDUAL_LIMIT or (np.isfinite(runner_up) and runner_up >= CLEAR_LEAD * residual):
        confidence = 1 - residual / runner_up if np.isfinite(runner_up) else 1 - residual
        return LineRead(word, float(np.clip(confidence, 0, 1))), residual, crop.box
    return None, residual, crop.box


def _decode(scan: _Card, line: _Line, crop: _Crop) -> LineRead:
    """Read the line glyph by glyph."""
    if crop.end <= crop.start:
        return LineRead("", 0.0)
    glyphs = glyph_set(_alphabet(line), line.face, crop.size, scan.blur)
    return decode_line(crop.ink, glyphs, SLACK, crop.end - 1)


def _row_offset(tall: np.ndarray, face: str, size: int) -> int:
    """How many rows the line sits below (+) or above (-) its nominal top: its cap band, located."""
    caps = word_ink("H", face, size).max(axis=1)
    profile = tall.sum(axis=1)
    scores = [float(profile[start : start + caps.size] @ caps) for start in range(2 * ROW_SEARCH + 1)]
    return int(np.argmax(scores)) - ROW_SEARCH


def _text_columns(band: np.ndarray, size: int) -> np.ndarray:
    """Inked columns of the line's text: of the runs that gaps wider than four spaces separate, the inkiest.

    A stray mark (a glare's rim, the next field's edge) then cannot pass for the start or end of the text.
    """
    columns = np.flatnonzero(band.max(axis=0) > 0.3)
    if columns.size == 0:
        return columns
    runs = np.split(columns, np.flatnonzero(np.diff(columns) > 4 * size * SPACE_WIDTH) + 1)
    weight = band.sum(axis=0)
    return max(runs, key=lambda run: float(weight[run].sum()))


def _crop(ink: np.ndarray, y0: int, height: int, x0: int, x1: int) -> np.ndarray:
    """Rows `y0 .. y0+height` of the card's ink; rows off the card read as paper."""
    out = np.zeros((height, x1 - x0), np.float32)
    top, bottom = max(y0, 0), min(y0 + height, ink.shape[0])
    if bottom > top:
        out[top - y0 : bottom - y0] = ink[top:bottom, x0:x1]
    return out


@cache
def _region_names() -> dict[str, dict[str, str]]:
    """Printed form -> Kemendagri code, for the lines read as whole region names."""
    provinces = {f"PROVINSI {regions.name_of(code)}": code for code in regions.province_codes()}
    cities = {regions.name_of(code): code for code in regions.regency_codes()}
    issue_places = {regions.issue_place(code): code for code in regions.regency_codes()}
    return {PROVINCE_HEADER: provinces, CITY_HEADER: cities, ISSUE_PLACE: issue_places}


def _candidates(label: str, known: dict[str, str]) -> tuple[str, ...]:
    """Whole values a line may hold: an enum's values, or the regions the lines above narrowed down."""
    if label in ENUM_VALUES:
        return ENUM_VALUES[label]
    if label == "Berlaku Hingga":
        return (LIFETIME_VALIDITY,)
    if label in _region_names():
        return tuple(_region_names()[label])
    parent = {"Kecamatan": CITY_HEADER, "Kel/Desa": "Kecamatan"}.get(label)
    if parent in known:
        return tuple(name for name, _ in _subregions(known[parent]))
    return ()


@cache
def _subregions(code: str) -> tuple[tuple[str, str], ...]:
    """(name, code) of the kecamatan of a kab/kota, or of the villages of a kecamatan."""
    children = regions.villages_of(code) if code.count(".") == 2 else regions.districts_of(code)
    return tuple((regions.name_of(child) or "", child) for child in children)


def _region_code(label: str, text: str, known: dict[str, str]) -> str | None:
    """The code of a region name just read, so the lines below can narrow their candidates."""
    if label in _region_names():
        return _region_names()[label].get(text)
    parent = {"Kecamatan": CITY_HEADER}.get(label)
    if parent in known:
        return dict(_subregions(known[parent])).get(text)
    return None


def _alphabet(line: _Line) -> str:
    if line.label == "NIK":
        return DIGITS
    if line.label == ISSUE_DATE:
        return DIGITS + "-"
    return FREE_TEXT_ALPHABETS.get(line.label, TEXT_ALPHABET)


def _pad_rows(crop: np.ndarray, y0: int, height: int) -> np.ndarray:
    """Rows above the card or below it read as paper."""
    top = max(-y0, 0)
    paper = float(np.percentile(crop, 75)) if crop.size else 255.0
    out = np.full((height, crop.shape[1]), paper, np.float32)
    out[top : top + crop.shape[0]] = crop[: height - top]
    return out


def _digit_confidence(read: LineRead) -> float:
    """A digit string is only as sure as its least certain digit."""
    return min((certainty for char, certainty in zip(read.text, read.certainties, strict=True) if char.isdigit()),
               default=0.0)  # fmt: skip


@cache
def _label_templates() -> dict[bool, np.ndarray]:
    """The label column (labels and colons, constant text) as ink maps, Alamat unwrapped and wrapped."""
    templates = {}
    for wrapped in (False, True):
        tops = row_tops(2 if wrapped else 1)
        height = tops[ROW_LABELS[-1][0]] + TEXT_SIZE + 8
        canvas = Image.new("L", (COLON_X + 12, height), 0)
        draw = ImageDraw.Draw(canvas)
        for label, label_x in ROW_LABELS:
            draw.text((label_x, tops[label]), label, font=font("regular", TEXT_SIZE), fill=255)
            draw.text((COLON_X, tops[label]), ":", font=font("regular", TEXT_SIZE), fill=255)
        templates[wrapped] = np.asarray(canvas, np.float32) / 255.0
    return templates


def _label_block(ink: np.ndarray) -> tuple[bool, int, int, float]:
    """Whether Alamat wrapped, the (dx, dy) that lines the label column up with the card, and the blur."""
    best = (-np.inf, False, 0, 0)
    for wrapped, template in _label_templates().items():
        region = np.pad(ink[: template.shape[0] + LABEL_SEARCH, : template.shape[1] + LABEL_SEARCH],
                        ((LABEL_SEARCH, 0), (LABEL_SEARCH, 0)))  # fmt: skip
        scores = cv2.matchTemplate(blurred(region, 1.0), blurred(template, 1.0), cv2.TM_CCOEFF_NORMED)
        _, score, _, (x, y) = cv2.minMaxLoc(scores)
        if score > best[0]:
            best = (score, wrapped, x - LABEL_SEARCH, y - LABEL_SEARCH)
    _, wrapped, dx, dy = best
    template = _label_templates()[wrapped]
    height, width = template.shape
    seen = np.zeros_like(template)
    ys, xs = slice(max(dy, 0), dy + height), slice(max(dx, 0), dx + width)
    patch = ink[ys, xs]
    seen[ys.start - dy : ys.start - dy + patch.shape[0], xs.start - dx : xs.start - dx + patch.shape[1]] = patch
    # Blurred afresh each card: keeping the 14 blurred copies would cost 6 MB of a tight memory budget.
    blur = min(BLURS, key=lambda sigma: float(((blurred(template, sigma) - seen) ** 2).sum()))
    return wrapped, dx, dy, blur
