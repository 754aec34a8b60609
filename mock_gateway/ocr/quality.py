"""Is the rectified card fit to read? The verdict a retry reason comes from, and the numbers behind it.

Everything is measured on the canonical card (layout positions from `synthetic_ktp.render`), mostly on
a half-size copy: an "ink" map (how much darker than the local card stock each pixel is) for the
layout anchors and sharpness, saturated pixels for glare and warm (skin) pixels for a finger.
Areas are reported in canonical card px whatever copy they were counted on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
from PIL import Image, ImageDraw

from mock_gateway.ocr.extraction import BLUR, GLARE, LOW_RESOLUTION, NOT_DETECTED, OBSTRUCTION, OK
from mock_gateway.ocr.locate import CardLocation
from synthetic_ktp.render import (
    BLOOD_COLON_X,
    BLOOD_LABEL_X,
    CARD_SIZE,
    COLON_X,
    HEADER_SIZE,
    HEADER_TOPS,
    INK,
    ISSUE_DATE_TOP,
    ISSUE_PLACE_TOP,
    LABEL_X,
    NIK_LABEL_SIZE,
    NIK_SIZE,
    NIK_TOP,
    ROW_LABELS,
    ROW_PITCH,
    ROWS_TOP,
    TEXT_SIZE,
    UNDER_PHOTO_SLOT,
    VALUE_RIGHT,
    VALUE_X,
    font,
    row_tops,
)

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in canonical card px

HALF = (CARD_SIZE[0] // 2, CARD_SIZE[1] // 2)  # most measurements: text strokes are still 1-2 px wide here
QUARTER = (CARD_SIZE[0] // 4, CARD_SIZE[1] // 4)  # the anchors: coarse enough that blur and low resolution keep them
STOCK_WINDOW = 7  # half-copy px: wider than any stroke, so its brightest pixel is card stock
SATURATED = 245  # every channel at least this: a clipped highlight (the stock's red stays under ~210)
WARM_MARGIN = 25  # red minus blue: skin is 40-95 warmer, the stock and the ink are bluer than red
EDGE_SHARE = 0.005  # the steepest half percent of the text block's ink steps: glyph edges, not stock
MAX_ROWS = len(ROW_LABELS) + 1  # printed rows below the NIK when Alamat takes two lines

# The printed text rows (values and labels), each as the band it occupies across the layout.
ROW_BANDS: tuple[Box, ...] = (
    (20, HEADER_TOPS[0] + 4, CARD_SIZE[0] - 20, HEADER_TOPS[0] + HEADER_SIZE + 2),
    (20, HEADER_TOPS[1] + 4, CARD_SIZE[0] - 20, HEADER_TOPS[1] + HEADER_SIZE + 2),
    (LABEL_X - 4, NIK_TOP + 4, VALUE_RIGHT - 34, NIK_TOP + 44),
    *((LABEL_X - 4, ROWS_TOP + i * ROW_PITCH + 2, VALUE_RIGHT, ROWS_TOP + i * ROW_PITCH + 24) for i in range(MAX_ROWS)),
    (UNDER_PHOTO_SLOT[0], ISSUE_PLACE_TOP - 2, UNDER_PHOTO_SLOT[1] - 4, ISSUE_PLACE_TOP + 22),
    (UNDER_PHOTO_SLOT[0], ISSUE_DATE_TOP - 2, UNDER_PHOTO_SLOT[1] - 4, ISSUE_DATE_TOP + 22),
)
TEXT_BLOCK: Box = (LABEL_X - 4, NIK_TOP, VALUE_RIGHT, ROWS_TOP + MAX_ROWS * ROW_PITCH)  # where sharpness is measured

ALIGN_BOX: Box = (24, 96, 688, 600)  # the part of the layout matched as a whole to find how the card sits
ALIGN_SHIFT = 5  # quarter px (20 card px) the layout may sit off: corners of a badly blurred card are that far out
INK_MIN_STD = 0.02  # an anchor strip flatter than this holds no print at all (blank stock, plain plastic)
HIDDEN_SHARE = 0.15  # an anchor strip more covered than this by a highlight or a finger is not judged
MIN_JUDGED_ANCHORS = 4


@dataclass(frozen=True)
class Check:
    """One verdict rule: `reason` once measurement `key` has gone past `threshold`, seen from a good photo's value."""

    reason: str
    key: str
    threshold: float
    typical: float  # the median over the generator's camera photos: where a good photo sits
    only_when: Callable[[Mapping[str, float]], bool] | None = None  # the rule applies only to such cards

    def applies(self, measurements: Mapping[str, float]) -> bool:
        """Whether the card was measured for this rule and is the kind of card it is meant for."""
        return self.key in measurements and (self.only_when is None or self.only_when(measurements))

    def closeness(self, measurements: Mapping[str, float]) -> float:
        """How far the measurement has moved from `typical` towards `threshold`: 0 there, 1 at it, above 1 failed."""
        return (measurements[self.key] - self.typical) / (self.threshold - self.typical)


MIN_WIDTH_PX = 500.0  # card width in the photo: at 500 px a 21 px text row is ~10 px tall, the least to read
MIN_SHARPNESS = 0.15  # >= 0.25 in camera photos, <= 0.10 when defocused (sigma >= 4) or shaken (>= 25 px)


def _legible(measurements: Mapping[str, float]) -> bool:
    """Sharp and large enough that the fixed print must show its letters, not just text rows where they go."""
    return measurements.get("width_px", 0.0) >= MIN_WIDTH_PX and measurements.get("sharpness", 0.0) >= MIN_SHARPNESS


# In the order the verdict checks them. Each threshold sits between what the generator's presets produce:
# camera photos on the good side, the harsh preset's defect on the bad side, non-KTP images on the bad
# side of the anchors.
CHECKS: tuple[Check, ...] = (
    Check(NOT_DETECTED, "touches_border", 0.5, typical=0.0),  # 1: the card runs off the frame
    Check(NOT_DETECTED, "card_level", 60.0, typical=204.0),  # stock >= ~170 in any camera light; black ~15
    Check(NOT_DETECTED, "anchor_score", 0.3, typical=0.985),  # >= 0.38 however blurred or small; others <= 0.1
    Check(NOT_DETECTED, "anchor_score", 0.6, typical=0.985, only_when=_legible),  # >= 0.88; mirrored <= 0.45
    Check(LOW_RESOLUTION, "width_px", MIN_WIDTH_PX, typical=1058.0),  # camera photos >= ~965, harsh 150-260
    Check(BLUR, "sharpness", MIN_SHARPNESS, typical=0.36),
    Check(GLARE, "glare_px", 10000.0, typical=0.0),  # harmless highlights <= ~6,500 px², over text >= 14,900
    Check(OBSTRUCTION, "obstruction_fraction", 0.2, typical=0.0),  # 0 without a finger, >= 0.3 with one
)


@dataclass(frozen=True)
class QualityReport:
    """The verdict and the measurements it was decided from."""

    verdict: str  # one of extraction.VERDICTS
    measurements: dict[str, float]

    def likeliest_defect(self) -> str:
        """The retry reason nearest its threshold: the best guess when reading fails after an OK verdict."""
        if self.verdict != OK:
            return self.verdict
        applicable = [check for check in CHECKS if check.applies(self.measurements)]
        if not applicable:
            return NOT_DETECTED
        return max(applicable, key=lambda check: check.closeness(self.measurements)).reason


def assess(image: np.ndarray, location: CardLocation | None, card: np.ndarray | None) -> QualityReport:
    """The quality verdict for a photo, from where its card is (`find_card`) and the card rectified."""
    if location is None or card is None or image.size == 0:
        return QualityReport(NOT_DETECTED, {})
    measurements = {"width_px": location.width_px, "touches_border": float(location.touches_border)}
    if not location.touches_border:  # a card partly out of the frame is not measured
        measurements |= _measure(card)
    measurements = {key: round(value, 4) for key, value in measurements.items()}
    failed = (check.reason for check in CHECKS if check.applies(measurements) and check.closeness(measurements) > 1)
    return QualityReport(next(failed, OK), measurements)


def _measure(card: np.ndarray) -> dict[str, float]:
    """What the checks read off a whole card, all from one half-size view of it."""
    view = _CardView.of(card)
    return {
        "card_level": float(_quantile(view.level, 0.1)),
        "anchor_score": _anchor_score(view),
        "sharpness": _sharpness(view.ink),
        "glare_px": float(np.count_nonzero(view.saturated & _text_mask()) * 4),
        "obstruction_fraction": _obstruction(view.warm),
    }


@dataclass(frozen=True)
class _CardView:
    """The half-size card as the checks see it."""

    level: np.ndarray  # uint8: brightest channel
    ink: np.ndarray  # uint8 0..255: how much darker than the nearby stock
    saturated: np.ndarray  # bool: clipped in every channel
    warm: np.ndarray  # bool: redder than blue by WARM_MARGIN

    @classmethod
    def of(cls, card: np.ndarray) -> _CardView:
        half = cv2.resize(card, HALF, interpolation=cv2.INTER_AREA)
        blue, green, red = cv2.split(half)
        warm = cv2.subtract(red, blue) > WARM_MARGIN
        saturated = cv2.min(cv2.min(blue, green), red) >= SATURATED
        level = cv2.max(cv2.max(blue, green), red)
        return cls(level, _ink(cv2.cvtColor(half, cv2.COLOR_BGR2GRAY)), saturated, warm)


def _ink(gray: np.ndarray) -> np.ndarray:
    """Darkness relative to the local stock (255 = black on stock): lighting, exposure and shading divide out."""
    window = (STOCK_WINDOW, STOCK_WINDOW)
    stock = cv2.blur(cv2.dilate(gray, np.ones(window, np.uint8)), window)
    return cv2.subtract(255, cv2.divide(gray, stock, scale=255))


def _quantile(values: np.ndarray, share_above: float) -> int:
    """The uint8 level exceeded by `share_above` of `values` (a percentile by counting, no sort)."""
    counts = np.bincount(values.ravel(), minlength=256)
    below = np.cumsum(counts)
    return int(np.searchsorted(below, below[-1] * (1 - share_above), side="left"))


def _half(box: Box) -> tuple[slice, slice]:
    x0, y0, x1, y1 = box
    return slice(y0 // 2, (y1 + 1) // 2), slice(x0 // 2, (x1 + 1) // 2)


@cache
def _text_mask() -> np.ndarray:
    """The printed text rows on the half-size card: where a highlight hides something the reader needs."""
    mask = np.zeros(HALF[::-1], bool)
    for band in ROW_BANDS:
        mask[_half(band)] = True
    mask.flags.writeable = False
    return mask


def _sharpness(ink: np.ndarray) -> float:
    """The steepest ink edges in the text block (0..1 per half-copy px), in the direction where they are weakest.

    A shaken photo keeps edges that run along the shake, so the weakest of four directions is taken.
    """
    block = ink[_half(TEXT_BLOCK)]
    steps = (
        (cv2.absdiff(block[:, 1:], block[:, :-1]), 1.0),
        (cv2.absdiff(block[1:, :], block[:-1, :]), 1.0),
        (cv2.absdiff(block[1:, 1:], block[:-1, :-1]), math.sqrt(0.5)),
        (cv2.absdiff(block[1:, :-1], block[:-1, 1:]), math.sqrt(0.5)),
    )
    return min(_quantile(step, EDGE_SHARE) * per_px for step, per_px in steps) / 255


def _obstruction(warm: np.ndarray) -> float:
    """The largest share of any text row covered by something skin-coloured (the portrait is no text row)."""
    return max(float(np.count_nonzero(warm[_half(band)])) / warm[_half(band)].size for band in ROW_BANDS)


@dataclass(frozen=True)
class _Anchor:
    """A fixed piece of the printed layout and the ink it should show, on the quarter-size card."""

    box: tuple[int, int, int, int]  # quarter px
    ink: np.ndarray


@dataclass(frozen=True)
class _Layout:
    """The fixed print of one layout variant (Alamat on one line or two), as anchors and as a whole."""

    whole: np.ndarray  # quarter-size ink of all the fixed print inside ALIGN_BOX
    anchors: tuple[_Anchor, ...]


@cache
def _layouts() -> tuple[_Layout, ...]:
    """The two layout variants, drawn once with the card's own fonts and measured like a photo is."""
    return tuple(_layout(address_lines) for address_lines in (1, 2))


def _layout(address_lines: int) -> _Layout:
    """The print every card shares when Alamat takes `address_lines` lines, drawn on white as render_card does."""
    canvas = Image.new("L", CARD_SIZE, 255)
    draw = ImageDraw.Draw(canvas)
    boxes: list[tuple[Box, bool]] = []  # card box, whether only its row profile is fixed

    def text(xy: tuple[int, int], value: str, face: str, size: int) -> Box:
        draw.text(xy, value, font=font(face, size), fill=INK[0])
        x0, y0, x1, y1 = draw.textbbox(xy, value, font=font(face, size))
        return (math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1))

    def labelled(label: str, x: int, colon_x: int, top: int, face: str = "regular", size: int = TEXT_SIZE) -> Box:
        start, colon = text((x, top), label, face, size), text((colon_x, top), ":", face, size)
        return (start[0], min(start[1], colon[1]), colon[2], max(start[3], colon[3]))

    for top, header in zip(HEADER_TOPS, ("PROVINSI JAWA BARAT", "KABUPATEN BANDUNG BARAT"), strict=True):
        width = draw.textlength(header, font=font("bold", HEADER_SIZE))
        text((round((CARD_SIZE[0] - width) / 2), top), header, "bold", HEADER_SIZE)
    middle = CARD_SIZE[0] // 2
    boxes.append(((middle - 80, HEADER_TOPS[0], middle + 80, HEADER_TOPS[1] + HEADER_SIZE + 8), True))
    boxes.append((labelled("NIK", LABEL_X, COLON_X, NIK_TOP + 4, "bold", NIK_LABEL_SIZE), False))
    boxes.append((text((VALUE_X, NIK_TOP), "3204012345678901", "ocr", NIK_SIZE), False))
    tops = row_tops(address_lines)
    boxes.extend((labelled(label, x, COLON_X, tops[label]), False) for label, x in ROW_LABELS)
    boxes.append((labelled("Gol. Darah", BLOOD_LABEL_X, BLOOD_COLON_X, tops["Jenis Kelamin"]), False))
    ink = _quarter(_ink(cv2.resize(np.asarray(canvas), HALF, interpolation=cv2.INTER_AREA))).astype(np.float32) / 255
    anchors = []
    for box, profile_only in boxes:
        x0, y0, x1, y1 = _quarter_box(box)
        strip = ink[y0:y1, x0:x1]
        if profile_only:  # the header's words vary; that there are two text rows, and where, does not
            strip = np.repeat(strip.mean(axis=1, keepdims=True), x1 - x0, axis=1)
        anchors.append(_Anchor((x0, y0, x1, y1), np.ascontiguousarray(strip)))
    x0, y0, x1, y1 = _quarter_box(ALIGN_BOX)
    return _Layout(np.ascontiguousarray(ink[y0:y1, x0:x1]), tuple(anchors))


def _quarter(half_image: np.ndarray) -> np.ndarray:
    """The quarter-size copy (the half copy's last odd row dropped, so it is OpenCV's fast 2x2 mean)."""
    return cv2.resize(half_image[: QUARTER[1] * 2, : QUARTER[0] * 2], QUARTER, interpolation=cv2.INTER_AREA)


def _quarter_box(box: Box, pad: int = 1) -> tuple[int, int, int, int]:
    """A card-px box on the quarter-size card, grown by `pad` so blur spilling past the print is compared too."""
    x0, y0, x1, y1 = box
    return (max(0, x0 // 4 - pad), max(0, y0 // 4 - pad), min(QUARTER[0], -(-x1 // 4) + pad),
            min(QUARTER[1], -(-y1 // 4) + pad))  # fmt: skip


def _anchor_score(view: _CardView) -> float:
    """How well the card shows the fixed print of the e-KTP layout (0..1).

    The layout variant (Alamat on one line or two) and the card's offset (within ALIGN_SHIFT) come from
    matching all the fixed print at once; then each anchor (header rows, NIK label, NIK digits, each
    row label) is matched on its own, give or take a pixel. Anchors under a highlight or a finger are
    not judged, and the score is the median of the rest.
    """
    ink = _quarter(view.ink).astype(np.float32) / 255
    hidden = cv2.dilate(_quarter((view.saturated | view.warm).astype(np.uint8) * 255), np.ones((3, 3), np.uint8))
    padded = cv2.copyMakeBorder(ink, *[ALIGN_SHIFT] * 4, cv2.BORDER_REPLICATE)
    x0, y0, x1, y1 = _quarter_box(ALIGN_BOX)
    area = padded[y0 : y1 + 2 * ALIGN_SHIFT, x0 : x1 + 2 * ALIGN_SHIFT]
    fits = [cv2.matchTemplate(area, layout.whole, cv2.TM_CCOEFF_NORMED) for layout in _layouts()]
    best = max(range(len(fits)), key=lambda index: float(fits[index].max()))
    dy, dx = np.unravel_index(int(np.argmax(fits[best])), fits[best].shape)
    scores = [
        _anchor_match(ink, anchor, int(dx) - ALIGN_SHIFT, int(dy) - ALIGN_SHIFT)
        for anchor in _layouts()[best].anchors
        if _mean(hidden, anchor.box) <= HIDDEN_SHARE * 255
    ]
    return float(np.median(scores)) if len(scores) >= MIN_JUDGED_ANCHORS else 0.0


def _mean(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """The mean of `image` inside a quarter-px box."""
    x0, y0, x1, y1 = box
    return float(cv2.mean(image[y0:y1, x0:x1])[0])


def _anchor_match(ink: np.ndarray, anchor: _Anchor, dx: int, dy: int) -> float:
    """Normalised correlation of one anchor with the card, at the layout's offset give or take a pixel."""
    x0, y0, x1, y1 = anchor.box
    x0, y0, x1, y1 = x0 + dx - 1, y0 + dy - 1, x1 + dx + 1, y1 + dy + 1
    if x0 < 0 or y0 < 0 or x1 > ink.shape[1] or y1 > ink.shape[0]:
        return 0.0
    window = ink[y0:y1, x0:x1]
    if cv2.meanStdDev(window)[1][0, 0] < INK_MIN_STD:
        return 0.0
    return float(cv2.matchTemplate(window, anchor.ink, cv2.TM_CCOEFF_NORMED).max())
