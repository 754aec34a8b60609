"""Uploaded bytes -> upright BGR pixels, refusing anything that is not a sane image with a reason a partner can read."""

from __future__ import annotations

import warnings

import cv2
import numpy as np
from PIL import Image, ImageOps

from mock_gateway.images import DEFAULT_MAX_PIXELS, ImageDecodeError, kind_of, open_image, unreadable

EXIF_ORIENTATION = 0x0112
__all__ = ["DEFAULT_MAX_PIXELS", "ImageDecodeError", "decode_image"]

# Greyscale modes whose samples span 0..65535: 16-bit PNG/TIFF, and Pillow's "I" for PGM files with maxval > 255.
_SIXTEEN_BIT_GREY = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


def decode_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode any format Pillow reads to an upright HxWx3 BGR uint8 array, checking the declared size before any pixel.

    Multi-frame files give their first frame; EXIF orientation is applied; transparency is composited on white
    (paper); 16-bit samples keep their high byte. Pillow's own bomb bound (Image.MAX_IMAGE_PIXELS, about 89 million
    px) caps max_pixels.
    """
    image = open_image(data, max_pixels)
    try:  # the decoders run on untrusted bytes: whatever they raise means a broken file, never a server error
        fast = _plain_bgr(image, data)
        if fast is not None:
            return fast
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return _to_bgr(image)
    except Exception as error:
        raise ImageDecodeError(unreadable(image.format or kind_of(data), error)) from error


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
