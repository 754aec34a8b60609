"""Realism: can an independent, general-purpose OCR engine read our cards?

RapidOCR (PP-OCRv6, models inside the wheel; a dev dependency only) reads generated cards, and each
printed value counts as read when the text line over its box contains it exactly.

    .venv/bin/python benchmarks/realism.py --count 100 --seed 4242 [--preset clean]

Target (issue 2): at least 95% of the printed values of clean cards read exactly.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from synthetic_ktp.dataset import GeneratedCard, card_seed, generate_card
from synthetic_ktp.model import PRINTED_GENDER
from synthetic_ktp.render import address_lines

TARGET_SHARE = 0.95


@dataclass(frozen=True)
class OcrLine:
    """One text line an OCR engine found, with its axis-aligned box."""

    text: str
    box: tuple[float, float, float, float]


def read_lines(engine, card: GeneratedCard) -> list[OcrLine]:
    """Run RapidOCR on the card image and keep text plus boxes."""
    result = engine(np.asarray(card.image)[:, :, ::-1])  # RapidOCR takes BGR arrays
    lines = []
    for text, quad in zip(result.txts or (), result.boxes if result.boxes is not None else (), strict=True):
        xs, ys = quad[:, 0], quad[:, 1]
        lines.append(OcrLine(str(text), (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))))
    return lines


def printed_values(card: GeneratedCard) -> list[tuple[str, str, tuple[int, int, int, int]]]:
    """(field, printed text, box) for every printed value line of a clean card."""
    assert card.truth is not None
    printed = {**card.truth.to_ktp_data(), "issuePlace": card.truth.issue_place}
    printed["gender"] = PRINTED_GENDER[card.truth.gender]
    values = []
    for key, boxes in card.boxes.items():
        texts = address_lines(printed[key]) if key == "address" else [printed[key]]
        values += [(key, text, tuple(box)) for text, box in zip(texts, boxes, strict=True)]
    return values


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("：", ":")).strip()


def value_was_read(value: str, box: tuple[int, int, int, int], lines: list[OcrLine]) -> bool:
    """Exact read: a line over the value's box contains the value between non-alphanumeric boundaries."""
    centre_y = (box[1] + box[3]) / 2
    over = [
        line.text for line in lines
        if line.box[1] <= centre_y <= line.box[3] and line.box[0] < box[2] and box[0] < line.box[2]
    ]  # fmt: skip
    pattern = rf"(?<![A-Z0-9]){re.escape(_normalise(value))}(?![A-Z0-9])"
    return any(re.search(pattern, _normalise(text)) for text in over)


def score(engine, card: GeneratedCard) -> dict[str, list[bool]]:
    """Per field, whether each of its printed lines was read exactly."""
    lines = read_lines(engine, card)
    scored: dict[str, list[bool]] = {}
    for key, text, box in printed_values(card):
        scored.setdefault(key, []).append(value_was_read(text, box, lines))
    return scored


def load_engine():
    """RapidOCR with its bundled models, set up for upright documents (no 180-degree line classifier).

    With the classifier on, it sometimes flips the OCR-A NIK line and reads it upside down.
    """
    import logging

    from rapidocr import RapidOCR

    engine = RapidOCR(params={"Global.use_cls": False, "Global.log_level": "warning"})
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--preset", default="clean")
    args = parser.parse_args()
    engine = load_engine()
    read, total, timings = Counter(), Counter(), []
    for index in range(args.count):
        card = generate_card(card_seed(args.seed, index), args.preset)
        start = time.perf_counter()
        for key, results in score(engine, card).items():
            read[key] += sum(results)
            total[key] += len(results)
        timings.append((time.perf_counter() - start) * 1000)
    median_ms = statistics.median(timings)
    print(f"RapidOCR on {args.count} {args.preset} cards (seed {args.seed}), median {median_ms:.0f} ms/card")
    print(f"{'field':<14} {'read':>6} {'of':>6} {'share':>7}")
    for key in sorted(total, key=lambda key: read[key] / total[key]):
        print(f"{key:<14} {read[key]:>6} {total[key]:>6} {read[key] / total[key]:7.1%}")
    share = sum(read.values()) / sum(total.values())
    verdict = "ok" if share >= TARGET_SHARE else "MISSED"
    print(f"{'all values':<14} {sum(read.values()):>6} {sum(total.values()):>6} {share:7.1%}  target >= 95%: {verdict}")


if __name__ == "__main__":
    main()
