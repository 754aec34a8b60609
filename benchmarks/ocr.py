"""OCR accuracy and speed on generator manifests, backends side by side.

    .venv/bin/python benchmarks/ocr.py /tmp/ocrdev/clean/manifest.jsonl /tmp/ocrdev/camera/manifest.jsonl
    .venv/bin/python benchmarks/ocr.py MANIFEST... --backend template --backend tesseract --limit 100

Make the manifests with `ktp-sandbox generate --count 500 --seed S --preset P --out DIR` (issue 3 asks
for 500 cards per preset with seeds the tests do not use). Each backend reads every image of a manifest
in its own process, on one core (OpenCV and tesseract limited to one thread), so its timings and peak
memory are its own. A card's time is `extract` on the file's bytes: decode, locate, quality, read, parse.

Printed per manifest: per-field exact match against the manifest's truth (over the cards expected OK; a
card not returned OK counts as wrong in every field) and the share of cards with every field right; the
verdict confusion matrix; the count of wrong NIKs returned with OK (the number that must stay 0); median
and p95 ms per card; peak RSS (the Python process plus, for tesseract, its largest tesseract process);
and how many times faster template is.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from datetime import date
from pathlib import Path

from synthetic_ktp.degrade import QUALITY_VERDICTS
from synthetic_ktp.model import API_KEYS

AS_OF = date(2026, 1, 1)  # the generator's default card date: ages and NIK centuries as printed
SHORT = {"OK": "OK", "GLARE_DETECTED": "GLARE", "BLUR_DETECTED": "BLUR", "OBSTRUCTION_DETECTED": "OBSTR",
         "KTP_NOT_DETECTED": "NOT_KTP", "LOW_RESOLUTION": "LOW_RES"}  # fmt: skip


def child(manifest: Path, backend: str, limit: int | None) -> None:
    """Read every image of `manifest` in this process and print one JSON summary line."""
    import cv2

    from mock_gateway.ocr import extract

    cv2.setNumThreads(1)
    cards = []
    for line in manifest.read_text().splitlines()[:limit]:
        entry = json.loads(line)
        data = (manifest.parent / entry["image"]).read_bytes()
        extraction = extract(data, backend, as_of=AS_OF)
        truth = entry["truth"] or {}
        cards.append({
            "expected": entry["expected"]["quality"],
            "got": extraction.quality,
            "ms": extraction.timings_ms["total"],
            "right": [key for key in API_KEYS.values() if key in truth and extraction.fields.get(key) == truth[key]],
            "wrong_nik_ok": extraction.quality == "OK" and extraction.fields.get("nik") != truth.get("nik"),
        })  # fmt: skip
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"cards": cards, "rss_mb": own + engine}))


def run_backend(manifest: Path, backend: str, limit: int | None) -> dict:
    """One backend on one manifest, in a fresh single-threaded process."""
    command = [sys.executable, __file__, str(manifest), "--child", "--backend", backend]
    if limit is not None:
        command += ["--limit", str(limit)]
    env = os.environ | {"OMP_THREAD_LIMIT": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return json.loads(result.stdout.splitlines()[-1])


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(manifest: Path, results: dict[str, dict]) -> list[str]:
    """The Markdown tables for one manifest."""
    backends = list(results)
    first = results[backends[0]]["cards"]
    due_ok = sum(card["expected"] == "OK" for card in first)
    out = [f"### {manifest} ({len(first)} images, {due_ok} expected OK)", ""]
    out += ["| | " + " | ".join(backends) + " |", "|---|" + "---:|" * len(backends)]

    def row(name: str, values: list[str]) -> None:
        out.append(f"| {name} | " + " | ".join(values) + " |")

    if due_ok:
        for key in API_KEYS.values():
            row(key, [_percent(sum(key in card["right"] for card in results[b]["cards"] if card["expected"] == "OK"),
                               due_ok) for b in backends])  # fmt: skip
        row("every field", [_percent(sum(len(c["right"]) == len(API_KEYS) for c in results[b]["cards"]
                                         if c["expected"] == "OK"), due_ok) for b in backends])  # fmt: skip
    row("expected verdict", [_percent(sum(c["got"] == c["expected"] for c in results[b]["cards"]), len(first))
                             for b in backends])  # fmt: skip
    row("**wrong NIK with OK**", [str(sum(c["wrong_nik_ok"] for c in results[b]["cards"])) for b in backends])
    row("median ms/card", [f"{statistics.median(c['ms'] for c in results[b]['cards']):.1f}" for b in backends])
    row("p95 ms/card", [f"{_p95([c['ms'] for c in results[b]['cards']]):.1f}" for b in backends])
    row("peak RSS MB", [f"{results[b]['rss_mb']:.0f}" for b in backends])
    if due_ok and "template" in results and "tesseract" in results:
        speeds = [statistics.median(c["ms"] for c in results[b]["cards"]) for b in ("tesseract", "template")]
        out += ["", f"template is {speeds[0] / speeds[1]:.1f}x faster than tesseract (median ms/card)"]
    for backend in backends:
        out += ["", f"verdicts, {backend} (rows: expected, columns: got)", ""]
        out += ["| | " + " | ".join(SHORT[v] for v in QUALITY_VERDICTS) + " |", "|---|" + "---:|" * len(SHORT)]
        for expected in QUALITY_VERDICTS:
            counts = [sum(c["expected"] == expected and c["got"] == got for c in results[backend]["cards"])
                      for got in QUALITY_VERDICTS]  # fmt: skip
            if any(counts):
                row(SHORT[expected], [str(count) for count in counts])
    return [*out, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifests", nargs="+", type=Path, help="manifest.jsonl files from `ktp-sandbox generate`")
    parser.add_argument("--backend", action="append", dest="backends", help="template and/or tesseract (default both)")
    parser.add_argument("--limit", type=int, help="read only the first N images of each manifest")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    backends = args.backends or ["template", "tesseract"]
    if args.child:
        child(args.manifests[0], backends[0], args.limit)
        return
    for manifest in args.manifests:
        results = {backend: run_backend(manifest, backend, args.limit) for backend in backends}
        print("\n".join(report(manifest, results)), flush=True)


if __name__ == "__main__":
    main()
