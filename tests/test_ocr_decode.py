"""decode_image: every upload either becomes an upright BGR uint8 array or fails with one clear line."""

from __future__ import annotations

import struct
import warnings
import zlib
from io import BytesIO

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile

from mock_gateway.ocr.decode import DEFAULT_MAX_PIXELS, ImageDecodeError, decode_image

RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def bgr(*rgb: int) -> list[int]:
    return list(rgb[::-1])


def quadrants(width: int = 64, height: int = 48) -> Image.Image:
    """Four flat colours in 8-px-aligned blocks: asymmetric under every rotation and mirror, JPEG-friendly."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[: height // 2, : width // 2] = RED
    pixels[: height // 2, width // 2 :] = GREEN
    pixels[height // 2 :, : width // 2] = BLUE
    pixels[height // 2 :, width // 2 :] = YELLOW
    return Image.fromarray(pixels)


def as_bgr(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))[:, :, ::-1]


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def one_bit_png(width: int, height: int) -> bytes:
    """A real all-black 1-bit PNG, compressed row by row so even a 20000x20000 bomb costs ~0.1 s and little memory."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte + packed bits
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def with_declared_png_size(png: bytes, width: int, height: int) -> bytes:
    """The same file with its IHDR (and CRC) rewritten to claim another size: a liar, not a bomb."""
    header = struct.pack(">II", width, height) + png[24:29]
    return png[:8] + png_chunk(b"IHDR", header) + png[33:]


def with_declared_jpeg_size(jpeg: bytes, width: int, height: int) -> bytes:
    start = jpeg.index(b"\xff\xc0") + 5  # marker, length, precision, then height and width
    return jpeg[:start] + struct.pack(">HH", height, width) + jpeg[start + 4 :]


def photo() -> Image.Image:
    """A 256x192 picture with detail everywhere, so half of its file is half of the picture."""
    rows, cols = np.mgrid[0:192, 0:256]
    return Image.fromarray(np.dstack([rows, cols, (rows * cols) % 256]).astype(np.uint8))


def photo_jpeg() -> bytes:
    return encode(photo(), "JPEG", quality=85)


def decode_error(data: bytes, **options: int) -> str:
    with pytest.raises(ImageDecodeError) as caught:
        decode_image(data, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- bad input -------------------------------------------------------------------------------------------------


def test_empty_bytes_are_an_empty_upload():
    assert decode_error(b"") == "empty upload: the body has no bytes"


def test_text_is_not_an_image():
    assert decode_error(b'{"error": "token expired"}') == (
        'not an image: the bytes are plain text (\'{"error": "token expired\')'
    )


def test_a_pdf_is_named_as_such():
    assert decode_error(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj") == "not an image: the bytes are a PDF document"


def test_random_binary_is_an_unrecognised_format():
    assert decode_error(bytes(range(40))) == "not an image: unrecognised format (first bytes 00 01 02 03 04 05 06 07)"


def test_heic_is_refused_by_name():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    assert decode_error(heic) == "unsupported image format: HEIC (send JPEG or PNG)"


def test_error_is_a_value_error():
    assert issubclass(ImageDecodeError, ValueError)


def test_truncated_jpeg_is_refused_not_padded_grey():
    jpeg = photo_jpeg()
    assert decode_image(jpeg).shape == (192, 256, 3)
    assert decode_error(jpeg[: len(jpeg) // 2]).startswith("truncated JPEG: the file ends before the image data does")


def test_jpeg_cut_inside_its_header_is_truncated():
    assert decode_error(photo_jpeg()[:100]).startswith("truncated JPEG:")


def test_truncated_png_is_refused():
    png = encode(photo(), "PNG")
    assert decode_error(png[: len(png) // 2]).startswith("truncated PNG:")


def test_corrupt_png_header_names_the_format():
    png = encode(Image.new("RGB", (4, 4)), "PNG")
    corrupt = png[:29] + b"\x00\x00\x00\x00" + png[33:]  # IHDR CRC zeroed
    assert decode_error(corrupt) == "unreadable PNG: the header is corrupt"


# --- size limits ---------------------------------------------------------------------------------------------------


@pytest.fixture
def pixel_loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every size Pillow decodes pixels for during the test."""
    loads: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile):
        loads.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return loads


def test_the_pixel_load_probe_sees_real_decodes(pixel_loads: list[tuple[int, int]]):
    # Modes that Pillow decodes (plain RGB JPEG/PNG take OpenCV's faster path, after the same header checks).
    decode_image(encode(Image.new("P", (3, 2)), "PNG"))
    decode_image(encode(Image.new("L", (5, 4)), "JPEG"))
    assert set(pixel_loads) == {(3, 2), (5, 4)}  # load() runs again (as a no-op) on each later access


def test_decompression_bomb_is_refused_from_its_header(pixel_loads: list[tuple[int, int]]):
    bomb = one_bit_png(20_000, 20_000)  # 400 million px (1.2 GB as BGR) in ~49 KB
    assert len(bomb) < 60_000
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        message = decode_error(bomb)
    assert message == "image too large: the header declares more than the 40,000,000 px limit"
    assert warned == []
    assert pixel_loads == []


def test_image_in_pillows_warning_band_is_refused_without_a_warning(pixel_loads: list[tuple[int, int]]):
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        message = decode_error(one_bit_png(10_000, 10_000))  # 100 million px: Pillow would only warn
    assert message == "image too large: the header declares more than the 40,000,000 px limit"
    assert warned == []
    assert pixel_loads == []


def test_image_over_our_limit_but_under_pillows_is_refused_with_its_size(pixel_loads: list[tuple[int, int]]):
    assert decode_error(one_bit_png(8_000, 6_000)) == "image too large: 8000x6000 px exceeds the 40,000,000 px limit"
    assert pixel_loads == []


def test_small_png_declaring_a_huge_size_is_refused_from_its_header(pixel_loads: list[tuple[int, int]]):
    liar = with_declared_png_size(encode(Image.new("RGB", (1, 1)), "PNG"), 7_000, 7_000)
    assert len(liar) < 100
    assert decode_error(liar) == "image too large: 7000x7000 px exceeds the 40,000,000 px limit"
    assert pixel_loads == []


def test_small_jpeg_declaring_a_huge_size_is_refused_from_its_header(pixel_loads: list[tuple[int, int]]):
    liar = with_declared_jpeg_size(encode(Image.new("RGB", (8, 8)), "JPEG"), 65_000, 65_000)
    assert decode_error(liar) == "image too large: the header declares more than the 40,000,000 px limit"
    liar = with_declared_jpeg_size(encode(Image.new("RGB", (8, 8)), "JPEG"), 65_000, 1_000)
    assert decode_error(liar) == "image too large: 65000x1000 px exceeds the 40,000,000 px limit"
    assert pixel_loads == []


def test_small_file_declaring_an_allowed_size_fails_as_truncated():
    liar = with_declared_png_size(encode(Image.new("RGB", (1, 1)), "PNG"), 6_000, 6_000)
    assert decode_error(liar).startswith("truncated PNG:")


def test_max_pixels_is_the_callers_limit():
    png = encode(Image.new("RGB", (20, 10)), "PNG")
    assert decode_image(png, max_pixels=200).shape == (10, 20, 3)
    assert decode_error(png, max_pixels=199) == "image too large: 20x10 px exceeds the 199 px limit"


def test_default_limit_is_forty_million_pixels_inclusive():
    tiny = encode(Image.new("RGB", (1, 1)), "PNG")
    assert DEFAULT_MAX_PIXELS == 40_000_000
    assert decode_error(with_declared_png_size(tiny, 8_000, 5_000)).startswith("truncated PNG:")  # past the gate
    assert decode_error(with_declared_png_size(tiny, 8_000, 5_001)) == (
        "image too large: 8000x5001 px exceeds the 40,000,000 px limit"
    )


# --- good input ----------------------------------------------------------------------------------------------------


def test_plain_rgb_png_is_exact_bgr_and_c_contiguous():
    image = quadrants()
    decoded = decode_image(encode(image, "PNG"))
    assert decoded.dtype == np.uint8
    assert decoded.flags.c_contiguous
    np.testing.assert_array_equal(decoded, as_bgr(image))
    assert decoded[0, 0].tolist() == bgr(*RED)


def test_jpeg_matches_opencv():
    jpeg = photo_jpeg()
    np.testing.assert_array_equal(decode_image(jpeg), cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))


def test_same_bytes_give_the_same_array():
    jpeg = photo_jpeg()
    np.testing.assert_array_equal(decode_image(jpeg), decode_image(jpeg))


def test_one_pixel_image_decodes():
    decoded = decode_image(encode(Image.new("RGB", (1, 1), (10, 20, 30)), "PNG"))
    assert decoded.shape == (1, 1, 3)
    assert decoded[0, 0].tolist() == [30, 20, 10]


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (8, 6), colour) for colour in (RED, BLUE, GREEN)]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(BytesIO(gif)).n_frames == 3
    decoded = decode_image(gif)
    assert decoded.shape == (6, 8, 3)
    assert np.all(decoded == bgr(*RED))


def test_cmyk_jpeg_keeps_its_colours():
    cmyk = Image.new("CMYK", (32, 16), (0, 255, 255, 0))  # red
    cmyk.paste((255, 0, 0, 0), (16, 0, 32, 16))  # cyan
    jpeg = encode(cmyk, "JPEG", quality=95)
    assert Image.open(BytesIO(jpeg)).mode == "CMYK"
    decoded = decode_image(jpeg).astype(int)
    assert np.abs(decoded[8, 4] - bgr(*RED)).max() <= 3
    assert np.abs(decoded[8, 28] - bgr(0, 255, 255)).max() <= 3


@pytest.mark.parametrize(
    ("orientation", "stored_as"),
    [(3, Image.Transpose.ROTATE_180), (6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)],
)
def test_exif_orientation_is_honoured(orientation: int, stored_as: Image.Transpose):
    upright = quadrants()  # 64 wide, 48 high
    exif = Image.Exif()
    exif[0x0112] = orientation
    jpeg = encode(upright.transpose(stored_as), "JPEG", quality=95, subsampling=0, exif=exif.tobytes())
    assert Image.open(BytesIO(jpeg)).getexif()[0x0112] == orientation
    decoded = decode_image(jpeg)
    assert decoded.shape == (48, 64, 3)
    assert np.abs(decoded.astype(int) - as_bgr(upright)).max() <= 4  # 4:4:4 JPEG at q95 keeps flat blocks exact-ish


def test_sixteen_bit_grey_png_is_scaled_not_clipped():
    samples = np.array([[0, 257, 32768, 65535]], np.uint16)
    png = encode(Image.fromarray(samples), "PNG")
    assert Image.open(BytesIO(png)).mode == "I;16"
    decoded = decode_image(png)
    assert decoded[0, :, 0].tolist() == [0, 1, 128, 255]
    assert np.array_equal(decoded[..., 0], decoded[..., 2])


def test_sixteen_bit_rgb_png_is_scaled():
    pixel = np.array([[[65535, 32768, 257]]], np.uint16)  # B, G, R as OpenCV writes them
    ok, png = cv2.imencode(".png", pixel)
    assert ok
    assert png[24] == 16  # IHDR bit depth
    assert decode_image(png.tobytes())[0, 0].tolist() == [255, 128, 1]


def test_sixteen_bit_pgm_is_scaled():
    pgm = b"P5\n4 1\n65535\n" + np.array([0, 257, 32768, 65535], ">u2").tobytes()
    assert Image.open(BytesIO(pgm)).mode == "I"
    assert decode_image(pgm)[0, :, 1].tolist() == [0, 1, 128, 255]


def test_greyscale_png_repeats_the_grey_in_every_channel():
    grey = Image.fromarray(np.array([[0, 100, 255]], np.uint8))
    assert decode_image(encode(grey, "PNG"))[0].tolist() == [[0, 0, 0], [100, 100, 100], [255, 255, 255]]


def test_one_bit_image_is_black_and_white():
    image = Image.new("1", (2, 1))
    image.putpixel((1, 0), 1)
    assert decode_image(encode(image, "PNG"))[0].tolist() == [[0, 0, 0], [255, 255, 255]]


@pytest.mark.parametrize(
    ("mode", "transparent", "half", "opaque"),
    [("RGBA", (9, 9, 9, 0), (0, 0, 255, 128), (255, 0, 0, 255)), ("LA", (9, 0), (0, 128), (200, 255))],
)
def test_transparency_is_composited_on_white(mode: str, transparent: tuple, half: tuple, opaque: tuple):
    image = Image.new(mode, (3, 1))
    for x, value in enumerate((transparent, half, opaque)):
        image.putpixel((x, 0), value)
    decoded = decode_image(encode(image, "PNG"))[0].tolist()
    assert decoded[0] == [255, 255, 255]
    assert decoded[1] == ([255, 127, 127] if mode == "RGBA" else [127, 127, 127])
    assert decoded[2] == ([0, 0, 255] if mode == "RGBA" else [200, 200, 200])


def test_palette_image_uses_its_palette_and_transparency():
    image = Image.new("P", (3, 1))
    image.putpalette([*RED, *GREEN, *BLUE])
    image.putdata([0, 1, 2])
    assert decode_image(encode(image, "PNG"))[0].tolist() == [bgr(*RED), bgr(*GREEN), bgr(*BLUE)]
    assert decode_image(encode(image, "PNG", transparency=1))[0].tolist() == [bgr(*RED), [255] * 3, bgr(*BLUE)]


@pytest.mark.parametrize(("image_format", "options"), [("WEBP", {"lossless": True}), ("BMP", {}), ("TIFF", {})])
def test_other_lossless_formats_decode_exactly(image_format: str, options: dict):
    image = quadrants()
    np.testing.assert_array_equal(decode_image(encode(image, image_format, **options)), as_bgr(image))


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_the_opencv_fast_path_gives_pillows_pixels(image_format: str):
    gradient = np.linspace(0, 255, 64 * 48 * 3).reshape(48, 64, 3).astype(np.uint8)
    data = encode(Image.fromarray(gradient, "RGB"), image_format)
    with Image.open(BytesIO(data)) as reference:
        expected = cv2.cvtColor(np.asarray(reference.convert("RGB")), cv2.COLOR_RGB2BGR)
    assert np.array_equal(decode_image(data), expected)
