"""`ktp-sandbox ocr` as a user runs it, in a subprocess."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from synthetic_ktp.dataset import encode_image, generate_card

SCRIPT = Path(sys.executable).with_name("ktp-sandbox")
SEED = 3


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), "ocr", *args], capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ocr")
    card = generate_card(SEED, "clean")
    (folder / "card.png").write_bytes(encode_image(card.photo, "png"))
    (folder / "notes.txt").write_text("not a photo\n")
    return folder, card.truth.to_ktp_data()


def test_json_prints_one_object_per_image(images):
    folder, truth = images
    result = run(str(folder / "card.png"), str(folder / "notes.txt"), "--json")
    assert result.returncode == 0, result.stderr
    card, notes = (json.loads(line) for line in result.stdout.splitlines())
    assert list(card) == ["image", "fields", "quality", "confidence", "ms"]
    assert (card["image"], card["quality"], card["fields"]) == (str(folder / "card.png"), "OK", truth)
    assert set(card["confidence"]) == set(truth)
    assert card["ms"] > 0
    assert notes["quality"] == "KTP_NOT_DETECTED"
    assert notes["fields"] == {}
    assert notes["error"] == "not an image: the bytes are plain text ('not a photo\\n')"


def test_the_readable_form_gives_the_verdict_then_each_field(images):
    folder, truth = images
    result = run(str(folder / "card.png"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(rf"{re.escape(str(folder / 'card.png'))}: OK \(template, \d+ ms\)", lines[0])
    assert len(lines) == 1 + len(truth)
    assert re.fullmatch(rf"  nik +{truth['nik']}  \(\d\.\d\d\)", lines[1])
    assert lines[2].split()[:2] == ["name", *truth["name"].split()[:1]]


def test_a_missing_file_is_one_line_and_exit_2(images):
    folder, _ = images
    result = run(str(folder / "card.png"), str(folder / "nope.png"))
    assert result.returncode == 2
    assert result.stderr == (
        f"ktp-sandbox ocr: error: Invalid value for 'IMAGES...': File '{folder / 'nope.png'}' does not exist.\n"
    )
    assert result.stdout == ""


def test_an_unknown_backend_is_refused():
    result = run("--backend", "paddle", "x.png")
    assert result.returncode == 2
    assert "Invalid value for '--backend': 'paddle' is not one of 'template', 'tesseract'." in result.stderr
