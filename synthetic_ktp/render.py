"""The front of an e-KTP drawn with the bundled fonts, with the box of every printed value.

Geometry is at 1012x638 px (about 300 dpi for an ID-1 card). Every value has a slot it must stay
inside; long values shrink, and a long Alamat wraps onto a second line that pushes the rows below down.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from synthetic_ktp.model import PRINTED_GENDER, KtpData

CARD_SIZE = (1012, 638)
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in card pixels, x1/y1 exclusive

INK = (24, 26, 36)
LABEL_X, INDENT_X, COLON_X, VALUE_X = 34, 66, 250, 266
PHOTO_BOX: Box = (748, 150, 964, 438)
VALUE_RIGHT = PHOTO_BOX[0] - 14
BLOOD_LABEL_X, BLOOD_COLON_X, BLOOD_VALUE_X = 484, 592, 604
GENDER_VALUE_RIGHT = BLOOD_LABEL_X - 10
HEADER_TOPS = (20, 58)
HEADER_SIZE = 30
NIK_TOP, NIK_LABEL_SIZE, NIK_SIZE = 110, 32, 36
ROWS_TOP, ROW_PITCH, TEXT_SIZE, MIN_TEXT_SIZE = 172, 30, 21, 14
UNDER_PHOTO_SIZE = 19
UNDER_PHOTO_SLOT = (PHOTO_BOX[0] - 24, CARD_SIZE[0] - 8)  # the longest KAB. name fits at the minimum size
ISSUE_PLACE_TOP, ISSUE_DATE_TOP = PHOTO_BOX[3] + 10, PHOTO_BOX[3] + 36
ROW_LABELS: tuple[tuple[str, int], ...] = (
    ("Nama", LABEL_X), ("Tempat/Tgl Lahir", LABEL_X), ("Jenis Kelamin", LABEL_X), ("Alamat", LABEL_X),
    ("RT/RW", INDENT_X), ("Kel/Desa", INDENT_X), ("Kecamatan", INDENT_X), ("Agama", LABEL_X),
    ("Status Perkawinan", LABEL_X), ("Pekerjaan", LABEL_X), ("Kewarganegaraan", LABEL_X), ("Berlaku Hingga", LABEL_X),
)  # fmt: skip
PHOTO_CENTER_X = (PHOTO_BOX[0] + PHOTO_BOX[2]) // 2

FONT_FILES = {
    "regular": "LiberationSans-Regular.ttf",
    "bold": "LiberationSans-Bold.ttf",
    "ocr": "OCRA.ttf",
}


@cache
def font(face: str, size: int) -> ImageFont.FreeTypeFont:
    """A bundled font at a pixel size (also used by the OCR backend to render its glyph templates)."""
    data = resources.files("synthetic_ktp").joinpath("fonts", FONT_FILES[face]).read_bytes()
    return ImageFont.truetype(io.BytesIO(data), size)


@dataclass(frozen=True)
class RenderedCard:
    """The card image plus where each ktpData value (and each label) was printed."""

    image: Image.Image
    boxes: dict[str, list[Box]]  # ktpData key (or "issuePlace") -> one box per printed line
    slots: dict[str, list[Box]]  # the area each value was allowed to occupy
    label_boxes: dict[str, Box]  # printed label text ("NIK", "Nama", …) -> its box


class _Writer:
    """Draws text segments and remembers the box of each keyed segment."""

    def __init__(self, image: Image.Image) -> None:
        self.draw = ImageDraw.Draw(image)
        self.boxes: dict[str, list[Box]] = {}
        self.slots: dict[str, list[Box]] = {}
        self.label_boxes: dict[str, Box] = {}

    def label(self, text: str, x: int, y: int, face: str = "regular", size: int = TEXT_SIZE) -> None:
        self.draw.text((x, y), text, font=font(face, size), fill=INK)
        self.label_boxes[text] = _box(self.draw.textbbox((x, y), text, font=font(face, size)))

    def colon(self, x: int, y: int, face: str = "regular", size: int = TEXT_SIZE) -> None:
        self.draw.text((x, y), ":", font=font(face, size), fill=INK)

    def segments(
        self, parts: list[tuple[str | None, str]], x: int, y: int, right: int, face: str = "regular",
        size: int = TEXT_SIZE, centre: bool = False,
    ) -> None:  # fmt: skip
        """Draw `parts` on one line starting at x (or centred between x and right), shrinking to fit."""
        text = "".join(text for _, text in parts)
        size = fitting_size(text, face, size, right - x)
        typeface = font(face, size)
        cursor = (x + right - ink_width(text, typeface)) // 2 if centre else x
        top = y + (TEXT_SIZE - size) // 2 if size < TEXT_SIZE else y
        for key, segment in parts:
            if key is not None:
                self.boxes.setdefault(key, []).append(_box(self.draw.textbbox((cursor, top), segment, font=typeface)))
                self.slots.setdefault(key, []).append((x, y - 4, right, y + max(size, TEXT_SIZE) + 8))
            self.draw.text((cursor, top), segment, font=typeface, fill=INK)
            cursor += self.draw.textlength(segment, font=typeface)


def _box(bbox: tuple[float, float, float, float]) -> Box:
    x0, y0, x1, y1 = bbox
    return (math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1))


def fitting_size(text: str, face: str, size: int, width: int) -> int:
    """The largest size up to `size` at which `text` fits in `width` pixels."""
    while size > MIN_TEXT_SIZE and ink_width(text, font(face, size)) > width:
        size -= 1
    return size


def ink_width(text: str, typeface: ImageFont.FreeTypeFont) -> int:
    """How far the ink reaches to the right of the pen position (can exceed the advance width)."""
    return math.ceil(typeface.getbbox(text)[2]) + 1


def row_tops(address_line_count: int) -> dict[str, int]:
    """The top of each labelled row; a wrapped Alamat takes one more row and pushes the rest down."""
    address_row = next(index for index, (label, _) in enumerate(ROW_LABELS) if label == "Alamat")
    return {
        label: ROWS_TOP + (index + (address_line_count - 1 if index > address_row else 0)) * ROW_PITCH
        for index, (label, _) in enumerate(ROW_LABELS)
    }


def address_lines(address: str) -> list[str]:
    """Alamat takes one line, or two when it is too long, broken at a space."""
    width = VALUE_RIGHT - VALUE_X
    typeface = font("regular", TEXT_SIZE)
    if ink_width(address, typeface) <= width:
        return [address]
    words = address.split(" ")
    for split in range(len(words) - 1, 0, -1):
        first = " ".join(words[:split])
        if ink_width(first, typeface) <= width:
            return [first, " ".join(words[split:])]
    return [address]


@cache
def blank_card() -> Image.Image:
    """The printed card stock: a light-blue gradient with guilloche rosettes, identical on every card."""
    width, height = CARD_SIZE
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 0.5 * (xx / width) + 0.5 * (yy / height)
    base = np.stack([196 - 22 * shade, 222 - 14 * shade, 240 - 6 * shade], axis=-1)
    image = Image.fromarray(base.clip(0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for cx, cy, radius, petals, colour in (
        (250, 330, 230, 11, (168, 200, 228)),
        (690, 300, 260, 13, (172, 204, 230)),
        (900, 520, 150, 9, (166, 198, 226)),
    ):
        for ring in range(6):
            points = []
            for step in range(1440):
                t = 2 * math.pi * step / 1440
                r = radius * (0.62 + 0.06 * ring + 0.12 * math.sin(petals * t + ring * 0.7))
                points.append((cx + r * math.cos(t), cy + r * math.sin(t)))
            draw.line([*points, points[0]], fill=colour, width=1)
    for wave in range(10):
        y0 = 20 + wave * 62
        draw.line(
            [(x, y0 + 9 * math.sin(x / 37 + wave)) for x in range(0, width + 1, 4)], fill=(178, 208, 232), width=1
        )
    return image


def _portrait(rng: random.Random, birth_year: int, gender: str) -> Image.Image:
    """A procedural pass photo; red background for an odd birth year, blue for an even one."""
    width, height = PHOTO_BOX[2] - PHOTO_BOX[0], PHOTO_BOX[3] - PHOTO_BOX[1]
    background = (200, 36, 44) if birth_year % 2 else (36, 92, 196)
    photo = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(photo)
    skin = rng.choice(((224, 184, 150), (198, 150, 112), (170, 120, 86), (140, 96, 66)))
    hair = rng.choice(((20, 18, 18), (46, 32, 24), (70, 60, 52)))
    cloth = rng.choice(((30, 30, 40), (240, 240, 240), (60, 70, 110), (90, 40, 40)))
    cx = width // 2 + rng.randint(-6, 6)
    face_w, face_h = rng.randint(76, 92), rng.randint(100, 116)
    face_top = rng.randint(54, 70)
    draw.rectangle((cx - 20, face_top + face_h - 20, cx + 20, height - 50), fill=skin)
    draw.ellipse((cx - 100, height - 70, cx + 100, height + 120), fill=cloth)
    if gender == "female" and rng.random() < 0.6:  # headscarf
        draw.ellipse((cx - face_w // 2 - 22, face_top - 20, cx + face_w // 2 + 22, height - 30), fill=cloth)
    else:
        draw.ellipse((cx - face_w // 2 - 8, face_top - 16, cx + face_w // 2 + 8, face_top + face_h // 2), fill=hair)
    draw.ellipse((cx - face_w // 2, face_top, cx + face_w // 2, face_top + face_h), fill=skin)
    eye_y = face_top + face_h * 2 // 5
    for side in (-1, 1):
        ex = cx + side * face_w // 5
        draw.ellipse((ex - 7, eye_y - 4, ex + 7, eye_y + 4), fill=(250, 250, 250))
        draw.ellipse((ex - 3, eye_y - 3, ex + 3, eye_y + 3), fill=(30, 24, 20))
        draw.line((ex - 9, eye_y - 10, ex + 9, eye_y - 11), fill=hair, width=3)
    nose_y = eye_y + face_h // 5
    draw.line((cx, eye_y + 6, cx - 3, nose_y, cx + 3, nose_y), fill=tuple(c - 40 for c in skin), width=2)
    mouth_y = nose_y + face_h // 7
    draw.arc((cx - 16, mouth_y - 8, cx + 16, mouth_y + 6), 20, 160, fill=(140, 60, 60), width=3)
    return photo


def _signature(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """A scribbled signature under the issue date."""
    x, y = PHOTO_CENTER_X - rng.randint(50, 70), rng.randint(540, 560)
    points = [(x, y)]
    for _ in range(rng.randint(10, 16)):
        x += rng.randint(4, 14)
        y = min(max(y + rng.randint(-18, 18), 520), 600)
        points.append((x, y))
    draw.line(points, fill=(20, 24, 70), width=2, joint="curve")
    draw.line(
        [(points[0][0] - 6, points[-1][1] + 6), (points[-1][0] + 10, points[0][1] + 2)], fill=(20, 24, 70), width=2
    )


def render_card(ktp: KtpData, rng: random.Random) -> RenderedCard:
    """Draw the card front for `ktp`; `rng` only varies the portrait and the signature."""
    image = blank_card().copy()
    writer = _Writer(image)
    card_right = CARD_SIZE[0] - 20
    writer.segments([(None, "PROVINSI "), ("province", ktp.province)], 20, HEADER_TOPS[0], card_right, "bold",
                    HEADER_SIZE, centre=True)  # fmt: skip
    writer.segments([("city", ktp.city)], 20, HEADER_TOPS[1], card_right, "bold", HEADER_SIZE, centre=True)

    writer.label("NIK", LABEL_X, NIK_TOP + 4, "bold", NIK_LABEL_SIZE)
    writer.colon(COLON_X, NIK_TOP + 4, "bold", NIK_LABEL_SIZE)
    writer.segments([("nik", ktp.nik)], VALUE_X, NIK_TOP, VALUE_RIGHT, "ocr", NIK_SIZE)

    alamat = address_lines(ktp.address)
    values: dict[str, list[tuple[str | None, str]]] = {
        "Nama": [("name", ktp.name)],
        "Tempat/Tgl Lahir": [("region", ktp.region), (None, ", "), ("dateOfBirth", ktp.date_of_birth)],
        "Jenis Kelamin": [("gender", PRINTED_GENDER[ktp.gender])],
        "Alamat": [("address", alamat[0])],
        "RT/RW": [("rt", ktp.rt), (None, "/"), ("rw", ktp.rw)],
        "Kel/Desa": [("town", ktp.town)],
        "Kecamatan": [("district", ktp.district)],
        "Agama": [("religion", ktp.religion)],
        "Status Perkawinan": [("maritalStatus", ktp.marital_status)],
        "Pekerjaan": [("occupation", ktp.occupation)],
        "Kewarganegaraan": [("citizenship", ktp.citizenship)],
        "Berlaku Hingga": [("validUntil", ktp.valid_until)],
    }
    tops = row_tops(len(alamat))
    for label, label_x in ROW_LABELS:
        top = tops[label]
        writer.label(label, label_x, top)
        writer.colon(COLON_X, top)
        right = GENDER_VALUE_RIGHT if label == "Jenis Kelamin" else VALUE_RIGHT
        writer.segments(values[label], VALUE_X, top, right)
    gender_top = tops["Jenis Kelamin"]
    writer.label("Gol. Darah", BLOOD_LABEL_X, gender_top)
    writer.colon(BLOOD_COLON_X, gender_top)
    writer.segments([("bloodType", ktp.blood_type)], BLOOD_VALUE_X, gender_top, VALUE_RIGHT)
    for extra, line in enumerate(alamat[1:], start=1):
        writer.segments([("address", line)], VALUE_X, tops["Alamat"] + extra * ROW_PITCH, VALUE_RIGHT)

    image.paste(_portrait(rng, int(ktp.date_of_birth[-4:]), ktp.gender), PHOTO_BOX[:2])
    under_left, under_right = UNDER_PHOTO_SLOT
    writer.segments([("issuePlace", ktp.issue_place)], under_left, ISSUE_PLACE_TOP, under_right,
                    size=UNDER_PHOTO_SIZE, centre=True)  # fmt: skip
    writer.segments([("issuanceDate", ktp.issuance_date)], under_left, ISSUE_DATE_TOP, under_right,
                    size=UNDER_PHOTO_SIZE, centre=True)  # fmt: skip
    _signature(writer.draw, rng)
    return RenderedCard(image, writer.boxes, writer.slots, writer.label_boxes)
