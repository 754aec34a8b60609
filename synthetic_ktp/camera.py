"""One-frame Y4M videos that Chromium's fake camera (`--use-file-for-fake-video-capture`) accepts.

Chromium wants 4:2:0 chroma, even dimensions and limited ("video") range; one frame is enough because
it loops the file. Written with numpy alone, no ffmpeg.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

# BT.601 RGB -> limited-range YCbCr (Y 16..235, Cb/Cr 16..240), with RGB scaled to 0..1.
_BT601_LIMITED = np.array(
    [
        [65.481, 128.553, 24.966],
        [-37.797, -74.203, 112.0],
        [112.0, -93.786, -18.214],
    ],
    dtype=np.float64,
)
_OFFSETS = np.array([16.0, 128.0, 128.0])


def _even_rgb(image: Image.Image) -> np.ndarray:
    """RGB pixels padded by edge replication to even width and height."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
    height, width = rgb.shape[:2]
    return np.pad(rgb, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")


def y4m_bytes(image: Image.Image, fps: int = 30) -> bytes:
    """The whole .y4m file for one still frame of `image`."""
    rgb = _even_rgb(image)
    height, width = rgb.shape[:2]
    ycbcr = rgb @ _BT601_LIMITED.T + _OFFSETS
    luma = np.rint(ycbcr[..., 0]).clip(16, 235).astype(np.uint8)
    # 2x2 averaging gives the 4:2:0 chroma planes, centred between luma samples (C420jpeg).
    chroma = ycbcr[..., 1:].reshape(height // 2, 2, width // 2, 2, 2).mean(axis=(1, 3))
    chroma = np.rint(chroma).clip(16, 240).astype(np.uint8)
    header = f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\n".encode()
    return header + b"FRAME\n" + luma.tobytes() + chroma[..., 0].tobytes() + chroma[..., 1].tobytes()


def write_y4m(image: Image.Image, path: Path) -> None:
    """Write `image` as a one-frame Y4M video at `path`."""
    path.write_bytes(y4m_bytes(image))
