import random

import pytest

from synthetic_ktp import regions


def test_names_are_upper_cased_kemendagri_names():
    assert regions.name_of("32") == "JAWA BARAT"
    assert regions.name_of("32.73") == "KOTA BANDUNG"
    assert regions.name_of("32.04") == "KABUPATEN BANDUNG"
    assert regions.name_of("31.71.01.1001") == "GAMBIR"
    assert regions.name_of("32.99") is None


def test_issue_place_and_place_of_birth_forms():
    assert regions.issue_place("32.73") == "KOTA BANDUNG"
    assert regions.issue_place("32.04") == "KAB. BANDUNG"
    assert regions.issue_place("31.71") == "KOTA JAKARTA PUSAT"
    assert regions.bare_regency_name("31.01") == "KEPULAUAN SERIBU"


def test_a_region_is_one_chain_from_province_to_village():
    region = regions.region_of_village("31.71.01.1001")
    assert region == regions.Region(
        "31", "DAERAH KHUSUS IBUKOTA JAKARTA", "31.71", "KOTA ADMINISTRASI JAKARTA PUSAT", "31.71.01", "GAMBIR",
        "31.71.01.1001", "GAMBIR",
    )  # fmt: skip


def test_unknown_village_code_is_refused():
    with pytest.raises(KeyError):
        regions.region_of_village("32.99.01.2001")


def test_random_regions_cover_every_province_and_stay_consistent():
    rng = random.Random(5)
    drawn = [regions.random_region(rng) for _ in range(600)]
    assert len({region.province_code for region in drawn}) == 38
    for region in drawn:
        assert region.village_code.startswith(region.district_code + ".")
        assert region.district_code.startswith(region.regency_code + ".")
        assert region.village_code in regions.villages_of(region.district_code)
    assert len(regions.regency_codes()) == 514
