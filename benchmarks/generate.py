"""Generator speed and memory: stage timings, cards/s per preset, and a streamed --workers run.

    .venv/bin/python benchmarks/generate.py                  # quick: 200 cards per preset, 1,000 + 3,000 streamed
    .venv/bin/python benchmarks/generate.py --scale 10000    # the issue's 10,000-card camera dataset

Targets (issue 2) are printed beside each number: clean >= 25 cards/s and camera >= 15 cards/s on one
worker, file encoding included (PNG for clean; the camera's own JPEG for camera, with PNG beside it for
reference); 10,000 camera cards with --workers 2 in under 10 minutes, memory flat.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic_ktp.dataset import DEFAULT_FORMATS, DatasetSpec, card_seed, encode_image, shared_faker, write_dataset
from synthetic_ktp.degrade import photograph
from synthetic_ktp.person import PersonOptions, make_person
from synthetic_ktp.render import render_card

RATE_RUNS = (("clean", "png", 25.0), ("camera", "jpg", 15.0), ("camera", "png", None))
TARGET_SCALE_SECONDS = 600.0


def stage_timings(preset: str, cards: int) -> dict[str, float]:
    """Median ms per card for each stage of one card, in this process."""
    fake = shared_faker()
    stages: dict[str, list[float]] = {"person": [], "render": [], "photograph": [], "file": []}
    for index in range(cards):
        seed = card_seed(99, index)
        rng = random.Random(seed)
        fake.seed_instance(seed)
        start = time.perf_counter()
        truth = make_person(rng, fake, PersonOptions())
        rendered_at = time.perf_counter()
        card = render_card(truth, rng)
        photographed_at = time.perf_counter()
        photo = photograph(card, preset, rng)
        encoded_at = time.perf_counter()
        encode_image(photo, DEFAULT_FORMATS[preset])
        done = time.perf_counter()
        for stage, seconds in zip(
            stages,
            (rendered_at - start, photographed_at - rendered_at, encoded_at - photographed_at, done - encoded_at),
            strict=True,
        ):
            stages[stage].append(seconds * 1000)
    return {stage: statistics.median(values) for stage, values in stages.items()}


def dataset_rate(preset: str, image_format: str, cards: int) -> float:
    """Cards per second for `write_dataset` on one worker, files and manifest included."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        write_dataset(DatasetSpec(Path(out), cards, seed=7, preset=preset, image_format=image_format))
        return cards / (time.perf_counter() - start)


def scale_child(count: int, workers: int) -> None:
    """Runs in a fresh process so its peak RSS belongs to this count alone."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        write_dataset(DatasetSpec(Path(out), count, seed=11, preset="camera"), workers)
        seconds = time.perf_counter() - start
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"count": count, "seconds": seconds, "parent_mb": parent, "worker_mb": children}))


def scale_run(count: int, workers: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(count), "--workers", str(workers)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=200, help="cards per preset for the one-worker rates")
    parser.add_argument("--scale", type=int, nargs="*", default=[1000, 3000], help="streamed camera counts")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scale_child(args.child, args.workers)
        return

    print(f"stage medians, ms/card ({args.cards} cards, one process)")
    print(f"{'preset':<8} {'person':>7} {'render':>7} {'photo':>7} {'file':>7}  (file: png for clean, jpg otherwise)")
    for preset in ("clean", "camera"):
        timings = stage_timings(preset, args.cards)
        print(f"{preset:<8} " + " ".join(f"{value:7.1f}" for value in timings.values()))

    print(f"\nwrite_dataset, one worker ({args.cards} cards, files + manifest)")
    print(f"{'preset':<8} {'format':<6} {'cards/s':>8} {'target':>8}")
    for preset, image_format, target in RATE_RUNS:
        rate = dataset_rate(preset, image_format, args.cards)
        verdict = "reference" if target is None else ("ok" if rate >= target else "MISSED")
        print(f"{preset:<8} {image_format:<6} {rate:8.1f} {'>= ' + str(target) if target else '':>8}  {verdict}")

    print(f"\nstreamed camera datasets, --workers {args.workers} (peak RSS per process)")
    print(f"{'count':>6} {'seconds':>8} {'cards/s':>8} {'parent MB':>10} {'worker MB':>10} {'10k projected s':>16}")
    for count in args.scale:
        run = scale_run(count, args.workers)
        rate = count / run["seconds"]
        print(
            f"{count:>6} {run['seconds']:8.1f} {rate:8.1f} {run['parent_mb']:10.0f} {run['worker_mb']:10.0f} "
            f"{10_000 / rate:16.0f}  (target < {TARGET_SCALE_SECONDS:.0f} s)"
        )


if __name__ == "__main__":
    main()
