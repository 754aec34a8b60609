"""What an e-KTP says: the ktpData record, the printed value sets, and the NIK rules."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import date

from synthetic_ktp import regions

RELIGIONS: tuple[str, ...] = (
    "ISLAM",
    "KRISTEN",
    "KATHOLIK",
    "HINDU",
    "BUDHA",
    "KHONGHUCU",
    "KEPERCAYAAN TERHADAP TUHAN YME",
)
# Other spellings seen on cards and in reference tables, mapped to the one the generator prints.
RELIGION_SPELLINGS: dict[str, str] = {"KATOLIK": "KATHOLIK", "BUDDHA": "BUDHA", "KONGHUCU": "KHONGHUCU"}
MARITAL_STATUSES: tuple[str, ...] = ("BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI")
BLOOD_TYPES: tuple[str, ...] = (
    "A", "B", "AB", "O", "A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-", "-",
)  # fmt: skip
CITIZENSHIPS: tuple[str, ...] = ("WNI",)
LIFETIME_VALIDITY = "SEUMUR HIDUP"
GENDERS: tuple[str, ...] = ("male", "female")
PRINTED_GENDER: dict[str, str] = {"male": "LAKI-LAKI", "female": "PEREMPUAN"}

# The SIAK (Dukcapil) occupation list, in its official order: 88 named jobs and LAINNYA.
OCCUPATIONS: tuple[str, ...] = (
    "BELUM/TIDAK BEKERJA", "MENGURUS RUMAH TANGGA", "PELAJAR/MAHASISWA", "PENSIUNAN",
    "PEGAWAI NEGERI SIPIL (PNS)", "TENTARA NASIONAL INDONESIA (TNI)", "KEPOLISIAN RI (POLRI)",
    "PERDAGANGAN", "PETANI/PEKEBUN", "PETERNAK", "NELAYAN/PERIKANAN", "INDUSTRI", "KONSTRUKSI",
    "TRANSPORTASI", "KARYAWAN SWASTA", "KARYAWAN BUMN", "KARYAWAN BUMD", "KARYAWAN HONORER",
    "BURUH HARIAN LEPAS", "BURUH TANI/PERKEBUNAN", "BURUH NELAYAN/PERIKANAN", "BURUH PETERNAKAN",
    "PEMBANTU RUMAH TANGGA", "TUKANG CUKUR", "TUKANG LISTRIK", "TUKANG BATU", "TUKANG KAYU",
    "TUKANG SOL SEPATU", "TUKANG LAS/PANDAI BESI", "TUKANG JAHIT", "TUKANG GIGI", "PENATA RIAS",
    "PENATA BUSANA", "PENATA RAMBUT", "MEKANIK", "SENIMAN", "TABIB", "PARAJI", "PERANCANG BUSANA",
    "PENTERJEMAH", "IMAM MASJID", "PENDETA", "PASTOR", "WARTAWAN", "USTADZ/MUBALIGH", "JURU MASAK",
    "PROMOTOR ACARA", "ANGGOTA DPR-RI", "ANGGOTA DPD", "ANGGOTA BPK", "PRESIDEN", "WAKIL PRESIDEN",
    "ANGGOTA MAHKAMAH KONSTITUSI", "ANGGOTA KABINET KEMENTERIAN", "DUTA BESAR", "GUBERNUR",
    "WAKIL GUBERNUR", "BUPATI", "WAKIL BUPATI", "WALIKOTA", "WAKIL WALIKOTA", "ANGGOTA DPRD PROVINSI",
    "ANGGOTA DPRD KABUPATEN/KOTA", "DOSEN", "GURU", "PILOT", "PENGACARA", "NOTARIS", "ARSITEK",
    "AKUNTAN", "KONSULTAN", "DOKTER", "BIDAN", "PERAWAT", "APOTEKER", "PSIKIATER/PSIKOLOG",
    "PENYIAR TELEVISI", "PENYIAR RADIO", "PELAUT", "PENELITI", "SOPIR", "PIALANG", "PARANORMAL",
    "PEDAGANG", "PERANGKAT DESA", "KEPALA DESA", "BIARAWATI", "WIRASWASTA", "LAINNYA",
)  # fmt: skip

DATE_FORMAT = "%d-%m-%Y"


def format_date(day: date) -> str:
    """Dates on the card and in ktpData are DD-MM-YYYY."""
    return day.strftime(DATE_FORMAT)


@dataclass(frozen=True)
class KtpData:
    """One card's values: every ktpData field the API returns, plus what is printed but not returned."""

    nik: str
    name: str
    region: str  # place of birth (Tempat lahir)
    date_of_birth: str  # DD-MM-YYYY
    gender: str  # male | female
    blood_type: str
    address: str
    rt: str
    rw: str
    town: str  # Kel/Desa
    district: str  # Kecamatan
    city: str  # Kabupaten/Kota header
    province: str
    religion: str
    marital_status: str
    occupation: str
    citizenship: str
    valid_until: str
    issuance_date: str
    issue_place: str  # printed under the photo, not part of ktpData

    def to_ktp_data(self) -> dict[str, str]:
        """The API's ktpData object, with its exact camelCase keys."""
        values = asdict(self)
        return {API_KEYS[name]: values[name] for name in API_KEYS}

    @classmethod
    def from_ktp_data(cls, ktp_data: dict[str, str], issue_place: str = "") -> KtpData:
        """Rebuild a record from an API ktpData object (for example a manifest's truth)."""
        return cls(**{name: ktp_data[key] for name, key in API_KEYS.items()}, issue_place=issue_place)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# Attribute name -> ktpData key, in the order the API documents them.
API_KEYS: dict[str, str] = {f.name: _camel(f.name) for f in fields(KtpData) if f.name != "issue_place"}


# --- NIK: PP KK CC DDMMYY SSSS ---------------------------------------------------------------

_NIK_PATTERN = re.compile(r"\d{16}")
FEMALE_DAY_OFFSET = 40


class NikFormatError(ValueError):
    """The string cannot be a NIK at all (not 16 digits, or no real birth date in it)."""


@dataclass(frozen=True)
class NikParts:
    """What a NIK encodes. Codes are dotted Kemendagri codes ("32", "32.04", "32.04.12")."""

    province_code: str
    regency_code: str
    district_code: str
    birth_date: date
    gender: str
    serial: int


@dataclass(frozen=True)
class NikProblem:
    """One inconsistency found by `validate_nik`, with a stable code a test can assert."""

    code: str
    message: str


def encode_nik(district_code: str, birth_date: date, gender: str, serial: int) -> str:
    """Build the 16 digits from a kecamatan code, birth date, sex and a serial from 0001."""
    digits = district_code.replace(".", "")
    if len(digits) != 6 or not digits.isdigit():
        raise ValueError(f"kecamatan code must be PP.KK.CC, got {district_code!r}")
    if gender not in GENDERS:
        raise ValueError(f"gender must be one of {GENDERS}, got {gender!r}")
    if not 1 <= serial <= 9999:
        raise ValueError(f"serial must be 1..9999, got {serial}")
    day = birth_date.day + (FEMALE_DAY_OFFSET if gender == "female" else 0)
    return f"{digits}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


def _century_year(two_digits: int, as_of: date) -> int:
    """The NIK keeps two year digits; pick the latest century that is not in the future."""
    year = 2000 + two_digits
    return year if year <= as_of.year else 1900 + two_digits


def decode_nik(nik: str, *, as_of: date) -> NikParts:
    """Split a NIK into its parts; the century is inferred relative to `as_of`."""
    if not _NIK_PATTERN.fullmatch(nik):
        raise NikFormatError(f"a NIK is 16 digits, got {nik!r}")
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    gender = "female" if day > FEMALE_DAY_OFFSET else "male"
    try:
        birth_day = day - FEMALE_DAY_OFFSET if gender == "female" else day
        birth_date = date(_century_year(year, as_of), month, birth_day)
    except ValueError as error:
        raise NikFormatError(f"NIK {nik} has no real birth date in digits 7-12 ({error})") from None
    return NikParts(
        province_code=nik[0:2],
        regency_code=f"{nik[0:2]}.{nik[2:4]}",
        district_code=f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}",
        birth_date=birth_date,
        gender=gender,
        serial=int(nik[12:16]),
    )


def validate_nik(
    nik: str,
    *,
    as_of: date,
    printed_birth_date: str | None = None,
    printed_gender: str | None = None,
) -> list[NikProblem]:
    """Every reason this NIK is inconsistent: format, unknown region codes, date, serial, printed fields."""
    if not _NIK_PATTERN.fullmatch(nik):
        return [NikProblem("format", f"a NIK is 16 digits, got {nik!r}")]
    problems: list[NikProblem] = []
    for level, code in (("province", nik[0:2]), ("regency", f"{nik[0:2]}.{nik[2:4]}"),
                        ("district", f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}")):  # fmt: skip
        if regions.name_of(code) is None:
            problems.append(NikProblem(f"unknown_{level}", f"no Kemendagri {level} has code {code}"))
    if nik[12:16] == "0000":
        problems.append(NikProblem("serial", "the serial starts at 0001"))
    try:
        parts = decode_nik(nik, as_of=as_of)
    except NikFormatError as error:
        return [*problems, NikProblem("birth_date", str(error))]
    if printed_birth_date is not None:
        printed = printed_birth_date.replace("-", "")  # DDMMYYYY
        if printed[:4] + printed[-2:] != f"{parts.birth_date:%d%m}{nik[10:12]}":
            message = f"NIK encodes {parts.birth_date:%d-%m-%y}, card says {printed_birth_date}"
            problems.append(NikProblem("birth_date_mismatch", message))
    if printed_gender is not None and printed_gender != parts.gender:
        problems.append(NikProblem("gender_mismatch", f"NIK encodes {parts.gender}, card says {printed_gender}"))
    return problems
