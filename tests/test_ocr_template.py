"""The template reader reads every printed line of a rectified card exactly."""

import cv2
import numpy as np
import pytest

from mock_gateway.ocr.locate import CardLocation, rectify
from mock_gateway.ocr.template import read_card
from synthetic_ktp import generate_card
from synthetic_ktp.model import PRINTED_GENDER
from synthetic_ktp.render import address_lines


def printed_lines(card) -> list[tuple[str, str]]:
    """(label, text) of every printed line, in reading order, as the generator printed them."""
    truth = card.truth
    address = address_lines(truth.address)
    return [
        ("PROVINSI", f"PROVINSI {truth.province}"),
        ("KABUPATEN/KOTA", truth.city),
        ("NIK", truth.nik),
        ("Nama", truth.name),
        ("Tempat/Tgl Lahir", f"{truth.region}, {truth.date_of_birth}"),
        ("Jenis Kelamin", PRINTED_GENDER[truth.gender]),
        ("Gol. Darah", truth.blood_type),
        *[("Alamat", line) for line in address],
        ("RT/RW", f"{truth.rt}/{truth.rw}"),
        ("Kel/Desa", truth.town),
        ("Kecamatan", truth.district),
        ("Agama", truth.religion),
        ("Status Perkawinan", truth.marital_status),
        ("Pekerjaan", truth.occupation),
        ("Kewarganegaraan", truth.citizenship),
        ("Berlaku Hingga", truth.valid_until),
        ("ISSUE_PLACE", truth.issue_place),
        ("ISSUE_DATE", truth.issuance_date),
    ]


def as_bgr(image) -> np.ndarray:
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


# 300: blood type "-"; 305: a dated Berlaku Hingga; 333: a wrapped Alamat; 710: a shrunk Tempat/Tgl Lahir.
@pytest.mark.parametrize("seed", [300, 305, 333, 710])
def test_every_line_of_a_clean_scan_is_read_exactly(seed):
    card = generate_card(seed, "clean")
    lines = read_card(as_bgr(card.image))
    assert [(line.label, line.text) for line in lines] == printed_lines(card)
    assert min(line.confidence for line in lines) > 0.5


@pytest.mark.parametrize("seed", [301, 302, 303])
def test_every_line_of_a_camera_photo_is_read_exactly_once_rectified(seed):
    card = generate_card(seed, "camera")
    location = CardLocation(np.array(card.photo.corners), 900.0, touches_border=False)
    lines = read_card(rectify(as_bgr(card.image), location))
    assert [(line.label, line.text) for line in lines] == printed_lines(card)


def test_an_erased_nik_digit_leaves_the_nik_unsure():
    card = generate_card(300, "clean")
    clean = {line.label: line for line in read_card(as_bgr(card.image))}
    erased = as_bgr(card.image).copy()
    x0, y0, _, y1 = card.boxes["nik"][0]
    paper = erased[y0 - 6, x0 + 140].tolist()
    cv2.rectangle(erased, (x0 + 26 * 5, y0 - 2), (x0 + 26 * 6 - 2, y1 + 2), paper, -1)  # the sixth digit
    unsure = {line.label: line for line in read_card(erased)}
    assert clean["NIK"].confidence > 0.9
    assert unsure["NIK"].confidence < 0.3
    assert unsure["Nama"] == clean["Nama"]


def test_reading_is_deterministic_and_boxes_sit_on_the_values():
    card = generate_card(333, "clean")
    first, again = read_card(as_bgr(card.image)), read_card(as_bgr(card.image))
    assert first == again
    nik = next(line for line in first if line.label == "NIK")
    ink_x0, ink_y0, ink_x1, ink_y1 = card.boxes["nik"][0]
    assert abs(nik.box[0] - ink_x0) <= 5 and abs(nik.box[2] - ink_x1) <= 5
    assert nik.box[1] <= ink_y0 < ink_y1 <= nik.box[3] + 2
