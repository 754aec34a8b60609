"""Read one printed line from its ink map by matching the font's own glyphs and words.

`decode_line` finds the character sequence whose glyph cells, laid side by side at the font's advance
widths, best reproduce the line (least squared ink difference over the whole line, by dynamic
programming, so there is no fragile character segmentation). `best_candidate` compares whole
rendered candidates (enum values, region names) with the line instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mock_gateway.ocr.glyphs import GlyphSet, ink_extent, word_ink, word_profile

JITTER = np.array([-2, -1, 0, 1])  # px a pen step may deviate from the advance: rounding, residual warp
JITTER_COST = np.array([0.6, 0.25, 0.0, 0.25])  # per step, in squared-ink units
NARROWEST_STEP = 3  # px
# Extra cost per mark that is rare on a card, so faint noise does not read as one where a space or a
# full stop fits as well; in squared-ink units.
RARE_MARK_COSTS = {"'": 2.0, "(": 2.0, ")": 2.0}
DY = 0  # rows a template may sit above or below the line's own baseline
CLEAR_MARGIN = 0.3  # a rival glyph this much worse (per unit of template ink) leaves no doubt
WIDTH_TOLERANCE = 8  # px a whole-word candidate's printed width may differ from the line's ink extent
SHORTLIST = 6  # candidates compared pixel by pixel; a longer list is first ranked by column profile


@dataclass(frozen=True)
class LineRead:
    """A decoded line, how well the templates explain it (0..1), and each character's lead over its rival."""

    text: str
    confidence: float
    certainties: tuple[float, ...] = ()  # per decoded character (spaces included), 0..1


def card_ink(gray: np.ndarray, ink_level: float) -> np.ndarray:
    """Paper -> 0, ink -> 1 over the whole card, against the local paper level (light falls unevenly)."""
    paper = cv2.blur(cv2.dilate(gray, np.ones((9, 9), np.uint8)), (31, 31)).astype(np.float32)
    contrast = np.maximum(paper - ink_level, 30.0)
    return np.clip((paper - gray.astype(np.float32)) / contrast, 0.0, 1.0)


def _cell_costs(ink: np.ndarray, glyphs: GlyphSet) -> np.ndarray:
    """cost[u, x]: squared ink difference of unit u's cell placed with its pen at column x.

    All units at once: |I - T|^2 = |I|^2 - 2 I.T + |T|^2, with the I.T terms of every window and
    every unit from one matrix product.
    """
    height, width = ink.shape
    widest = int(glyphs.advances.max())
    padded = np.zeros((height, width + widest), np.float32)
    padded[:, :width] = ink
    windows = np.lib.stride_tricks.sliding_window_view(padded, (height, widest))[0, : width + 1]
    products = windows.reshape(width + 1, height * widest) @ glyphs.stacked
    column_energy = np.concatenate([[0.0], np.cumsum((padded * padded).sum(axis=0))]).astype(np.float32)
    starts = np.arange(width + 1)
    window_energy = column_energy[starts[None, :] + glyphs.advances[:, None]] - column_energy[starts][None, :]
    costs = window_energy - 2 * products.T + glyphs.energies[:, None]
    costs[starts[None, :] + glyphs.advances[:, None] > width] = np.inf
    return costs


def decode_line(ink: np.ndarray, glyphs: GlyphSet, start_slack: int, min_end: int) -> LineRead:
    """The glyph sequence that best tiles `ink` from a pen start in [0, 2*start_slack] to an end >= min_end.

    `ink` must have `glyphs.height + 2*DY` rows, the text top at row DY + MARGIN.
    """
    width = ink.shape[1]
    costs = _cell_costs(ink, glyphs)
    rows = ink[DY : DY + glyphs.height]
    blank = np.concatenate([[0.0], np.cumsum((rows * rows).sum(axis=0))]).astype(np.float64)
    steps = (glyphs.advances[:, None] + JITTER[None, :]).ravel()
    chars = np.repeat(np.arange(len(glyphs.units)), len(JITTER))
    rarity = np.array([sum(RARE_MARK_COSTS.get(char, 0.0) for char in unit) for unit in glyphs.units])
    penalty = np.tile(JITTER_COST, len(glyphs.units)) + np.repeat(rarity, len(JITTER))
    # A narrow mark cannot lose two px of its few: this keeps the smallest step, and so the blocks, at 3+ px.
    penalty[steps < NARROWEST_STEP] = np.inf
    best = np.full(width + 1, np.inf)
    choice = np.full(width + 1, -1)
    starts = min(2 * start_slack, width) + 1
    best[:starts] = blank[:starts]
    def arrive(xs: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cheapest way to reach each pen position in `xs` with one more unit (of the `allowed` ones)."""
        previous = xs[:, None] - steps[None, :]
        inside = (previous >= 0) & allowed[None, :]
        previous = np.where(inside, previous, 0)
        totals = best[previous] + costs[chars[None, :], previous] + penalty[None, :]
        totals[~inside] = np.inf
        pick = totals.argmin(axis=1)
        return totals[np.arange(len(xs)), pick], pick

    every = np.isfinite(penalty)
    block = max(1, int(steps[every].min()))
    for first in range(block, width + 1, block):
        xs = np.arange(first, min(first + block, width + 1))
        value, pick = arrive(xs, every)
        better = value < best[xs]
        best[xs] = np.where(better, value, best[xs])
        choice[xs] = np.where(better, pick, choice[xs])
    # A printed value never ends in a space: the last unit is a glyph.
    ends = np.arange(min(max(min_end, 0), width), width + 1)
    value, pick = arrive(ends, np.array([glyphs.units[char] != " " for char in chars]))
    totals = value + (blank[width] - blank[ends])
    last = int(np.argmin(totals))
    total = float(totals[last])
    picks = []
    position = int(ends[last])
    if np.isfinite(total):
        picked = int(pick[last])
        position -= int(steps[picked])
        picks.append((int(chars[picked]), position))
    while choice[position] >= 0:
        picked = int(choice[position])
        position -= int(steps[picked])
        picks.append((int(chars[picked]), position))
    picks.reverse()
    energy = max(float(blank[width]), 1.0)
    text = "".join(glyphs.units[unit] for unit, _ in picks)
    per_unit = _certainties(costs, glyphs, picks)
    certainties = tuple(float(certainty) for (unit, _), certainty in zip(picks, per_unit, strict=True)
                        for _ in glyphs.units[unit])  # fmt: skip
    return LineRead(text, max(0.0, 1.0 - total / energy), certainties)


def _certainties(costs: np.ndarray, glyphs: GlyphSet, picks: list[tuple[int, int]]) -> np.ndarray:
    """0..1 per picked unit: it must fit its cell well AND clearly better than every rival of its width."""
    if not picks:
        return np.zeros(0)
    units, pens = (np.array(values) for values in zip(*picks, strict=True))
    ink = np.maximum(glyphs.energies[units], 1.0)
    own = costs[units, pens]
    rivals = glyphs.advances[None, :] == glyphs.advances[units][:, None]
    rivals[np.arange(len(units)), units] = False
    rival = np.where(rivals, costs[:, pens].T, np.inf).min(axis=1)
    fit = 1.0 - own / ink
    lead = np.where(np.isfinite(rival), (rival - own) / ink / CLEAR_MARGIN, fit)
    return np.clip(np.minimum(fit, lead), 0.0, 1.0)


def best_candidate(
    ink: np.ndarray, candidates: tuple[str, ...], face: str, size: int, blur: float, dx: int, extent: int,
) -> tuple[str, float, float]:  # fmt: skip
    """The candidate whose rendering explains the crop best, with its residual share and the runner-up's.

    Only candidates whose printed width is within a few px of the line's ink `extent` are tried. The
    residual counts the whole crop: a candidate shorter than the printed value leaves ink unexplained.
    `ink` has the rendering's rows plus DY above and below, and the pen start at column MARGIN + dx (+/- dx).
    """
    energy = float((ink * ink).sum())
    columns = np.concatenate([[0.0], np.cumsum((ink * ink).sum(axis=0))])
    scored: list[tuple[float, str]] = []
    for candidate in _shortlist(ink, candidates, face, size, dx, extent):
        word = word_ink(candidate, face, size, blur)
        padded = np.zeros((ink.shape[0], max(ink.shape[1], word.shape[1] + 2 * dx)), np.float32)
        padded[:, : ink.shape[1]] = ink
        mismatch = cv2.matchTemplate(padded, word, cv2.TM_SQDIFF).min(axis=0)[: 2 * dx + 1]
        offsets = np.arange(mismatch.size)
        covered = np.interp(offsets + word.shape[1], np.arange(columns.size), columns) - columns[offsets]
        scored.append((float((energy - covered + mismatch).min()), candidate))
    if not scored:
        return "", np.inf, np.inf
    scored.sort()
    scale = max(energy, 1.0)
    runner_up = scored[1][0] if len(scored) > 1 else np.inf
    return scored[0][1], scored[0][0] / scale, runner_up / scale


def _shortlist(
    ink: np.ndarray, candidates: tuple[str, ...], face: str, size: int, dx: int, extent: int
) -> list[str]:
    """Candidates of the line's printed width; when many are, the few whose column profile fits best.

    The column profile (ink per column) barely changes with blur, so comparing it first is cheap and safe.
    """
    near = [candidate for candidate in candidates if abs(ink_extent(candidate, face, size) - extent) <= WIDTH_TOLERANCE]
    if len(near) <= SHORTLIST:
        return near
    line = ink.sum(axis=0)

    def distance(candidate: str) -> float:
        word = word_profile(candidate, face, size)
        padded = np.zeros(max(line.size, word.size + 2 * dx), np.float32)
        padded[: line.size] = line
        windows = np.lib.stride_tricks.sliding_window_view(padded, word.size)[: 2 * dx + 1]
        outside = padded.sum() - windows.sum(axis=1)
        return float((np.abs(windows - word).sum(axis=1) + outside).min())

    return sorted(near, key=distance)[:SHORTLIST]
