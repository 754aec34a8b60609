from dataclasses import replace
from datetime import date

import pytest

from synthetic_ktp.model import (
    API_KEYS,
    BLOOD_TYPES,
    MARITAL_STATUSES,
    OCCUPATIONS,
    RELIGIONS,
    KtpData,
    NikFormatError,
    NikParts,
    decode_nik,
    encode_nik,
    validate_nik,
)

AS_OF = date(2026, 1, 1)


def test_encode_adds_forty_to_the_day_for_women():
    assert encode_nik("32.04.12", date(1990, 8, 17), "female", 3) == "3204125708900003"
    assert encode_nik("32.04.12", date(1990, 8, 17), "male", 3) == "3204121708900003"


@pytest.mark.parametrize(
    ("district", "gender", "serial", "message"),
    [("32.04", "male", 1, "PP.KK.CC"), ("32.04.12", "x", 1, "gender"), ("32.04.12", "male", 0, "serial")],
)
def test_encode_rejects_impossible_parts(district, gender, serial, message):
    with pytest.raises(ValueError, match=message):
        encode_nik(district, date(1990, 1, 1), gender, serial)


def test_decode_returns_every_part():
    assert decode_nik("3204125708900003", as_of=AS_OF) == NikParts(
        province_code="32",
        regency_code="32.04",
        district_code="32.04.12",
        birth_date=date(1990, 8, 17),
        gender="female",
        serial=3,
    )


def test_decode_infers_the_century_from_the_reference_date():
    assert decode_nik("3204120101090001", as_of=AS_OF).birth_date == date(2009, 1, 1)
    assert decode_nik("3204120101360001", as_of=AS_OF).birth_date == date(1936, 1, 1)
    assert decode_nik("3204120101260001", as_of=AS_OF).birth_date == date(2026, 1, 1)
    assert decode_nik("3204120201260001", as_of=AS_OF).birth_date == date(2026, 1, 2)


@pytest.mark.parametrize("nik", ["320412570890000", "32041257089000031", "32041257O8900003", "3204123213900003"])
def test_decode_rejects_what_cannot_be_a_nik(nik):
    with pytest.raises(NikFormatError):
        decode_nik(nik, as_of=AS_OF)


def test_a_consistent_nik_has_no_problems():
    assert validate_nik("3204125708900003", as_of=AS_OF, printed_birth_date="17-08-1990", printed_gender="female") == []


def test_validate_lists_every_inconsistency_at_once():
    problems = validate_nik("3299995708900000", as_of=AS_OF, printed_birth_date="18-08-1991", printed_gender="male")
    assert [problem.code for problem in problems] == [
        "unknown_regency",
        "unknown_district",
        "serial",
        "birth_date_mismatch",
        "gender_mismatch",
    ]
    assert problems[3].message == "NIK encodes 17-08-90, card says 18-08-1991"


def test_validate_reports_format_and_impossible_dates():
    assert [p.code for p in validate_nik("12345", as_of=AS_OF)] == ["format"]
    assert [p.code for p in validate_nik("9904123213900001", as_of=AS_OF)] == [
        "unknown_province",
        "unknown_regency",
        "unknown_district",
        "birth_date",
    ]


def test_value_sets_follow_the_reference():
    assert len(RELIGIONS) == 7 and "KEPERCAYAAN TERHADAP TUHAN YME" in RELIGIONS
    assert MARITAL_STATUSES == ("BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI")
    assert len(BLOOD_TYPES) == 13 and BLOOD_TYPES[-1] == "-" and len(set(BLOOD_TYPES)) == 13
    assert len(OCCUPATIONS) == 89 and len(set(OCCUPATIONS)) == 89
    assert (OCCUPATIONS[0], OCCUPATIONS[63], OCCUPATIONS[87], OCCUPATIONS[88]) == (
        "BELUM/TIDAK BEKERJA",
        "DOSEN",
        "WIRASWASTA",
        "LAINNYA",
    )


SAMPLE = KtpData(
    nik="3204125708900003", name="SITI AMINAH", region="BANDUNG", date_of_birth="17-08-1990", gender="female",
    blood_type="O", address="JL. MERDEKA NO. 5", rt="001", rw="002", town="CANGKUANG WETAN",
    district="DAYEUHKOLOT", city="KABUPATEN BANDUNG", province="JAWA BARAT", religion="ISLAM",
    marital_status="KAWIN", occupation="GURU", citizenship="WNI", valid_until="SEUMUR HIDUP",
    issuance_date="01-02-2019", issue_place="KAB. BANDUNG",
)  # fmt: skip


def test_ktp_data_uses_the_api_keys_in_order():
    assert list(SAMPLE.to_ktp_data()) == [
        "nik", "name", "region", "dateOfBirth", "gender", "bloodType", "address", "rt", "rw", "town",
        "district", "city", "province", "religion", "maritalStatus", "occupation", "citizenship",
        "validUntil", "issuanceDate",
    ]  # fmt: skip
    assert SAMPLE.to_ktp_data()["dateOfBirth"] == "17-08-1990"
    assert "issue_place" not in API_KEYS


def test_ktp_data_round_trips_through_the_api_object():
    assert KtpData.from_ktp_data(SAMPLE.to_ktp_data(), issue_place="KAB. BANDUNG") == SAMPLE
    assert KtpData.from_ktp_data(SAMPLE.to_ktp_data()) == replace(SAMPLE, issue_place="")
