"""What counts as an image upload: Pillow reads the header, refuses bombs and names what the bytes are instead.

Pillow only, so the HTTP workers can check uploads without loading OpenCV and numpy; the OCR decoder builds on it.
"""

from __future__ import annotations

import warnings
from io import BytesIO

from PIL import Image, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 40_000_000  # any phone photo (up to ~6000x6000) fits; a decompression bomb does not

# Leading bytes of the formats a message may have to name when Pillow could not even read the header.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF8", "GIF"),
)
_HEIF_BRANDS = (b"ftypheic", b"ftypheix", b"ftyphevc", b"ftypheim", b"ftypheis", b"ftypmif1")


class ImageDecodeError(ValueError):
    """The upload cannot be read as an image; the message is one line meant for the partner."""


def open_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """The image with only its header read, once its declared size is known to be sane."""
    if not data:
        raise ImageDecodeError("empty upload: the body has no bytes")
    image = _open(data, max_pixels)
    width, height = image.size
    if width * height > max_pixels:
        raise ImageDecodeError(f"image too large: {width}x{height} px exceeds the {max_pixels:,} px limit")
    return image


def check_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """Decode every pixel once, so a truncated or corrupt file is refused at confirm, not found later."""
    image = open_image(data, max_pixels)
    try:  # the decoders run on untrusted bytes: whatever they raise means a broken file, never a server error
        if image.format == "JPEG":  # every entropy-coded byte is still read, into 1/64 of the pixels
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
        image.load()
    except Exception as error:
        raise ImageDecodeError(unreadable(image.format or kind_of(data), error)) from error


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
        raise ImageDecodeError(unreadable(kind_of(data), error)) from error


def kind_of(data: bytes) -> str:
    """Name the format from its leading bytes, for messages about files Pillow could not even identify."""
    if data[4:12] in _HEIF_BRANDS:
        return "HEIC"
    return next((name for signature, name in _SIGNATURES if data.startswith(signature)), "image")


def _not_an_image(data: bytes) -> str:
    """Say what the bytes look like instead, so the partner sees which upload step went wrong."""
    kind = kind_of(data)
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


def unreadable(kind: str, error: Exception) -> str:
    """One line naming the format and what its decoder found wrong."""
    detail = " ".join(str(error).split()) or type(error).__name__
    if "truncated" in detail.lower() or isinstance(error, EOFError):
        return f"truncated {kind}: the file ends before the image data does ({detail})"
    return f"unreadable {kind}: {detail}"
