import numpy as np
from PIL import Image

from synthetic_ktp.camera import write_y4m, y4m_bytes


def _decode(data: bytes) -> tuple[bytes, Image.Image]:
    """A test-side reader: limited-range 4:2:0 Y4M back to RGB, the way Chromium reads it."""
    header, _, rest = data.partition(b"\n")
    fields = {token[:1]: token[1:] for token in header.split()[1:]}
    width, height = int(fields[b"W"]), int(fields[b"H"])
    assert rest.startswith(b"FRAME\n")
    planes = np.frombuffer(rest[6:], dtype=np.uint8)
    assert planes.size == width * height * 3 // 2
    luma = planes[: width * height].reshape(height, width).astype(float)
    chroma_size = width * height // 4
    cb, cr = (
        planes[width * height + i * chroma_size : width * height + (i + 1) * chroma_size]
        .reshape(height // 2, width // 2)
        .repeat(2, axis=0)
        .repeat(2, axis=1)
        .astype(float)
        for i in (0, 1)
    )
    y, cb, cr = (luma - 16) / 219, (cb - 128) / 224, (cr - 128) / 224
    rgb = np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], axis=-1)
    return header, Image.fromarray((rgb * 255).round().clip(0, 255).astype(np.uint8))


def _gradient(width, height):
    xx, yy = np.meshgrid(np.linspace(0, 255, width), np.linspace(0, 255, height))
    return Image.fromarray(np.stack([xx, yy, 255 - xx], axis=-1).astype(np.uint8))


def test_header_declares_420_limited_range_one_frame():
    header, _ = _decode(y4m_bytes(_gradient(64, 48)))
    assert header == b"YUV4MPEG2 W64 H48 F30:1 Ip A1:1 C420jpeg XCOLORRANGE=LIMITED"
    assert len(y4m_bytes(_gradient(64, 48))) == len(header) + 1 + 6 + 64 * 48 * 3 // 2


def test_odd_sizes_are_padded_to_even():
    header, decoded = _decode(y4m_bytes(_gradient(1013, 639)))
    assert header.split()[1:3] == [b"W1014", b"H640"]
    assert decoded.size == (1014, 640)


def test_white_and_black_use_video_range_and_colours_survive(tmp_path):
    image = Image.new("RGB", (32, 32), (255, 255, 255))
    image.paste((0, 0, 0), (0, 0, 16, 32))
    data = y4m_bytes(image)
    luma = np.frombuffer(data, dtype=np.uint8)[-32 * 32 * 3 // 2 : -32 * 32 // 2].reshape(32, 32)
    assert luma[0, 0] == 16 and luma[0, 31] == 235
    source = _gradient(200, 120)
    write_y4m(source, tmp_path / "card.y4m")
    _, decoded = _decode((tmp_path / "card.y4m").read_bytes())
    difference = np.abs(np.asarray(decoded, dtype=float) - np.asarray(source, dtype=float)).mean(axis=(0, 1))
    assert (difference < 2.5).all(), difference
