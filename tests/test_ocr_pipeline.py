"""extract(): the steps, the verdict-beats-a-guess rule, bad bytes and a failing backend."""

import io
from datetime import date

import pytest

from mock_gateway.ocr import BACKENDS, backend_names, extract
from mock_gateway.ocr.extraction import CITY_HEADER, ISSUE_DATE, PROVINCE_HEADER, TextLine
from synthetic_ktp.dataset import encode_image, generate_card

AS_OF = date(2026, 1, 1)
CLEAN_SEED = 3


@pytest.fixture(scope="module")
def clean_card():
    card = generate_card(CLEAN_SEED, "clean")
    return card, encode_image(card.photo, "png")


@pytest.fixture
def reader(monkeypatch):
    """Replace the template backend's reader with one that returns the given lines (or raises)."""

    def install(lines_or_error):
        def read_card(card):
            if isinstance(lines_or_error, Exception):
                raise lines_or_error
            assert card.shape == (638, 1012, 3)  # the rectified canonical card
            return lines_or_error

        monkeypatch.setitem(BACKENDS, "template", read_card)

    return install


def card_lines(nik: str, nik_confidence: float, born: str = "17-08-1990") -> list[TextLine]:
    """A reading of a card with SITI AMINAH's printed fields and the given NIK."""
    return [
        TextLine("PROVINSI JAWA BARAT", PROVINCE_HEADER, 0.99),
        TextLine("KABUPATEN BANDUNG", CITY_HEADER, 0.99),
        TextLine(nik, "NIK", nik_confidence),
        TextLine("SITI AMINAH", "Nama", 0.99),
        TextLine(f"BANDUNG, {born}", "Tempat/Tgl Lahir", 0.99),
        TextLine("PEREMPUAN", "Jenis Kelamin", 0.99),
        TextLine("20-05-2017", ISSUE_DATE, 0.99),
    ]


def test_backends_by_name():
    assert backend_names() == ("template", "tesseract")
    with pytest.raises(ValueError, match="unknown OCR backend 'paddle'; choose one of template, tesseract"):
        extract(b"", "paddle")


def test_a_clean_card_reads_ok_with_every_field(clean_card):
    card, data = clean_card
    extraction = extract(data, as_of=AS_OF)
    assert extraction.quality == "OK"
    assert extraction.fields == card.truth.to_ktp_data()
    assert set(extraction.confidence) == set(extraction.fields)
    assert all(0.5 < value <= 1 for value in extraction.confidence.values())
    assert extraction.corners == [[0.0, 0.0], [1012.0, 0.0], [1012.0, 638.0], [0.0, 638.0]]
    assert list(extraction.timings_ms) == ["decode", "locate", "quality", "read", "parse", "total"]
    assert extraction.timings_ms["total"] >= sum(v for k, v in extraction.timings_ms.items() if k != "total")
    assert (extraction.flags, extraction.problems, extraction.error, extraction.backend) == ((), (), None, "template")


def test_the_same_bytes_give_the_same_extraction(clean_card):
    _, data = clean_card
    first, second = extract(data, as_of=AS_OF), extract(data, as_of=AS_OF)
    assert (first.fields, first.confidence, first.quality, first.corners) == (
        second.fields, second.confidence, second.quality, second.corners)  # fmt: skip


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "empty upload: the body has no bytes"),
        (b"hello, this is not a photo\n", "not an image: the bytes are plain text"),
    ],
)
def test_bytes_that_are_no_image_get_a_verdict_and_an_error(data, error):
    extraction = extract(data)
    assert extraction.quality == "KTP_NOT_DETECTED"
    assert extraction.error.startswith(error)
    assert (extraction.fields, extraction.corners) == ({}, None)
    assert list(extraction.timings_ms) == ["decode", "total"]


def test_an_image_without_a_card_is_not_detected():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 60, 30)).save(buffer, "PNG")
    extraction = extract(buffer.getvalue())
    assert (extraction.quality, extraction.fields, extraction.corners, extraction.error) == (
        "KTP_NOT_DETECTED", {}, None, None)  # fmt: skip


def test_a_failing_backend_becomes_a_verdict_with_the_reason(clean_card, reader):
    reader(RuntimeError("glyph cache is gone"))
    extraction = extract(clean_card[1], as_of=AS_OF)
    assert extraction.quality == "KTP_NOT_DETECTED"
    assert extraction.error == "internal error in the template backend: RuntimeError: glyph cache is gone"
    assert extraction.fields == {}
    assert extraction.corners == [[0.0, 0.0], [1012.0, 0.0], [1012.0, 638.0], [0.0, 638.0]]


def test_a_failure_while_finding_the_card_becomes_a_verdict_too(clean_card, monkeypatch):
    def broken(image):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("mock_gateway.ocr.pipeline.find_card", broken)
    extraction = extract(clean_card[1], as_of=AS_OF)
    assert (extraction.quality, extraction.corners) == ("KTP_NOT_DETECTED", None)
    assert extraction.error == "internal error in the template backend: ZeroDivisionError: division by zero"


@pytest.mark.parametrize(
    ("nik", "confidence", "problem"),
    [
        ("32040857089", 0.99, "no 16-digit NIK was read"),
        ("3204085708900003", 0.55, "the NIK was read with confidence 0.55 < 0.6"),
        ("3204081708900003", 0.95, "the NIK disagrees with the card and was read with confidence 0.95 < 0.96"),
        ("3273085708900003", 0.95, "the NIK disagrees with the card and was read with confidence 0.95 < 0.96"),
    ],
)
def test_a_doubtful_nik_gives_the_likeliest_defect_not_ok(clean_card, reader, nik, confidence, problem):
    reader(card_lines(nik, confidence))
    extraction = extract(clean_card[1], as_of=AS_OF)
    assert extraction.quality not in ("OK", "KTP_NOT_DETECTED")  # a retry reason the quality check came nearest to
    assert extraction.fields == {}
    assert extraction.problems[0] == problem


@pytest.mark.parametrize(
    ("nik", "flag", "problem"),
    [
        ("3204081708900003", "NIK_INCONSISTENT", "NIK encodes male, card says female"),  # a male NIK, a woman's card
        ("3273085708900003", "NIK_REGION_DIFFERS", "the NIK is of region 32.73 KOTA BANDUNG, "
                                                   "the card shows 32.04 KABUPATEN BANDUNG"),  # she moved
    ],
)  # fmt: skip
def test_a_nik_that_disagrees_but_was_read_surely_is_returned_with_its_flag(clean_card, reader, nik, flag, problem):
    reader(card_lines(nik, 0.97))
    extraction = extract(clean_card[1], as_of=AS_OF)
    assert extraction.quality == "OK"
    assert extraction.fields["nik"] == nik
    assert extraction.flags == (flag,)
    assert extraction.problems == (problem,)


def test_the_nik_checks_are_dated_by_the_injected_clock(clean_card, reader):
    reader(card_lines("3204086902000003", 0.97, born="29-02-2000"))  # a real day in 2000, none in 1900
    assert extract(clean_card[1], today=lambda: date(2026, 1, 1)).flags == ()
    before_2000 = extract(clean_card[1], today=lambda: date(1999, 12, 31))
    assert before_2000.flags == ("NIK_INCONSISTENT",)
    assert "no real birth date" in before_2000.problems[0]
