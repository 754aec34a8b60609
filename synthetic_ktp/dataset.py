"""One card from one seed, and whole datasets streamed to disk with a JSONL manifest."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from faker import Faker
from PIL import Image

from synthetic_ktp.camera import write_y4m
from synthetic_ktp.degrade import PRESETS, Photo, negative_photo, photograph
from synthetic_ktp.model import KtpData
from synthetic_ktp.person import PersonOptions, make_person
from synthetic_ktp.render import Box, render_card
from synthetic_ktp.scenarios import DEFAULT_SCENARIO, QUALITY_INSUFFICIENT, Outcome, Scenario, scenario_named

IMAGE_FORMATS = ("png", "jpg")
# A scan is lossless; a phone photo is the JPEG its camera stored (written as is, never re-encoded).
DEFAULT_FORMATS = {"clean": "png", "camera": "jpg", "harsh": "jpg", "negative": "jpg"}
JPEG_SAVE_QUALITY = 95  # only for images that were not JPEG already, e.g. a clean scan saved as jpg
PNG_COMPRESS_LEVEL = 1  # fast; PNG is lossless at every level
MANIFEST_NAME = "manifest.jsonl"


@dataclass(frozen=True)
class GeneratedCard:
    """A synthetic photo and everything known about it."""

    seed: int
    preset: str
    photo: Photo
    truth: KtpData | None  # None for a negative (no KTP in the picture)
    scenario: Scenario | None
    boxes: dict[str, list[Box]] = field(default_factory=dict)  # card pixels; map through `photo.corners`

    @property
    def image(self) -> Image.Image:
        return self.photo.image

    @property
    def kind(self) -> str:
        return "negative" if self.truth is None else "ktp"

    @property
    def expected_outcome(self) -> Outcome:
        """What the gateway should conclude if this image were submitted on every attempt."""
        if self.scenario is None or self.photo.expected_quality != "OK":
            return QUALITY_INSUFFICIENT
        return self.scenario.outcome

    def manifest_entry(self, image_path: str, video_path: str | None = None) -> dict:
        """The manifest line for this card (DESIGN.md format, plus seed, scenario, corners and boxes)."""
        entry: dict = {
            "image": image_path,
            "truth": self.truth.to_ktp_data() if self.truth else None,
            "printed": {"issuePlace": self.truth.issue_place} if self.truth else None,
            "kind": self.kind,
            "preset": self.preset,
            "seed": self.seed,
            "scenario": self.scenario.name if self.scenario else None,
            "degradations": self.photo.degradations,
            "expected": {"quality": self.photo.expected_quality, "outcome": self.expected_outcome.to_json()},
            "corners": self.photo.corners,
            "boxes": {key: [list(box) for box in boxes] for key, boxes in self.boxes.items()},
        }
        if video_path is not None:
            entry["video"] = video_path
        return entry


@cache
def shared_faker() -> Faker:
    """One Faker per process: building it is slow, reseeding it per card is cheap."""
    return Faker("id_ID")


def generate_card(
    seed: int,
    preset: str = "clean",
    scenario: str | None = None,
    as_of: date = PersonOptions.as_of,
) -> GeneratedCard:
    """The card of `seed`: the same arguments give the same pixels and truth in every process."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    rng = random.Random(seed)
    if preset == "negative":
        return GeneratedCard(seed, preset, negative_photo(rng), None, None)
    chosen = scenario_named(scenario) if scenario else DEFAULT_SCENARIO
    fake = shared_faker()
    fake.seed_instance(seed)
    truth = make_person(rng, fake, PersonOptions(as_of=as_of, scenario=chosen))
    rendered = render_card(truth, rng)
    return GeneratedCard(seed, preset, photograph(rendered, preset, rng), truth, chosen, rendered.boxes)


def card_seed(dataset_seed: int, index: int) -> int:
    """Card `index` of a dataset gets its own seed, so any card can be regenerated alone."""
    digest = hashlib.sha256(f"ktp-sandbox:{dataset_seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:6], "big")


def encode_image(photo: Photo, image_format: str) -> bytes:
    """Image file bytes; deterministic for the same pixels. A camera's JPEG is written as it stored it."""
    if image_format == "jpg" and photo.jpeg_file is not None:
        return photo.jpeg_file
    buffer = io.BytesIO()
    if image_format == "png":
        photo.image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    else:
        photo.image.save(buffer, "JPEG", quality=JPEG_SAVE_QUALITY)
    return buffer.getvalue()


@dataclass(frozen=True)
class DatasetSpec:
    """Everything that decides a dataset's bytes."""

    out_dir: Path
    count: int
    seed: int = 0
    preset: str = "clean"
    image_format: str | None = None  # None: the preset's DEFAULT_FORMATS entry
    video: bool = False
    scenario: str | None = None
    as_of: date = PersonOptions.as_of


def _write_card(spec: DatasetSpec, index: int) -> str:
    """Generate card `index`, write its files, and return its manifest line."""
    card = generate_card(card_seed(spec.seed, index), spec.preset, spec.scenario, spec.as_of)
    stem = f"{index:06d}"
    image_format = spec.image_format or DEFAULT_FORMATS[spec.preset]
    image_name = f"{stem}.{image_format}"
    (spec.out_dir / image_name).write_bytes(encode_image(card.photo, image_format))
    video_name = None
    if spec.video:
        video_name = f"{stem}.y4m"
        write_y4m(card.image, spec.out_dir / video_name)
    return json.dumps(card.manifest_entry(image_name, video_name), ensure_ascii=False)


def _write_card_job(job: tuple[DatasetSpec, int]) -> str:
    return _write_card(*job)


def _manifest_lines(spec: DatasetSpec, workers: int) -> Iterator[str]:
    """Manifest lines in card order; with several workers each process writes its own cards' files."""
    if workers <= 1:
        for index in range(spec.count):
            yield _write_card(spec, index)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        yield from pool.imap(_write_card_job, ((spec, index) for index in range(spec.count)), chunksize=4)


def write_dataset(spec: DatasetSpec, workers: int = 1, on_card: Callable[[], None] | None = None) -> Path:
    """Stream `spec.count` cards and their manifest to `spec.out_dir`; memory stays flat as the count grows."""
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    manifest = spec.out_dir / MANIFEST_NAME
    with manifest.open("w", encoding="utf-8") as lines:
        for line in _manifest_lines(spec, workers):
            lines.write(line + "\n")
            if on_card:
                on_card()
    return manifest
