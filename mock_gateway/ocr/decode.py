"""Uploaded bytes -> upright BGR pixels, refusing anything that is not a sane image with a reason a partner can read."""

from __future__ import annotations

import warnings
from io import BytesIO

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

EXIF_ORIENTATION = 0x0112
DEFAULT_MAX_PIXELS = 40_000_000  # any phone photo (up to ~6000x6000) fits; a decompression bomb does not

# Greyscale modes whose samples span 0..65535: 16-bit PNG/TIFF, and Pillow's "I" for PGM files with maxval > 255.
_SIXTEEN_BIT_GREY = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})

# Leading bytes of the formats a message may have to name when Pillow could not even read the header.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF8", "GIF"),
)
_HEIF_BRANDS = (b"ftypheic", b"ftypheix", b"ftyphevc", b"ftypheim", b"ftypheis", b"ftypmif1")


class ImageDecodeError(ValueError):
    """The upload cannot be read as an image; the message is one line meant for the partner."""


def decode_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode any format Pillow reads to an upright HxWx3 BGR uint8 array, checking the declared size before any pixel.

    Multi-frame files give their first frame; EXIF orientation is applied; transparency is composited on white
    (paper); 16-bit samples keep their high byte. Pillow's own bomb bound (Image.MAX_IMAGE_PIXELS, about 89 million
    px) caps max_pixels.
    """
    if not data:
        raise ImageDecodeError("empty upload: the body has no bytes")
    image = _open(data, max_pixels)
    width, height = image.size
    if width * height > max_pixels:
        raise ImageDecodeError(f"image too large: {width}x{height} px exceeds the {max_pixels:,} px limit")
    try:  # the decoders run on untrusted bytes: whatever they raise means a broken file, never a server error
        fast = _plain_bgr(image, data)
        if fast is not None:
            return fast
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return _to_bgr(image)
    except Exception as error:
        raise ImageDecodeError(_unreadable(image.format or _kind(data), error)) from error


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header only; Pillow's bomb warning becomes an error so nothing about it reaches the caller's logs."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(BytesIO(data))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
        raise ImageDecodeError(f"image too large: the header declares more than the {limit:,} px limit") from None
    except UnidentifiedImageError:
        raise ImageDecodeError(_not_an_image(data)) from None
    except Exception as error:
        raise ImageDecodeError(_unreadable(_kind(data), error)) from error


def _plain_bgr(image: Image.Image, data: bytes) -> np.ndarray | None:
    """The common case, an upright 8-bit RGB JPEG or PNG, straight to BGR with OpenCV (same pixels, half the time).

    None for anything else, and for a file OpenCV cannot decode whole: Pillow's path then decodes it or says why.
    """
    if image.format not in ("JPEG", "PNG") or image.mode != "RGB" or "transparency" in image.info:
        return None
    if image.getexif().get(EXIF_ORIENTATION, 1) != 1:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)


def _to_bgr(image: Image.Image) -> np.ndarray:
    """Bring every Pillow mode to 8-bit RGB, then to OpenCV's channel order in a fresh C-contiguous array."""
    if image.mode in _SIXTEEN_BIT_GREY:
        grey = (np.clip(np.asarray(image), 0, 65535) >> 8).astype(np.uint8)
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    if image.has_transparency_data:
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
    if image.mode != "RGB":
        image = image.convert("RGB")
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def _kind(data: bytes) -> str:
    """Name the format from its leading bytes, for messages about files Pillow could not even identify."""
    if data[4:12] in _HEIF_BRANDS:
        return "HEIC"
    return next((name for signature, name in _SIGNATURES if data.startswith(signature)), "image")


def _not_an_image(data: bytes) -> str:
    """Say what the bytes look like instead, so the partner sees which upload step went wrong."""
    kind = _kind(data)
    if kind == "HEIC":
        return "unsupported image format: HEIC (send JPEG or PNG)"
    if kind != "image":
        return f"unreadable {kind}: the header is corrupt"
    if data.startswith(b"%PDF-"):
        return "not an image: the bytes are a PDF document"
    if _is_text(data):
        return f"not an image: the bytes are plain text ({data[:24].decode('utf-8', errors='replace')!r})"
    return f"not an image: unrecognised format (first bytes {data[:8].hex(' ')})"


def _is_text(data: bytes) -> bool:
    """Text (JSON, HTML, a form field, an error page) has no NUL and almost only printable characters."""
    head = data[:1024]
    if b"\x00" in head:
        return False
    chars = head.decode("utf-8", errors="replace")
    printable = sum(char.isprintable() or char in "\t\r\n" for char in chars if char != "\ufffd")
    return printable >= 0.95 * len(chars)


def _unreadable(kind: str, error: Exception) -> str:
    """One line naming the format and what its decoder found wrong."""
    detail = " ".join(str(error).split()) or type(error).__name__
    if "truncated" in detail.lower() or isinstance(error, EOFError):
        return f"truncated {kind}: the file ends before the image data does ({detail})"
    return f"unreadable {kind}: {detail}"
