"""The tesseract backend on a clean card: its raw lines, then the whole extraction through the shared parser."""

import os
from datetime import date

import numpy as np
import pytest

from mock_gateway.ocr import extract
from mock_gateway.ocr.tesseract import read_card
from synthetic_ktp.dataset import encode_image, generate_card

SEED = 3  # a clean card whose OCR-A NIK tesseract reads right (it misreads about one NIK in five)


@pytest.fixture(scope="module")
def card():
    return generate_card(SEED, "clean")


def test_tesseract_runs_single_threaded():
    assert os.environ["OMP_THREAD_LIMIT"] == "1"


def test_read_card_gives_raw_lines_in_reading_order(card):
    canonical = np.asarray(card.photo.image)[:, :, ::-1].copy()  # the clean preset is the flat card: RGB -> BGR
    lines = read_card(canonical)
    truth = card.truth
    texts = [line.text for line in lines]
    assert texts[:3] == [f"PROVINSI {truth.province}", truth.city, truth.nik]
    assert [line.label for line in lines[:3]] == [None, None, "NIK"]
    assert all(line.label is None for line in lines[3:])
    assert texts[-2:] == [truth.issue_place, truth.issuance_date]
    assert any(text.startswith("Nama") and text.endswith(truth.name) for text in texts)
    assert all(0 <= line.confidence <= 1 for line in lines)
    assert all(0 <= x0 < x1 <= 1012 and 0 <= y0 < y1 <= 638 for x0, y0, x1, y1 in (line.box for line in lines))


def test_extract_with_tesseract_reads_every_field(card):
    extraction = extract(encode_image(card.photo, "png"), "tesseract", as_of=date(2026, 1, 1))
    assert extraction.quality == "OK"
    assert extraction.backend == "tesseract"
    assert extraction.fields == card.truth.to_ktp_data()
    assert extraction.confidence["nik"] == pytest.approx(0.8 * 0.9291, abs=1e-4)  # the hit rate x its least sure digit
