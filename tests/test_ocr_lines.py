"""Line decoding by glyph templates, and whole-candidate matching, on rendered lines."""

import numpy as np
import pytest

from mock_gateway.ocr.glyphs import DIGITS, MARGIN, TEXT_ALPHABET, blurred, glyph_set, render_ink
from mock_gateway.ocr.lines import best_candidate, decode_line
from synthetic_ktp.render import TEXT_SIZE

SLACK = 4


def line_ink(text: str, face: str = "regular", size: int = TEXT_SIZE, blur: float = 0.0) -> np.ndarray:
    """A rendered line cropped the way the reader crops one: pen start SLACK columns in."""
    ink = np.pad(render_ink(text, face, size), ((0, 0), (SLACK - MARGIN, 0)))
    return blurred(ink, blur)


def last_ink_column(ink: np.ndarray) -> int:
    return int(np.flatnonzero(ink.max(axis=0) > 0.3)[-1]) + 1


@pytest.mark.parametrize(
    "text", ["JL. RAYA LAYAR AVIA NO. 17", "GG. TAWANG ALUN NO. 5 BLOK C-12", "KOMP. PERUM (LAMA)"]
)
def test_decode_reads_rendered_text_exactly_including_kerned_pairs(text):
    ink = line_ink(text)
    read = decode_line(ink, glyph_set(TEXT_ALPHABET, "regular", TEXT_SIZE), SLACK, last_ink_column(ink) - 1)
    assert read.text == text
    assert read.confidence > 0.95
    assert len(read.certainties) == len(text)


def test_decode_reads_blurred_digits_with_blurred_templates():
    ink = line_ink("3204125708900003", "ocr", 36, blur=1.4)
    read = decode_line(ink, glyph_set(DIGITS, "ocr", 36, 1.4), SLACK, last_ink_column(ink) - 1)
    assert read.text == "3204125708900003"
    assert min(read.certainties) > 0.5


def test_best_candidate_picks_the_printed_value_and_ranks_the_rest_worse():
    ink = np.pad(line_ink("BELUM KAWIN"), ((0, 0), (MARGIN, 0)))
    extent = last_ink_column(ink) - int(np.flatnonzero(ink.max(axis=0) > 0.3)[0])
    word, residual, runner_up = best_candidate(
        ink, ("KAWIN", "BELUM KAWIN", "CERAI HIDUP", "CERAI MATI"), "regular", TEXT_SIZE, 0.0, SLACK, extent
    )
    assert word == "BELUM KAWIN"
    assert residual < 0.05 < runner_up


def test_best_candidate_finds_nothing_when_no_candidate_has_the_lines_width():
    ink = np.pad(line_ink("PEGAWAI NEGERI SIPIL (PNS)"), ((0, 0), (MARGIN, 0)))
    word, residual, runner_up = best_candidate(ink, ("GURU", "DOSEN"), "regular", TEXT_SIZE, 0.0, SLACK, 300)
    assert (word, residual, runner_up) == ("", np.inf, np.inf)
