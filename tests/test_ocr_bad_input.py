"""The issue's bad inputs, end to end through extract(): a verdict or a clear error, never an exception."""

import io
import zlib
from datetime import date

import cv2
import numpy as np
import pytest
from PIL import Image

from mock_gateway.ocr import extract
from synthetic_ktp import generate_card

AS_OF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def card():
    return generate_card(1401, "clean")


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of width x height, a few KB long: every row is zero."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    rows = zlib.compress(bytes(1 + (width + 7) // 8) * height, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "empty upload"),
        (b"NIK: 3204125708900003\n", "not an image: the bytes are plain text"),
        (bomb_png(20000, 20000), "image too large"),
    ],
)
def test_what_is_not_a_usable_image_gets_not_detected_and_an_error(data, error):
    extraction = extract(data, as_of=AS_OF)
    assert extraction.quality == "KTP_NOT_DETECTED"
    assert extraction.error.startswith(error)
    assert extraction.fields == {}


def test_a_truncated_jpeg_is_refused_not_read_half_grey(card):
    data = encoded(card.image, "JPEG", quality=90)
    extraction = extract(data[: len(data) // 2], as_of=AS_OF)
    assert (extraction.quality, extraction.fields) == ("KTP_NOT_DETECTED", {})
    assert extraction.error.startswith("truncated JPEG")


def test_a_one_pixel_image_is_judged_not_a_card():
    extraction = extract(encoded(Image.new("RGB", (1, 1), (200, 220, 240)), "PNG"), as_of=AS_OF)
    assert (extraction.quality, extraction.error, extraction.corners) == ("KTP_NOT_DETECTED", None, None)


def _read_nik(data: bytes) -> tuple[str, str | None]:
    extraction = extract(data, as_of=AS_OF)
    return extraction.quality, extraction.fields.get("nik")


def test_an_animated_gif_is_read_from_its_first_frame(card):
    blank = Image.new("RGB", card.image.size, (40, 40, 40))
    data = encoded(card.image, "GIF", save_all=True, append_images=[blank], duration=100, loop=0)
    assert _read_nik(data) == ("OK", card.truth.nik)


def test_a_cmyk_jpeg_is_read(card):
    assert _read_nik(encoded(card.image.convert("CMYK"), "JPEG", quality=95)) == ("OK", card.truth.nik)


@pytest.mark.parametrize(
    ("orientation", "transpose"), [(6, Image.Transpose.ROTATE_90), (3, Image.Transpose.ROTATE_180)]
)
def test_an_exif_rotated_jpeg_is_turned_upright_and_read(card, orientation, transpose):
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = card.image.transpose(transpose)  # what the camera stored; the tag says how to show it
    assert _read_nik(encoded(stored, "JPEG", quality=95, exif=exif.tobytes())) == ("OK", card.truth.nik)


def test_a_16_bit_png_is_read(card):
    deep = (np.asarray(card.image)[:, :, ::-1].astype(np.uint16) * 257).astype(np.uint16)
    ok, data = cv2.imencode(".png", deep)
    assert ok
    assert _read_nik(data.tobytes()) == ("OK", card.truth.nik)
