"""Glyph and word templates rendered at start-up from the generator's own bundled fonts.

A template is an ink map (0 = paper, 1 = ink) laid out exactly as Pillow lays the text on the card:
same font, same size, same top offset, so a card line and a template line up pixel for pixel.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw

from synthetic_ktp.render import font

MARGIN = 3  # rows above the text top and columns before the pen origin in every template
# What each kind of line may contain; the parser turns it into ktpData.
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
NAME_ALPHABET = UPPER + " .,'-"
TEXT_ALPHABET = UPPER + DIGITS + " .,-/'()"  # addresses, places with dates, region names


def band_height(face: str, size: int) -> int:
    """Rows a line of `size` px text occupies in a crop: margin, ascender to descender, margin."""
    ascent, descent = font(face, size).getmetrics()
    return ascent + descent + 2 * MARGIN


BLURS = (0.0, 0.7, 1.0, 1.4, 1.9, 2.5)  # px of Gaussian blur the templates are made at, to match the photo


@lru_cache(maxsize=2048)
def _coverage(text: str, face: str, size: int) -> np.ndarray:
    """`text` drawn as Pillow draws it on the card, pen origin at (MARGIN, MARGIN), kept as 8-bit coverage."""
    typeface = font(face, size)
    width = int(np.ceil(typeface.getlength(text))) + 2 * MARGIN
    canvas = Image.new("L", (max(width, 1), band_height(face, size)), 0)
    ImageDraw.Draw(canvas).text((MARGIN, MARGIN), text, font=typeface, fill=255)
    return np.asarray(canvas)


def render_ink(text: str, face: str, size: int, blur: float = 0.0) -> np.ndarray:
    """`text` as an ink map at `blur`, as wide as its advance plus margins."""
    return blurred(_coverage(text, face, size).astype(np.float32) / 255.0, blur)


def blurred(ink: np.ndarray, blur: float) -> np.ndarray:
    """The ink map as a lens with `blur` px of Gaussian spread would see it."""
    return cv2.GaussianBlur(ink, (0, 0), blur) if blur > 0 else ink


@dataclass(frozen=True)
class GlyphSet:
    """One template per unit: each cell is exactly its advance wide, ink clipped to the cell.

    A unit is a character, or a kerned pair: the font pulls some pairs (AV, LT, Y.) closer together,
    and a pair template keeps that geometry exact where two single cells would not.
    """

    units: tuple[str, ...]
    cells: tuple[np.ndarray, ...]  # height x advance ink maps, one per unit
    advances: np.ndarray  # rounded advance per unit (int)
    height: int
    stacked: np.ndarray  # (height * widest advance) x units: every cell zero-padded and flattened
    energies: np.ndarray  # sum of squared ink per unit


KERNING_THRESHOLD = 0.5  # px: pairs kerned by less than this are left to the decoder's jitter


@lru_cache(maxsize=64)  # ~0.5 MB each; a card needs a dozen (alphabets x sizes at its blur)
def glyph_set(alphabet: str, face: str, size: int, blur: float = 0.0) -> GlyphSet:
    """Cell templates for `alphabet` (and its kerned pairs) at `size` and `blur`, kept for reuse."""
    typeface = font(face, size)
    height = band_height(face, size)
    pairs = [
        first + second for first in alphabet for second in alphabet
        if typeface.getlength(first + second) - typeface.getlength(first) - typeface.getlength(second)
        <= -KERNING_THRESHOLD
    ]  # fmt: skip
    units = (*alphabet, *pairs)
    cells, advances = [], []
    for unit in units:
        advance = max(1, round(typeface.getlength(unit)))
        ink = render_ink(unit, face, size, blur)
        cells.append(np.ascontiguousarray(ink[:, MARGIN : MARGIN + advance]))
        advances.append(advance)
    widest = max(advances)
    stacked = np.zeros((len(units), height, widest), np.float32)
    for index, cell in enumerate(cells):
        stacked[index, :, : cell.shape[1]] = cell
    energies = np.array([float((cell * cell).sum()) for cell in cells], np.float32)
    return GlyphSet(units, tuple(cells), np.array(advances), height, stacked.reshape(len(units), -1).T.copy(), energies)


@lru_cache(maxsize=256)  # a card's enums, regions and places recur across cards (~40 KB each)
def word_ink(text: str, face: str, size: int, blur: float = 0.0) -> np.ndarray:
    """A whole candidate value as an ink map at `blur`, kept: candidates recur from card to card."""
    return render_ink(text, face, size, blur)


@lru_cache(maxsize=65536)
def ink_extent(text: str, face: str, size: int) -> int:
    """Columns from the first to the last inked column of a rendered value (from the outlines, no rendering)."""
    x0, _, x1, _ = font(face, size).getbbox(text)
    return int(x1 - x0)


@lru_cache(maxsize=8192)
def word_profile(text: str, face: str, size: int) -> np.ndarray:
    """Ink per column of a rendered value: a cheap signature to shortlist look-alike candidates."""
    return _coverage(text, face, size).sum(axis=0, dtype=np.float32) / 255.0
