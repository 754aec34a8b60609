import random
from dataclasses import replace

import numpy as np

from synthetic_ktp.render import CARD_SIZE, PHOTO_BOX, render_card
from tests.test_model import SAMPLE

VALUE_KEYS = {*SAMPLE.to_ktp_data(), "issuePlace"}


def _render(ktp=SAMPLE, seed=1):
    return render_card(ktp, random.Random(seed))


def _dark_pixels(image, box):
    x0, y0, x1, y1 = box
    return int((np.asarray(image.convert("L"))[y0:y1, x0:x1] < 100).sum())


def test_card_size_and_a_box_for_every_value():
    card = _render()
    assert card.image.size == CARD_SIZE == (1012, 638)
    assert set(card.boxes) == VALUE_KEYS
    for key, boxes in card.boxes.items():
        assert all(_dark_pixels(card.image, box) > 10 for box in boxes), key


def test_rendering_is_deterministic():
    assert _render().image.tobytes() == _render().image.tobytes()
    assert _render().image.tobytes() != _render(seed=2).image.tobytes()


def test_layout_rows_and_indentation():
    card = _render()
    labels = card.label_boxes
    assert labels["RT/RW"][0] > labels["Alamat"][0] + 20
    assert labels["Kel/Desa"][0] == labels["Kecamatan"][0] == labels["RT/RW"][0]
    # Gol. Darah sits on the Jenis Kelamin row, to the right of the sex.
    assert abs(labels["Gol. Darah"][1] - labels["Jenis Kelamin"][1]) <= 1
    assert card.boxes["bloodType"][0][0] > card.boxes["gender"][0][2]
    # The NIK is the largest text on the card.
    nik_height = card.boxes["nik"][0][3] - card.boxes["nik"][0][1]
    assert nik_height > max(box[3] - box[1] for box in card.boxes["name"])
    # Both header lines ("PROVINSI …" and the kabupaten/kota) are centred: their ink is.
    grey = np.asarray(card.image.convert("L"))
    for key in ("province", "city"):
        _, y0, _, y1 = card.boxes[key][0]
        columns = np.flatnonzero((grey[y0:y1] < 100).any(axis=0))
        assert abs((columns[0] + columns[-1]) / 2 - CARD_SIZE[0] / 2) < 4, key


def test_a_long_address_wraps_and_pushes_the_rows_below_down():
    short = _render()
    long = _render(replace(SAMPLE, address="JL. RAYA SOEKARNO HATTA NO. 123 PERUM GRIYA ASRI BLOK C-5"))
    assert len(short.boxes["address"]) == 1 and len(long.boxes["address"]) == 2
    first, second = long.boxes["address"]
    assert second[1] >= first[3] and abs(second[0] - first[0]) <= 2
    assert long.boxes["rt"][0][1] - short.boxes["rt"][0][1] == 30
    assert long.boxes["validUntil"][0][1] - short.boxes["validUntil"][0][1] == 30


def _photo_background(card):
    return card.image.getpixel((PHOTO_BOX[0] + 4, PHOTO_BOX[1] + 4))


def test_photo_background_is_red_for_odd_and_blue_for_even_birth_years():
    red, _, blue = _photo_background(_render(replace(SAMPLE, date_of_birth="17-08-1991")))
    assert red > 150 and blue < 80
    red, _, blue = _photo_background(_render(replace(SAMPLE, date_of_birth="17-08-1990")))
    assert blue > 150 and red < 80


def test_long_values_shrink_to_stay_in_their_slot():
    long_name = replace(SAMPLE, town="KAMPUANG TANJUANG KOTO MAMBANG SUNGAI DURIAN")
    card = _render(long_name)
    (box,), (slot,) = card.boxes["town"], card.slots["town"]
    assert box[2] <= slot[2]
    assert box[3] - box[1] < card.boxes["district"][0][3] - card.boxes["district"][0][1]
