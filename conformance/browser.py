"""Debian's Chromium under Playwright, with a synthetic card in front of its fake camera.

Playwright never downloads a browser here (`playwright install` cannot reach its download host): `chromium` always
launches Debian's /usr/bin/chromium. The fake camera plays one file for the browser's whole
life, so a test that shows a different card launches a new browser.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from synthetic_ktp.camera import y4m_bytes
from synthetic_ktp.render import CARD_SIZE

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
QUIET_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
)  # fmt: skip
# A flat scan is set on a table this much wider and taller than the card, as a phone held over it would frame it.
SCENE_MARGIN = 0.12
TABLE = (118, 98, 80)


def chromium(playwright: Playwright, camera: Path | None) -> Browser:
    """Headless Chromium; with `camera`, its only camera plays that Y4M and permission is granted without a prompt.

    Without `camera` the browser has no camera at all, as a desktop without a webcam: getUserMedia fails.
    """
    args = list(QUIET_ARGS)
    if camera is not None:
        args += [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera.resolve()}",
        ]
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)


def card_video(card_image: Image.Image, directory: Path) -> Path:
    """A one-frame Y4M of `card_image` in `directory` for `chromium(..., camera=...)`.

    Pass a photo (`generate_card(seed, "camera").image`) to film it as it is; a flat card scan (the canonical card
    size, e.g. the "clean" preset) is first laid on a table, so the camera sees the card's edges as on a phone.
    """
    frame = _on_table(card_image) if card_image.size == CARD_SIZE else card_image
    video = y4m_bytes(frame)
    # Named by content: a new card never overwrites the file a running browser is still playing.
    path = directory / f"card-{hashlib.sha256(video).hexdigest()[:16]}.y4m"
    directory.mkdir(parents=True, exist_ok=True)
    path.write_bytes(video)
    return path


def _on_table(card: Image.Image) -> Image.Image:
    """The card centred on a plain table, with SCENE_MARGIN of it showing on every side."""
    width, height = card.size
    margin_x, margin_y = round(width * SCENE_MARGIN), round(height * SCENE_MARGIN)
    scene = Image.new("RGB", (width + 2 * margin_x, height + 2 * margin_y), TABLE)
    scene.paste(card.convert("RGB"), (margin_x, margin_y))
    return scene
