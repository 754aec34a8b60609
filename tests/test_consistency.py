"""The issue's consistency acceptance, over 1,000 generated cards."""

import random

import pytest
from faker import Faker

from synthetic_ktp import regions
from synthetic_ktp.model import (
    BLOOD_TYPES,
    CITIZENSHIPS,
    LIFETIME_VALIDITY,
    MARITAL_STATUSES,
    OCCUPATIONS,
    RELIGIONS,
    decode_nik,
)
from synthetic_ktp.person import PersonOptions, make_person
from synthetic_ktp.render import CARD_SIZE, PHOTO_BOX, render_card

CARDS = 1000
OPTIONS = PersonOptions()


@pytest.fixture(scope="module")
def cards():
    fake = Faker("id_ID")
    made = []
    for seed in range(CARDS):
        rng = random.Random(10_000 + seed)
        fake.seed_instance(10_000 + seed)
        truth = make_person(rng, fake, OPTIONS)
        made.append((truth, render_card(truth, rng)))
    return made


def _day(text):
    day, month, year = map(int, text.split("-"))
    return year, month, day


def test_every_nik_decodes_to_the_cards_own_region_birth_date_and_sex(cards):
    for truth, _ in cards:
        parts = decode_nik(truth.nik, as_of=OPTIONS.as_of)
        assert regions.name_of(parts.province_code) == truth.province
        assert regions.name_of(parts.regency_code) == truth.city
        assert regions.name_of(parts.district_code) == truth.district
        assert parts.birth_date.strftime("%d-%m-%Y") == truth.date_of_birth
        assert parts.gender == truth.gender


def test_kel_desa_is_a_village_of_the_kecamatan(cards):
    for truth, _ in cards:
        district = decode_nik(truth.nik, as_of=OPTIONS.as_of).district_code
        assert truth.town in {regions.name_of(code) for code in regions.villages_of(district)}


def test_every_enum_value_is_in_its_set(cards):
    for truth, _ in cards:
        assert truth.religion in RELIGIONS
        assert truth.marital_status in MARITAL_STATUSES
        assert truth.blood_type in BLOOD_TYPES
        assert truth.occupation in OCCUPATIONS
        assert truth.citizenship in CITIZENSHIPS
        assert truth.valid_until == LIFETIME_VALIDITY or _day(truth.valid_until) > _day(truth.date_of_birth)
        assert truth.name == truth.name.upper() and truth.address.startswith(("JL. ", "GG. "))
        assert len(truth.rt) == len(truth.rw) == 3 and (truth.rt + truth.rw).isdigit()


def test_ages_and_dates_are_plausible(cards):
    as_of = OPTIONS.as_of
    ages = []
    for truth, _ in cards:
        year, month, day = _day(truth.date_of_birth)
        ages.append(as_of.year - year - ((as_of.month, as_of.day) < (month, day)))
        assert _day(truth.date_of_birth) < _day(truth.issuance_date) <= (as_of.year, as_of.month, as_of.day)
    assert min(ages) >= 17 and max(ages) <= 90
    assert min(ages) <= 19 and max(ages) >= 88


def test_prefixes_degrees_and_long_addresses_come_at_a_controlled_rate(cards):
    titled = sum(1 for truth, _ in cards if "." in truth.name or "," in truth.name)
    wrapped = sum(1 for _, card in cards if len(card.boxes["address"]) == 2)
    assert 40 <= titled <= 130  # 8 % of 1,000
    assert 60 <= wrapped <= 200


def _inside(inner, outer):
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_no_printed_value_overflows_its_box(cards):
    card_box = (0, 0, *CARD_SIZE)
    for _, card in cards:
        assert set(card.boxes) == {*card.slots}
        every_box = []
        for key, boxes in card.boxes.items():
            for box, slot in zip(boxes, card.slots[key], strict=True):
                assert _inside(box, slot), (key, box, slot)
                assert _inside(box, card_box)
                assert not _overlap(box, PHOTO_BOX), key
                every_box.append(box)
        for index, box in enumerate(every_box):
            assert not any(_overlap(box, other) for other in every_box[index + 1 :])
