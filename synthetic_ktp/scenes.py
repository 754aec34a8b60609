"""Procedural backgrounds and non-KTP subjects for the photo presets, drawn here: nothing is downloaded.

Textures are built at a quarter of the frame size and upscaled: a phone photo focused on a card barely
resolves a table's grain more finely than that, and it keeps a 1280x960 background at a few milliseconds.
"""

from __future__ import annotations

import math
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw

from synthetic_ktp.render import CARD_SIZE, blank_card, font

SCENE_KINDS: tuple[str, ...] = ("table", "cloth", "wood")
NEGATIVE_KINDS: tuple[str, ...] = ("blank_stock", "plain_card", "document", "other_card", "scene")
TEXTURE_SCALE = 4  # textures are drawn at 1/4 of the frame and upscaled

TABLE_COLOURS = ((232, 230, 224), (200, 198, 192), (150, 150, 152), (60, 60, 64), (214, 200, 176))
CLOTH_COLOURS = ((40, 52, 90), (120, 120, 124), (190, 176, 150), (46, 80, 60), (110, 40, 44), (30, 30, 34))
WOOD_COLOURS = (
    ((150, 100, 60), (96, 58, 32)),
    ((196, 150, 100), (150, 104, 64)),
    ((90, 60, 40), (50, 32, 22)),
)
SYLLABLES = (
    "ka", "ta", "ran", "men", "ga", "si", "pa", "lu", "da", "ber", "an", "ke", "wa", "ng", "ri", "so",
)  # fmt: skip
PAGE_SIZE = (760, 1075)  # an A4 sheet at the card's pixel density scaled down, aspect 1:1.414


def scene(kind: str, size: tuple[int, int], gen: np.random.Generator) -> np.ndarray:
    """A `size` (width, height) RGB background of `kind` (one of SCENE_KINDS) for a card to lie on."""
    drawers = {"table": _table, "cloth": _cloth, "wood": _wood}
    if kind not in drawers:
        raise ValueError(f"unknown scene {kind!r}; known: {', '.join(SCENE_KINDS)}")
    return drawers[kind](size, gen)


def _small(size: tuple[int, int]) -> tuple[int, int]:
    return size[0] // TEXTURE_SCALE + 1, size[1] // TEXTURE_SCALE + 1


def _smooth_noise(shape: tuple[int, int], cells: int, gen: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-ish noise varying over about `cells` blobs across the wider side."""
    height, width = shape
    coarse = gen.standard_normal((max(2, cells * height // width), cells)).astype(np.float32)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)


def _upscale(small: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(small.clip(0, 255).astype(np.uint8), size, interpolation=cv2.INTER_LINEAR)


def _table(size: tuple[int, int], gen: np.random.Generator) -> np.ndarray:
    """A laminate or painted desk: one colour, broad shading and a fine speckle."""
    width, height = _small(size)
    colour = np.array(TABLE_COLOURS[gen.integers(len(TABLE_COLOURS))], np.float32)
    shade = 1 + 0.06 * _smooth_noise((height, width), 4, gen)
    speckle = 4 * gen.standard_normal((height, width)).astype(np.float32)
    return _upscale(colour * shade[..., None] + speckle[..., None], size)


def _cloth(size: tuple[int, int], gen: np.random.Generator) -> np.ndarray:
    """A woven fabric: soft folds at low frequency times a fine over-under weave."""
    width, height = _small(size)
    colour = np.array(CLOTH_COLOURS[gen.integers(len(CLOTH_COLOURS))], np.float32)
    folds = 1 + 0.12 * _smooth_noise((height, width), 6, gen)
    base = _upscale(colour * folds[..., None], size)
    period = int(gen.integers(4, 8))
    phase = np.arange(period) * (2 * np.pi / period)
    tile = 0.88 + 0.12 * np.abs(np.sin(phase)[None, :] * np.cos(phase)[:, None] + 0.3)
    tile = np.repeat((tile * 255).astype(np.uint8)[..., None], 3, axis=2)
    weave = np.tile(tile, (size[1] // period + 1, size[0] // period + 1, 1))[: size[1], : size[0]]
    return cv2.multiply(base, weave, dst=base, scale=1 / 255)


def _wood(size: tuple[int, int], gen: np.random.Generator) -> np.ndarray:
    """Wooden planks: irregular grain lines flowing along each plank, each plank its own tint and offset."""
    width, height = _small(size)
    light, dark = (np.array(c, np.float32) for c in WOOD_COLOURS[gen.integers(len(WOOD_COLOURS))])
    angle = float(gen.uniform(0, np.pi))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    across = yy * math.cos(angle) - xx * math.sin(angle)
    along = xx * math.cos(angle) + yy * math.sin(angle)
    plank_width = float(gen.uniform(40, 70))
    plank = np.floor(across / plank_width)
    flow = across + 4 * _smooth_noise((height, width), 4, gen) + 2.5 * np.sin(along / 45 + plank * 1.7)
    grain = _lookup(_grain_profile(gen), flow * 2 + plank * 577)
    tint = 1 + 0.1 * np.sin(plank * 2.3 + float(gen.uniform(0, 6)))
    seam = np.clip(np.abs(across / plank_width - plank - 0.5) * 30 - 14, 0, 1)
    mix = (grain * tint * (1 - 0.6 * seam))[..., None]
    return _upscale(dark + (light - dark) * mix, size)


def _lookup(profile: np.ndarray, position: np.ndarray) -> np.ndarray:
    """`profile` read at fractional, wrapping `position`s, interpolated so grain lines do not stair-step."""
    whole = np.floor(position)
    weight = position - whole
    index = np.mod(whole.astype(np.int64), len(profile))  # in float32, a tiny negative mod n rounds to n
    looped = np.append(profile, profile[0])
    return looped[index] * (1 - weight) + looped[index + 1] * weight


def _grain_profile(gen: np.random.Generator, length: int = 4096) -> np.ndarray:
    """Lightness across the grain: slow swells with thin dark late-wood lines at irregular spacing."""
    fine = np.convolve(gen.standard_normal(length), np.ones(5) / 5, mode="same") * 1.8
    swell = np.convolve(gen.standard_normal(length), np.ones(40) / 40, mode="same") * 3
    lines = np.clip((fine - 0.6) * 1.5, 0, 1)
    return (0.75 + 0.2 * swell - 0.55 * lines).clip(0, 1).astype(np.float32)


def negative_subject(kind: str, rng: random.Random) -> Image.Image | None:
    """The flat object a non-KTP photo shows (None for a bare scene); `kind` is one of NEGATIVE_KINDS."""
    drawers = {
        "blank_stock": lambda _: blank_card().copy(),
        "plain_card": _plain_card,
        "document": _document,
        "other_card": _other_card,
        "scene": lambda _: None,
    }
    if kind not in drawers:
        raise ValueError(f"unknown negative {kind!r}; known: {', '.join(NEGATIVE_KINDS)}")
    return drawers[kind](rng)


def _plain_card(rng: random.Random) -> Image.Image:
    """A blank white or grey plastic card: the right shape with nothing printed."""
    level = rng.randint(170, 245)
    return Image.new("RGB", CARD_SIZE, (level, level, level - rng.randint(0, 10)))


def _words(rng: random.Random, count: int) -> str:
    return " ".join("".join(rng.choices(SYLLABLES, k=rng.randint(1, 4))) for _ in range(count))


def _document(rng: random.Random) -> Image.Image:
    """A printed letter page: a bold title and paragraphs of dark text lines."""
    page = Image.new("RGB", PAGE_SIZE, (246, 246, 242))
    draw = ImageDraw.Draw(page)
    margin = 70
    draw.text((margin, 70), _words(rng, 3).upper(), font=font("bold", 34), fill=(20, 20, 24))
    y = 150
    while y < PAGE_SIZE[1] - 110:
        for _ in range(rng.randint(3, 7)):
            line = _words(rng, rng.randint(6, 9))
            draw.text((margin, y), line[: rng.randint(45, 70)], font=font("regular", 20), fill=(30, 30, 34))
            y += 30
        y += 24
    return page


def _other_card(rng: random.Random) -> Image.Image:
    """An ID-1 card that is not an e-KTP: a bank card or a driving-licence-like card."""
    return _bank_card(rng) if rng.random() < 0.5 else _licence_card(rng)


def _gradient_card(top_left: tuple[int, int, int], bottom_right: tuple[int, int, int]) -> Image.Image:
    width, height = CARD_SIZE
    mix = np.add.outer(np.linspace(0, 0.5, height), np.linspace(0, 0.5, width))[..., None]
    pixels = np.array(top_left) * (1 - mix) + np.array(bottom_right) * mix
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _bank_card(rng: random.Random) -> Image.Image:
    """A dark payment card: chip, embossed-style number in groups of four, holder name."""
    palettes = (((20, 40, 90), (60, 110, 170)), ((20, 20, 24), (90, 90, 96)), ((120, 20, 30), (200, 80, 60)))
    card = _gradient_card(*rng.choice(palettes))
    draw = ImageDraw.Draw(card)
    draw.text((60, 50), "BANK " + _words(rng, 1).upper(), font=font("bold", 44), fill=(240, 240, 240))
    chip = (90, 210, 230, 310)
    draw.rounded_rectangle(chip, radius=16, fill=(212, 180, 100), outline=(150, 120, 60), width=3)
    number = " ".join(f"{rng.randint(0, 9999):04d}" for _ in range(4))
    draw.text((90, 370), number, font=font("ocr", 56), fill=(235, 235, 230))
    expiry = f"VALID THRU {rng.randint(1, 12):02d}/{rng.randint(26, 32)}"
    draw.text((90, 470), expiry, font=font("regular", 24), fill=(220, 220, 220))
    draw.text((90, 530), _words(rng, 2).upper(), font=font("regular", 34), fill=(235, 235, 230))
    return card


def _licence_card(rng: random.Random) -> Image.Image:
    """A licence-style card: warm colours, photo on the left, numbered lines on the right."""
    palettes = (((236, 220, 170), (214, 180, 120)), ((220, 236, 214), (160, 200, 150)))
    card = _gradient_card(*rng.choice(palettes))
    draw = ImageDraw.Draw(card)
    draw.text((40, 24), "SURAT IZIN " + _words(rng, 1).upper(), font=font("bold", 40), fill=(60, 40, 30))
    draw.rectangle((50, 130, 290, 440), fill=(120, 140, 170), outline=(60, 60, 60), width=2)
    draw.ellipse((110, 180, 230, 320), fill=(200, 160, 130))
    for row in range(7):
        text = f"{row + 1}. {_words(rng, rng.randint(1, 3)).upper()}"
        draw.text((330, 140 + row * 46), text, font=font("regular", 28), fill=(40, 30, 30))
    return card
