"""A plausible, internally consistent card holder: names from Faker `id_ID`, the rest from our own tables."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from synthetic_ktp import regions
from synthetic_ktp.model import (
    BLOOD_TYPES,
    CITIZENSHIPS,
    LIFETIME_VALIDITY,
    MARITAL_STATUSES,
    OCCUPATIONS,
    RELIGIONS,
    KtpData,
    encode_nik,
    format_date,
)
from synthetic_ktp.scenarios import DEFAULT_SCENARIO, Scenario

MIN_AGE, MAX_AGE = 17, 90
EKTP_ROLLOUT = date(2011, 1, 1)  # first e-KTPs; earlier dates cannot be an issue date
LIFETIME_SINCE = date(2016, 1, 1)  # cards printed from then on say SEUMUR HIDUP
MAX_NAME_LENGTH = 30
MAX_ADDRESS_LENGTH = 52  # two printed lines at the most

RELIGION_WEIGHTS = (80, 8, 4, 3, 2, 1.5, 1.5)
MARITAL_WEIGHTS = (30, 55, 7, 8)
COMMON_OCCUPATIONS = (
    "KARYAWAN SWASTA", "WIRASWASTA", "MENGURUS RUMAH TANGGA", "PETANI/PEKEBUN", "PEDAGANG",
    "BURUH HARIAN LEPAS", "PEGAWAI NEGERI SIPIL (PNS)", "GURU", "PERDAGANGAN", "BELUM/TIDAK BEKERJA",
)  # fmt: skip
ADDRESS_EXTRAS = ("BLOK {letter}-{number}", "KOMP. {street}", "PERUM {street} INDAH", "DUSUN {village}")


@dataclass(frozen=True)
class PersonOptions:
    """Knobs a caller may turn; the defaults give realistic proportions."""

    as_of: date = date(2026, 1, 1)
    title_rate: float = 0.08  # share of names with a prefix (H., DR., IR.) or a degree (S.E., M.PD)
    long_address_rate: float = 0.15  # share of addresses long enough to wrap onto a second line
    scenario: Scenario = DEFAULT_SCENARIO


def _birth_date(rng: random.Random, as_of: date) -> date:
    oldest = _add_years(as_of, -(MAX_AGE + 1)) + timedelta(days=1)
    youngest = _add_years(as_of, -MIN_AGE)
    return oldest + timedelta(days=rng.randrange((youngest - oldest).days + 1))


def _add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (or earlier); 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _name(rng: random.Random, fake: Faker, gender: str, title_rate: float) -> str:
    first = fake.first_name_male if gender == "male" else fake.first_name_female
    last = fake.last_name_male if gender == "male" else fake.last_name_female
    parts = [first()]
    extra = rng.choices((0, 1, 2), weights=(15, 55, 30))[0]
    parts += [first() for _ in range(extra - 1)] + ([last()] if extra else [])
    name = " ".join(parts).upper()
    if rng.random() < title_rate:
        if rng.random() < 0.5:
            prefix = fake.prefix_male() if gender == "male" else fake.prefix_female()
            name = f"{prefix.upper()} {name}"
        else:
            name = f"{name}, {fake.suffix().upper()}"
    while len(name) > MAX_NAME_LENGTH:
        name = name.rsplit(" ", 1)[0].rstrip(",")
    return name


def _address(rng: random.Random, fake: Faker, village: str, long_rate: float) -> str:
    street = fake.street().upper()
    prefix = rng.choice(("JL.", "JL.", "JL.", "GG."))
    address = f"{prefix} {street} NO. {rng.randint(1, 199)}"
    if rng.random() < long_rate:
        extra = rng.choice(ADDRESS_EXTRAS).format(
            letter=rng.choice("ABCDEFGH"), number=rng.randint(1, 40), street=fake.street().upper(), village=village
        )
        address = f"{address} {extra}"
    return address[:MAX_ADDRESS_LENGTH].rstrip()


def _occupation(rng: random.Random, age: int, gender: str) -> str:
    if age < 23 and rng.random() < 0.6:
        return "PELAJAR/MAHASISWA"
    if age >= 58 and rng.random() < 0.3:
        return "PENSIUNAN"
    if rng.random() < 0.25:
        return rng.choice(OCCUPATIONS)
    occupation = rng.choice(COMMON_OCCUPATIONS)
    if occupation == "MENGURUS RUMAH TANGGA" and gender == "male":
        return "WIRASWASTA"
    return occupation


def _marital_status(rng: random.Random, age: int) -> str:
    if age < 21:
        return "BELUM KAWIN" if rng.random() < 0.9 else "KAWIN"
    return rng.choices(MARITAL_STATUSES, weights=MARITAL_WEIGHTS)[0]


def _blood_type(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return "-"
    return rng.choice(BLOOD_TYPES[:4] if rng.random() < 0.85 else BLOOD_TYPES[4:12])


def _age(birth: date, as_of: date) -> int:
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))


def _validity(rng: random.Random, birth: date, issued: date) -> str:
    """Cards printed before 2016 carried a date: the holder's birthday five years after issue."""
    if issued < LIFETIME_SINCE and rng.random() < 0.5:
        return format_date(_add_years(birth, issued.year + 5 - birth.year))
    return LIFETIME_VALIDITY


def _serial(rng: random.Random, scenario: Scenario) -> int:
    if scenario is not DEFAULT_SCENARIO:
        return rng.choice(scenario.serials)
    return rng.randint(1, 999) if rng.random() < 0.95 else rng.choice(scenario.serials)


def make_person(rng: random.Random, fake: Faker, options: PersonOptions) -> KtpData:
    """Draw one card holder; every value is consistent with the NIK and the card's one region."""
    region = regions.random_region(rng)
    gender = rng.choice(("male", "female"))
    birth = _birth_date(rng, options.as_of)
    age = _age(birth, options.as_of)
    first_possible_issue = max(EKTP_ROLLOUT, _add_years(birth, MIN_AGE))
    issued = first_possible_issue + timedelta(days=rng.randrange((options.as_of - first_possible_issue).days + 1))
    # Most people carry a card of the place they were born in; the rest moved.
    birth_regency = region.regency_code if rng.random() < 0.6 else rng.choice(regions.regency_codes())
    place_of_birth = regions.bare_regency_name(birth_regency)
    return KtpData(
        nik=encode_nik(region.district_code, birth, gender, _serial(rng, options.scenario)),
        name=_name(rng, fake, gender, options.title_rate),
        region=place_of_birth,
        date_of_birth=format_date(birth),
        gender=gender,
        blood_type=_blood_type(rng),
        address=_address(rng, fake, region.village, options.long_address_rate),
        rt=f"{rng.randint(1, 20):03d}",
        rw=f"{rng.randint(1, 15):03d}",
        town=region.village,
        district=region.district,
        city=region.regency,
        province=region.province,
        religion=rng.choices(RELIGIONS, weights=RELIGION_WEIGHTS)[0],
        marital_status=_marital_status(rng, age),
        occupation=_occupation(rng, age, gender),
        citizenship=CITIZENSHIPS[0],
        valid_until=_validity(rng, birth, issued),
        issuance_date=format_date(issued),
        issue_place=regions.issue_place(region.regency_code),
    )
