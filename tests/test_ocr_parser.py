"""The shared parser: labelled and raw lines, OCR noise, each field's constraint and the snapping bound."""

from datetime import date

import pytest

from mock_gateway.ocr.extraction import CITY_HEADER, ISSUE_DATE, ISSUE_PLACE, PROVINCE_HEADER, TextLine
from mock_gateway.ocr.parser import parse

AS_OF = date(2026, 1, 1)
TRUTH = {
    "nik": "3204085708900003",
    "name": "SITI AMINAH",
    "region": "BANDUNG",
    "dateOfBirth": "17-08-1990",
    "gender": "female",
    "bloodType": "O",
    "address": "JL. RAJAWALI BARAT NO. 107 BLOK A-12",
    "rt": "008",
    "rw": "005",
    "town": "BUAHBATU",
    "district": "BOJONGSOANG",
    "city": "KABUPATEN BANDUNG",
    "province": "JAWA BARAT",
    "religion": "ISLAM",
    "maritalStatus": "KAWIN",
    "occupation": "KARYAWAN SWASTA",
    "citizenship": "WNI",
    "validUntil": "SEUMUR HIDUP",
    "issuanceDate": "20-05-2017",
}
LABELLED = [
    (PROVINCE_HEADER, "PROVINSI JAWA BARAT"),
    (CITY_HEADER, "KABUPATEN BANDUNG"),
    ("NIK", "3204085708900003"),
    ("Nama", "SITI AMINAH"),
    ("Tempat/Tgl Lahir", "BANDUNG, 17-08-1990"),
    ("Jenis Kelamin", "PEREMPUAN"),
    ("Gol. Darah", "O"),
    ("Alamat", "JL. RAJAWALI BARAT NO. 107"),
    ("Alamat", "BLOK A-12"),
    ("RT/RW", "008/005"),
    ("Kel/Desa", "BUAHBATU"),
    ("Kecamatan", "BOJONGSOANG"),
    ("Agama", "ISLAM"),
    ("Status Perkawinan", "KAWIN"),
    ("Pekerjaan", "KARYAWAN SWASTA"),
    ("Kewarganegaraan", "WNI"),
    ("Berlaku Hingga", "SEUMUR HIDUP"),
    (ISSUE_PLACE, "KAB. BANDUNG"),
    (ISSUE_DATE, "20-05-2017"),
]
RAW_CLEAN = [
    "PROVINSI JAWA BARAT",
    "KABUPATEN BANDUNG",
    "NIK : 3204085708900003",
    "Nama : SITI AMINAH",
    "Tempat/Tgl Lahir : BANDUNG, 17-08-1990",
    "Jenis Kelamin : PEREMPUAN Gol. Darah : O",
    "Alamat : JL. RAJAWALI BARAT NO. 107",
    "BLOK A-12",
    "RT/RW : 008/005",
    "Kel/Desa : BUAHBATU",
    "Kecamatan : BOJONGSOANG",
    "Agama : ISLAM",
    "Status Perkawinan : KAWIN",
    "Pekerjaan : KARYAWAN SWASTA",
    "Kewarganegaraan : WNI",
    "Berlaku Hingga : SEUMUR HIDUP",
    "KAB. BANDUNG",
    "20-05-2017",
]
RAW_NOISY = [
    "£ PROVINSI JAWA BARAT 3",
    "KABUPATEN BANDUNG",
    "NIK ; 32O4O857O89OOOO3",
    "|. Nama 1 SITI AMINAH",
    "Tempat/Tgi Lahir ! BANDUNG, 17-08-1990",
    "Jenis Kelamin . PEREMPUAN Gol Darah — 0",
    "Alamat 1 JL. RAJAWALI BARAT NO. 107",
    "BLOK A-12",
    "RI/RW 1: 0081005",
    "KeVDesa ： BUAHBATU",
    "Kecamatan 2 BOJONGSOANG",
    "Agama - ISLAM",
    "Status Perkawinan — : KAWIN",
    "Pekerjaan : KARYAWAN SWASTA",
    "Kewarganegaraan: WNI",
    "Berlaku Hingga : SEUMUR HIDUP",
    "l",
    "KAB. BANDUNG",
    "20-05-2017",
]


def raw(*texts: str, confidence: float = 0.9) -> list[TextLine]:
    return [TextLine(text, None, confidence) for text in texts]


def labelled(pairs: list[tuple[str, str]], confidence: float = 0.95) -> list[TextLine]:
    return [TextLine(text, label, confidence) for label, text in pairs]


def replaced(lines: list[str], old: str, new: str) -> list[str]:
    return [new if line == old else line for line in lines]


def test_labelled_lines_give_every_field_exactly():
    parsed = parse(labelled(LABELLED), as_of=AS_OF)
    assert parsed.fields == TRUTH
    assert list(parsed.fields) == list(TRUTH)  # the API's key order
    assert parsed.flags == ()
    assert parsed.problems == ()
    assert parsed.confidence == dict.fromkeys(TRUTH, 0.95)


def test_raw_lines_give_the_same_fields():
    assert parse(raw(*RAW_CLEAN), as_of=AS_OF).fields == TRUTH


def test_raw_lines_with_ocr_noise_give_the_same_fields():
    parsed = parse(raw(*RAW_NOISY), as_of=AS_OF)
    assert parsed.fields == TRUTH
    assert parsed.flags == ()
    assert parsed.confidence["religion"] == 0.9  # read exactly
    assert parsed.confidence["nik"] == pytest.approx(0.9 * 9 / 16, abs=1e-4)  # seven digits were read as O


def test_missing_lines_leave_their_fields_out():
    lines = [line for line in RAW_CLEAN if not line.startswith(("Agama", "Nama", "BLOK", "20-05"))]
    fields = parse(raw(*lines), as_of=AS_OF).fields
    assert set(TRUTH) - set(fields) == {"religion", "name", "issuanceDate"}
    assert fields["address"] == "JL. RAJAWALI BARAT NO. 107"
    assert fields["rt"] == "008"


def test_an_empty_reading_gives_nothing():
    parsed = parse([], as_of=AS_OF)
    assert (parsed.fields, parsed.confidence, parsed.flags, parsed.problems) == ({}, {}, (), ())


@pytest.mark.parametrize(
    ("nik_line", "nik"),
    [
        ("NIK : 3204085708900003", "3204085708900003"),
        ("NIK : 32O4 O857 O89O OOO3", "3204085708900003"),
        ("NIK : 32D4O8S7O89OOOO3", "3204085708900003"),
        ("NIK : 3204085708900003 7", None),  # 17 digits
        ("NIK : 320408570890003", None),  # 15 digits
    ],
)
def test_nik_is_sixteen_digits_with_lookalikes_put_back(nik_line, nik):
    fields = parse(raw(*replaced(RAW_CLEAN, "NIK : 3204085708900003", nik_line)), as_of=AS_OF).fields
    assert fields.get("nik") == nik


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Tempat/Tgl Lahir : BANDUNG, 17.08.1990", ("BANDUNG", "17-08-1990")),
        ("Tempat/Tgl Lahir : BANDUNG, I7-O8-199O", ("BANDUNG", "17-08-1990")),
        ("Tempat/Tgl Lahir : BANDUNG 17-08-1990", ("BANDUNG", "17-08-1990")),
        ("Tempat/Tgl Lahir : BANDUNC, 17-08-1990", ("BANDUNG", "17-08-1990")),
        ("Tempat/Tgl Lahir : BANDUNG, 31-02-1990", ("BANDUNG", None)),  # no such day
        ("Tempat/Tgl Lahir : BANDUNG, 17-08-90", ("BANDUNG", None)),  # two-digit year
    ],
)
def test_birth_place_snaps_and_birth_date_is_a_real_day(line, expected):
    fields = parse(raw(*replaced(RAW_CLEAN, "Tempat/Tgl Lahir : BANDUNG, 17-08-1990", line)), as_of=AS_OF).fields
    assert (fields.get("region"), fields.get("dateOfBirth")) == expected


@pytest.mark.parametrize(
    ("line", "rt_rw"),
    [("RT/RW : 008/005", ("008", "005")), ("RT/RW : 0081005", ("008", "005")), ("RT/RW : OO8/OO5", ("008", "005")),
     ("RT/RW : 008 005", ("008", "005")), ("RT/RW : 08/005", (None, None))],
)  # fmt: skip
def test_rt_rw_is_two_three_digit_numbers(line, rt_rw):
    fields = parse(raw(*replaced(RAW_CLEAN, "RT/RW : 008/005", line)), as_of=AS_OF).fields
    assert (fields.get("rt"), fields.get("rw")) == rt_rw


@pytest.mark.parametrize(
    ("line", "key", "value"),
    [
        ("Agama : ISLAN", "religion", "ISLAM"),
        ("Agama : KATOLIK", "religion", "KATHOLIK"),  # another spelling, printed the generator's way
        ("Agama : BUDDHA", "religion", "BUDHA"),
        ("Agama : KEPERCAYAAN TERHADAP TUHAN YNE", "religion", "KEPERCAYAAN TERHADAP TUHAN YME"),
        ("Agama : XQZWV", "religion", "XQZWV"),  # too far from every religion: kept as read
        ("Status Perkawinan : CERAI HIDIP", "maritalStatus", "CERAI HIDUP"),
        ("Status Perkawinan : BELUM KAWN", "maritalStatus", "BELUM KAWIN"),
        ("Pekerjaan : PELAJAR/MAHASISVVA", "occupation", "PELAJAR/MAHASISWA"),
        ("Pekerjaan : KARYAWAN BUMX", "occupation", "KARYAWAN BUMX"),  # as near BUMN as BUMD: no snap
        ("Pekerjaan : GURU K", "occupation", "GURU"),  # a noise letter after the value
        ("Status Perkawinan : KAWIN KK", "maritalStatus", "KAWIN"),
        ("Pekerjaan : GURU HONORER", "occupation", "GURU HONORER"),  # a real word is no noise: kept as read
        ("Pekerjaan : PEGAWAI NEGERI SIPIL (PNS)", "occupation", "PEGAWAI NEGERI SIPIL (PNS)"),
        ("Kewarganegaraan : WN1", "citizenship", "WNI"),
        ("Kewarganegaraan : WNA", "citizenship", "WNA"),  # WNA cards are not ours to snap to WNI
        ("Berlaku Hingga : SEUMUR HIDIP", "validUntil", "SEUMUR HIDUP"),
        ("Berlaku Hingga : 17-08-2017", "validUntil", "17-08-2017"),
        ("Berlaku Hingga : SELAMANYA", "validUntil", None),
    ],
)
def test_enumerations_snap_within_the_bound_and_only_then(line, key, value):
    label = line.split(" : ")[0]
    lines = [line if text.startswith(label) else text for text in RAW_CLEAN]
    assert parse(raw(*lines), as_of=AS_OF).fields.get(key) == value


def test_a_value_that_did_not_snap_is_less_sure_than_one_that_did():
    lines = replaced(replaced(RAW_CLEAN, "Agama : ISLAM", "Agama : XQZWV"), "Status Perkawinan : KAWIN",
                     "Status Perkawinan : BELUM KAWN")  # fmt: skip
    confidence = parse(raw(*lines), as_of=AS_OF).confidence
    assert confidence["maritalStatus"] == pytest.approx(0.9 * (1 - 1 / 11), abs=1e-4)
    assert confidence["religion"] < 0.9 * 0.5
    assert confidence["citizenship"] == 0.9


@pytest.mark.parametrize(
    ("line", "gender", "blood"),
    [
        ("Jenis Kelamin : LAKI-LAKI Gol. Darah : AB+", "male", "AB+"),
        ("Jenis Kelamin : LAKl-LAKI Gol. Darah : 0-", "male", "O-"),
        ("Jenis Kelamin : PEREMPUAN Gol. Darah : -", "female", "-"),
        ("Jenis Kelamin : PEREMPUAN Gol. Darah -", "female", "-"),
        ("Jenis Kelamin : PEREMPUAN Gol. Darah :", "female", None),
        ("Jenis Kelamin : PEREMPUAN Gol. Darah : X", "female", None),
        ("Jenis Kelamin : PEREMPUAN", "female", None),
        ("Jenis Kelamin : WANITA Gol. Darah : B", None, "B"),
    ],
)
def test_gender_and_blood_type_share_a_line(line, gender, blood):
    lines = replaced(RAW_CLEAN, "Jenis Kelamin : PEREMPUAN Gol. Darah : O", line)
    fields = parse(raw(*lines), as_of=AS_OF).fields
    assert (fields.get("gender"), fields.get("bloodType")) == (gender, blood)


def test_free_text_keeps_the_card_alphabet():
    lines = replaced(replaced(RAW_CLEAN, "Nama : SITI AMINAH", "Nama : S1TI   aminah, s.e. *"),
                     "Alamat : JL. RAJAWALI BARAT NO. 107", "Alamat : Jl. Rajawali  Barat No. 107 #")  # fmt: skip
    fields = parse(raw(*lines), as_of=AS_OF).fields
    assert fields["name"] == "SITI AMINAH, S.E."
    assert fields["address"] == "JL. RAJAWALI BARAT NO. 107 BLOK A-12"


def test_a_name_keeps_a_leading_one_letter_word():
    lines = labelled(replaced_pair(LABELLED, "Nama", "I WAYAN SUDARSANA"))
    assert parse(lines, as_of=AS_OF).fields["name"] == "I WAYAN SUDARSANA"
    raw_lines = raw(*replaced(RAW_CLEAN, "Nama : SITI AMINAH", "Nama : I WAYAN SUDARSANA"))
    assert parse(raw_lines, as_of=AS_OF).fields["name"] == "I WAYAN SUDARSANA"


def replaced_pair(pairs: list[tuple[str, str]], label: str, text: str) -> list[tuple[str, str]]:
    return [(name, text if name == label else value) for name, value in pairs]


@pytest.mark.parametrize(
    ("headers", "province", "city"),
    [
        (("PROVINSI JAWA BARAT", "KOTA BANDUNG"), "JAWA BARAT", "KOTA BANDUNG"),
        (("PROVINSI JAWA BARAT", "KOTA BANDUN"), "JAWA BARAT", "KOTA BANDUNG"),
        (("PROVlNSI JAWA BARAI", "KABUPATEN BANDUNG BARAT"), "JAWA BARAT", "KABUPATEN BANDUNG BARAT"),
        (("PROVINSI JAWA BARAT", "BANDUNG"), "JAWA BARAT", "BANDUNG"),  # kabupaten or kota? not guessed
        (("PROVINSI DKI JAKARTA", "JAKARTA PUSAT"), "DKI JAKARTA", "KOTA ADMINISTRASI JAKARTA PUSAT"),
        (("PROVINSI DKI JAKARTA", "KOTA ADMINISTRASI JAKARTA PUSAT"), "DKI JAKARTA", "KOTA ADMINISTRASI JAKARTA PUSAT"),
        (("PROVINSI ATLANTIS", "KOTA BANDUNG"), "ATLANTIS", "KOTA BANDUNG"),
        (("PROVINSI JAWA TIMUR", "KOTA BANDUNG"), "JAWA TIMUR", "KOTA BANDUNG"),  # no Bandung in Jawa Timur
    ],
)
def test_headers_snap_to_kemendagri_names(headers, province, city):
    lines = raw(*headers, *RAW_CLEAN[2:])
    fields = parse(lines, as_of=AS_OF).fields
    assert (fields["province"], fields["city"]) == (province, city)


def test_kecamatan_and_village_snap_within_their_parents():
    lines = replaced(replaced(RAW_CLEAN, "Kecamatan : BOJONGSOANG", "Kecamatan : BOJONGS0ANC"),
                     "Kel/Desa : BUAHBATU", "Kel/Desa : BUAH8ATU")  # fmt: skip
    fields = parse(raw(*lines), as_of=AS_OF).fields
    assert (fields["district"], fields["town"]) == ("BOJONGSOANG", "BUAHBATU")


def test_a_kecamatan_of_another_kabupaten_does_not_snap():
    lines = replaced(RAW_CLEAN, "Kecamatan : BOJONGSOANG", "Kecamatan : GAMBIR")  # in Jakarta Pusat
    fields = parse(raw(*lines), as_of=AS_OF).fields
    assert fields["district"] == "GAMBIR"
    assert fields["town"] == "BUAHBATU"  # its kecamatan unknown: kept as read


def test_the_nik_gives_the_kabupaten_when_the_header_is_unreadable():
    lines = replaced(replaced(RAW_CLEAN, "KABUPATEN BANDUNG", "KXBXXXXXX BXNXXXX"),
                     "Kecamatan : BOJONGSOANG", "Kecamatan : BOJONGSOAN")  # fmt: skip
    fields = parse(raw(*lines), as_of=AS_OF).fields
    assert fields["district"] == "BOJONGSOANG"
    assert fields["city"] == "KXBXXXXXX BXNXXXX"


@pytest.mark.parametrize(
    ("nik", "problems"),
    [
        ("3204081708900003", ("NIK encodes male, card says female",)),
        ("3204085709900003", ("NIK encodes 17-09-90, card says 17-08-1990",)),
    ],
)  # fmt: skip
def test_an_inconsistent_nik_is_flagged(nik, problems):
    parsed = parse(raw(*replaced(RAW_CLEAN, "NIK : 3204085708900003", f"NIK : {nik}")), as_of=AS_OF)
    assert parsed.fields["nik"] == nik
    assert parsed.flags == ("NIK_INCONSISTENT",)
    assert parsed.problems == problems


def test_a_nik_of_no_region_is_inconsistent_and_not_the_headers():
    parsed = parse(raw(*replaced(RAW_CLEAN, "NIK : 3204085708900003", "NIK : 9904085708900003")), as_of=AS_OF)
    assert parsed.flags == ("NIK_INCONSISTENT", "NIK_REGION_DIFFERS")
    assert parsed.problems == (
        "no Kemendagri province has code 99", "no Kemendagri regency has code 99.04",
        "no Kemendagri district has code 99.04.08",
        "the NIK is of region 99.04.08 (no such region), the card shows 32.04.08 BOJONGSOANG",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("nik", "headers", "registered", "printed"),
    [
        ("3273085708900003", RAW_CLEAN[:2], "32.73.08 CIDADAP", "32.04.08 BOJONGSOANG"),  # another kabupaten/kota
        ("3204055708900003", RAW_CLEAN[:2], "32.04.05 CILEUNYI", "32.04.08 BOJONGSOANG"),  # another kecamatan
        ("3504085708900003", ["PROVINSI JAWA BARAT", "KXBXXXXXX"], "35 JAWA TIMUR", "32 JAWA BARAT"),  # only a province
    ],
)
def test_a_nik_registered_elsewhere_is_flagged_apart(nik, headers, registered, printed):
    lines = [*headers, *replaced(RAW_CLEAN, "NIK : 3204085708900003", f"NIK : {nik}")[2:]]
    parsed = parse(raw(*lines), as_of=AS_OF)
    assert parsed.flags == ("NIK_REGION_DIFFERS",)
    assert parsed.problems == (f"the NIK is of region {registered}, the card shows {printed}",)


def test_without_readable_headers_the_nik_region_is_not_judged():
    body = replaced(RAW_CLEAN, "NIK : 3204085708900003", "NIK : 3504085708900003")[2:]
    lines = ["PROVINSI XXXXXXX", "KXBXXXXXX", *body]
    assert parse(raw(*lines), as_of=AS_OF).flags == ()


def test_noise_lines_are_ignored():
    lines = ["~~ ~", *RAW_CLEAN[:2], "a er", *RAW_CLEAN[2:], "Bu", "xx"]
    assert parse(raw(*lines), as_of=AS_OF).fields == TRUTH


@pytest.mark.parametrize(
    ("line", "address"),
    [
        ("Alamat : JL, RAJAWALI BARAT NO, 107", "JL. RAJAWALI BARAT NO. 107"),
        ("Alamat : JL RAJAWALI BARAT NO 107", "JL. RAJAWALI BARAT NO. 107"),
        ("Alamat : GG. MELATI NO. 5 KOMP, ASRI", "GG. MELATI NO. 5 KOMP. ASRI"),
        ("Alamat : JLN. MELATI", "JLN. MELATI"),
    ],
)
def test_street_abbreviations_keep_their_period(line, address):
    lines = [text for text in replaced(RAW_CLEAN, "Alamat : JL. RAJAWALI BARAT NO. 107", line) if text != "BLOK A-12"]
    assert parse(raw(*lines), as_of=AS_OF).fields["address"] == address


@pytest.mark.parametrize(
    ("line", "name"),
    [("Nama : HJ, SITI AMINAH", "HJ. SITI AMINAH"), ("Nama : ANI, S.E.", "ANI, S.E."), ("Nama : IR. ANI", "IR. ANI")],
)
def test_a_title_before_a_name_keeps_its_period(line, name):
    assert parse(raw(*replaced(RAW_CLEAN, "Nama : SITI AMINAH", line)), as_of=AS_OF).fields["name"] == name
