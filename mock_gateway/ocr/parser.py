"""Text lines from any reader -> ktpData: labels found by fuzzy keywords, every value held to its field's rules.

Readers differ: the template reader labels each line, tesseract gives raw lines ("Nama : SITI", with
`:` misread and labels misspelt). Both end here, so every backend obeys the same constraints: the NIK is
16 digits, dates are DD-MM-YYYY, enumerations and region names snap to their value sets within a
distance bound (Damerau-Levenshtein), free text keeps the card's alphabet. A value that is too far
from every allowed value is kept as read, with a confidence that says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from rapidfuzz.distance import DamerauLevenshtein

from mock_gateway.ocr.extraction import (
    CITY_HEADER,
    ISSUE_DATE,
    ISSUE_PLACE,
    NIK_INCONSISTENT,
    NIK_REGION_DIFFERS,
    PROVINCE_HEADER,
    ROW_LABELS,
    TextLine,
)
from synthetic_ktp import regions
from synthetic_ktp.model import (
    API_KEYS,
    BLOOD_TYPES,
    CITIZENSHIPS,
    LIFETIME_VALIDITY,
    MARITAL_STATUSES,
    OCCUPATIONS,
    PRINTED_GENDER,
    RELIGION_SPELLINGS,
    RELIGIONS,
    validate_nik,
)

LABEL_ERROR_SHARE = 0.25  # a label may be misread in this share of its letters (at least one)
VALUE_ERROR_SHARE = 0.3  # a value snaps to an allowed value at most this share of its letters away (at least one)
NIK_LENGTH = 16

# Characters OCR engines put in place of a digit, used only where a digit must stand.
DIGIT_LOOKALIKES = str.maketrans({
    "O": "0", "o": "0", "D": "0", "Q": "0", "U": "0",
    "I": "1", "l": "1", "|": "1", "!": "1", "i": "1", "L": "1",
    "Z": "2", "z": "2",
    "A": "4",
    "S": "5", "s": "5",
    "G": "6", "b": "6",
    "?": "7",
    "B": "8",
    "g": "9", "q": "9",
})  # fmt: skip
# And the letters a digit stands in for, where only letters can stand (names, enumerations).
LETTER_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "8": "B"})
QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "—": "-", "–": "-", "：": ":"})
FREE_TEXT = re.compile(r"[^A-Z0-9 .,\-/'()]")
SEPARATOR_CHARS = ":;.,!|-=_~"  # what a printed colon comes out as (dashes and full-width colons normalised first)
SEPARATOR_TOKEN = re.compile(rf"^\s*(?:[{re.escape(SEPARATOR_CHARS)}]+|[12Il][{re.escape(SEPARATOR_CHARS)}]*)\s+(?=\S)")
LEADING_SEPARATORS = re.compile(rf"^[\s{re.escape(SEPARATOR_CHARS)}]+")
# Abbreviations printed with a period, whose period OCR reads as a comma or loses: street words in Alamat, a
# title before a name.
ADDRESS_ABBREVIATION = re.compile(r"\b(JL|GG|NO|KOMP)[.,]?(?= )")
NAME_TITLE = re.compile(r"^(DT|R|T|TGK|DR|DRG|DRS|IR|H|HJ|KH), ")
DATE = re.compile(r"(\d{2})\D{0,2}(\d{2})\D{0,2}(\d{4})")
TRAILING_SHORT_WORDS = re.compile(r"( \S{1,2})+$")  # noise after a value, e.g. `GURU K`
TRAILING_DIGIT_WORDS = re.compile(r"(?:\s+\S*\d\S*)+\s*$")
RT_RW = re.compile(r"(\d{3})(?:\D{1,2}|[17]|)(\d{3})(?!\d)")  # the slash may be read as 1 or 7

HEADERS = (PROVINCE_HEADER, CITY_HEADER)
UNDER_PHOTO = (ISSUE_PLACE, ISSUE_DATE)
ADDRESS, GENDER, BLOOD = "Alamat", "Jenis Kelamin", "Gol. Darah"
CITY_KINDS = ("KABUPATEN", "KOTA")
ADMINISTRATIVE = "ADMINISTRASI"
ISSUE_PLACE_KINDS = ("KAB", "KOTA")
FOREIGNER = "WNA"  # printed on a foreigner's KTP-el: never to be snapped to WNI


@dataclass(frozen=True)
class ParsedKtp:
    """ktpData read from a card: values, how sure each one is, and what the NIK checks found."""

    fields: dict[str, str]
    confidence: dict[str, float]
    flags: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Value:
    """The text a reader gave for one label, and how sure the reader was."""

    text: str
    confidence: float


@dataclass(frozen=True)
class _Snap:
    """A value held to its value set: the allowed value it is (None if none is near) and the similarity."""

    value: str | None
    similarity: float


@dataclass
class _Fields:
    """The fields being filled, each with its confidence."""

    values: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)

    def put(self, key: str, value: str | None, reader_confidence: float, similarity: float) -> None:
        if value:
            self.values[key] = value
            self.confidence[key] = round(reader_confidence * similarity, 4)


def parse(lines: list[TextLine], *, as_of: date) -> ParsedKtp:
    """ktpData from a reader's lines, in reading order; `as_of` fixes the NIK's century."""
    slots = _slots(lines)
    found = _Fields()
    nik = _nik(found, slots)
    _person(found, slots)
    printed_codes = _regions(found, slots, nik)
    fields = {key: found.values[key] for key in API_KEYS.values() if key in found.values}
    confidence = {key: found.confidence[key] for key in fields}
    if nik is None:
        return ParsedKtp(fields, confidence)
    problems = [problem.message for problem in validate_nik(
        nik, as_of=as_of, printed_birth_date=fields.get("dateOfBirth"), printed_gender=fields.get("gender"))]
    flags = [NIK_INCONSISTENT] if problems else []
    if elsewhere := _registered_elsewhere(nik, printed_codes):
        flags.append(NIK_REGION_DIFFERS)
        problems.append(elsewhere)
    return ParsedKtp(fields, confidence, tuple(flags), tuple(problems))


# --- which line is which -------------------------------------------------------------------------


def _key(text: str) -> str:
    """Letters and digits only, upper-cased: how labels are compared."""
    return "".join(char for char in text.upper() if char.isalnum())


LABEL_KEYS: dict[str, str] = {label: _key(label) for label in ROW_LABELS}


def _bound(length: int, share: float) -> int:
    return max(1, int(length * share))


def _prefix_match(text: str, key: str) -> tuple[int, int] | None:
    """(distance, end) when `text` starts with `key` give or take a few misread letters, else None."""
    positions = [index for index, char in enumerate(text) if char.isalnum()]
    letters = "".join(text[index] for index in positions).upper()
    lengths = sorted(range(max(1, len(key) - 2), min(len(letters), len(key) + 2) + 1), key=lambda n: abs(n - len(key)))
    best: tuple[int, int] | None = None
    for length in lengths:
        distance = DamerauLevenshtein.distance(letters[:length], key)
        if distance <= _bound(len(key), LABEL_ERROR_SHARE) and (best is None or distance < best[0]):
            best = (distance, positions[length - 1] + 1)
    return best


def _row_label(text: str) -> tuple[str, str] | None:
    """The printed row label a raw line starts with, and the rest of the line."""
    matches = [(match, label) for label, key in LABEL_KEYS.items() if (match := _prefix_match(text, key))]
    if not matches:
        return None
    (_, end), label = min(matches, key=lambda item: (item[0][0] / len(LABEL_KEYS[item[1]]), -len(LABEL_KEYS[item[1]])))
    return label, text[end:]


def _after_separator(text: str) -> str:
    """The value after a label in a raw line: drop the printed colon whatever it was read as (`1` too)."""
    return _without_colon(SEPARATOR_TOKEN.sub("", text, count=1))


def _without_colon(text: str) -> str:
    """Drop leading colon-like marks, unless they are the whole value (Gol. Darah `-`)."""
    return LEADING_SEPARATORS.sub("", text) or text.strip()


def _split_blood(value: str) -> tuple[str, str | None]:
    """Jenis Kelamin and Gol. Darah share a printed line: (gender text, blood text or None)."""
    key = LABEL_KEYS[BLOOD]
    for start in (match.start() for match in re.finditer(r"\S+", value)):
        found = _prefix_match(value[start:], key)
        if found is not None:
            return value[:start], _after_separator(value[start + found[1] :])
    return value, None


def _slots(lines: Iterable[TextLine]) -> dict[str, list[_Value]]:
    """Each label's values: a reader's label is taken as given, an unlabelled line is recognised."""
    slots: dict[str, list[_Value]] = {}
    previous: str | None = None
    for line in lines:
        text = line.text.translate(QUOTES).strip()
        if not text:
            continue
        slot, value = _recognise(line.label, text, previous, slots)
        if slot is None:
            previous = None
            continue
        if slot == GENDER:
            value, blood = _split_blood(value)
            if blood is not None:
                slots.setdefault(BLOOD, []).append(_Value(blood, line.confidence))
        slots.setdefault(slot, []).append(_Value(value, line.confidence))
        previous = slot
    return slots


def _recognise(
    label: str | None, text: str, previous: str | None, slots: dict[str, list[_Value]]
) -> tuple[str | None, str]:
    """(slot, value) for one line; slot None for noise."""
    if label in (*HEADERS, *UNDER_PHOTO):
        return label, text
    if label is not None:
        return (label if label in LABEL_KEYS else ADDRESS if previous == ADDRESS else None), _without_colon(text)
    if _prefix_match(text, _key(PROVINCE_HEADER)):
        return PROVINCE_HEADER, text
    row = _row_label(text)
    if row is not None:
        return row[0], _after_separator(row[1])
    if not any(slot in LABEL_KEYS for slot in slots):
        is_city = PROVINCE_HEADER in slots or any(_prefix_match(text, kind) for kind in CITY_KINDS)
        return (CITY_HEADER if is_city and CITY_HEADER not in slots else None), text
    if previous == ADDRESS and len(slots[ADDRESS]) == 1:
        return ADDRESS, text
    if _date(text).value is not None and len(_key(text)) <= 10:
        return ISSUE_DATE, text
    if any(_prefix_match(text, kind) for kind in ISSUE_PLACE_KINDS):
        return ISSUE_PLACE, text
    return None, text


# --- value constraints ---------------------------------------------------------------------------


def _similarity(read: str, value: str) -> float:
    return float(DamerauLevenshtein.normalized_similarity(read, value))


def _snap(read: str, choices: Iterable[tuple[str, str]]) -> _Snap:
    """The value whose printed form is nearest `read`, if within the bound and not tied with another value."""
    ranked = sorted((DamerauLevenshtein.distance(read, printed), value, printed) for printed, value in choices)
    if not read or not ranked:
        return _Snap(None, 0.0)
    distance, value, printed = ranked[0]
    tied = [other for other_distance, other, _ in ranked[1:] if other_distance == distance and other != value]
    if distance > _bound(len(printed), VALUE_ERROR_SHARE) or tied:
        return _Snap(None, _similarity(read, printed))
    return _Snap(value, _similarity(read, printed))


def _words(text: str) -> str:
    return " ".join(text.split())


def _letters_text(text: str) -> str:
    """Upper-case letters text for enumerations: digits read in place of letters are put back."""
    return _words(FREE_TEXT.sub("", text.upper().translate(LETTER_LOOKALIKES)))


def _free_text(text: str) -> str:
    """The card's alphabet: upper-case letters, digits, spaces and . , - / ' ( )."""
    return _words(FREE_TEXT.sub(" ", text.upper())).lstrip(".,-/ ")


def _digits(text: str) -> str:
    return "".join(char for char in text.translate(DIGIT_LOOKALIKES) if char.isdigit())


def _date(text: str) -> _Snap:
    """DD-MM-YYYY of a real day, digits read as letters put back."""
    match = DATE.search(text.translate(DIGIT_LOOKALIKES))
    if match is None:
        return _Snap(None, 0.0)
    day, month, year = (int(group) for group in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return _Snap(None, 0.0)
    value = f"{day:02d}-{month:02d}-{year:04d}"
    return _Snap(value, _similarity(text.strip(), value))


def _enum(text: str, values: Iterable[str], spellings: dict[str, str] | None = None) -> _Snap:
    """Snap to a value set; failing that, without trailing one- or two-letter words (no value ends in one)."""
    read = _letters_text(text)
    choices = [*((value, value) for value in values), *(spellings or {}).items()]
    snapped = _snap(read, choices)
    trimmed = TRAILING_SHORT_WORDS.sub("", read)
    if snapped.value is not None or trimmed == read:
        return snapped
    retried = _snap(trimmed, choices)
    return _Snap(retried.value, _similarity(read, retried.value)) if retried.value else snapped


def _first(slots: dict[str, list[_Value]], slot: str) -> _Value | None:
    values = slots.get(slot)
    return values[0] if values else None


# --- the fields ----------------------------------------------------------------------------------


def _nik(found: _Fields, slots: dict[str, list[_Value]]) -> str | None:
    line = _first(slots, "NIK")
    if line is None:
        return None
    digits = _digits(line.text)
    if len(digits) != NIK_LENGTH:
        return None
    found.put("nik", digits, line.confidence, _similarity(_key(line.text), digits))
    return digits


def _person(found: _Fields, slots: dict[str, list[_Value]]) -> None:
    """Everything about the holder that is not a region name (those need the headers first)."""
    if name := _first(slots, "Nama"):
        value = NAME_TITLE.sub(r"\1. ", _free_text(name.text.translate(LETTER_LOOKALIKES)))
        found.put("name", value, name.confidence, _similarity(_free_text(name.text), value))
    if birth := _first(slots, "Tempat/Tgl Lahir"):
        place, day = _place_and_date(birth.text)
        born = _date(day)
        found.put("dateOfBirth", born.value, birth.confidence, born.similarity)
        snapped = _snap(_letters_text(place), ((name, name) for name in _birth_places()))
        found.put("region", snapped.value or _letters_text(place), birth.confidence, snapped.similarity)
    if gender := _first(slots, GENDER):
        snapped = _enum(gender.text, (), {printed: key for key, printed in PRINTED_GENDER.items()})
        found.put("gender", snapped.value, gender.confidence, snapped.similarity)
    if blood := _first(slots, BLOOD):
        _blood_type(found, blood)
    if address := slots.get(ADDRESS):
        value = ADDRESS_ABBREVIATION.sub(r"\1.", " ".join(_free_text(line.text) for line in address))
        raw = " ".join(line.text.strip() for line in address)
        found.put("address", value, min(line.confidence for line in address), _similarity(raw.upper(), value))
    if rt_rw := _first(slots, "RT/RW"):
        _rt_rw(found, rt_rw)
    for slot, key, values, spellings in (
        ("Agama", "religion", RELIGIONS, RELIGION_SPELLINGS),
        ("Status Perkawinan", "maritalStatus", MARITAL_STATUSES, None),
        ("Pekerjaan", "occupation", OCCUPATIONS, None),
        ("Kewarganegaraan", "citizenship", (*CITIZENSHIPS, FOREIGNER), None),
    ):
        if line := _first(slots, slot):
            snapped = _enum(line.text, values, spellings)
            found.put(key, snapped.value or _letters_text(line.text), line.confidence, snapped.similarity)
    if valid := _first(slots, "Berlaku Hingga"):
        is_date = sum(char.isdigit() for char in valid.text) >= 4  # older cards print a date
        snapped = _date(valid.text) if is_date else _enum(valid.text, (LIFETIME_VALIDITY,))
        found.put("validUntil", snapped.value, valid.confidence, snapped.similarity)
    if issued := _first(slots, ISSUE_DATE):
        day = _date(issued.text)
        found.put("issuanceDate", day.value, issued.confidence, day.similarity)


def _place_and_date(text: str) -> tuple[str, str]:
    """`BANDUNG, 17-08-1990` split at its comma; without one, the date is the trailing words with digits."""
    place, comma, day = text.rpartition(",")
    if comma:
        return place, day
    match = TRAILING_DIGIT_WORDS.search(text)
    return (text[: match.start()], match.group()) if match else (text, "")


def _blood_type(found: _Fields, line: _Value) -> None:
    """One of the 13 printed blood types; `0`/`8` read for `O`/`B` are put back, nothing else is guessed."""
    read = "".join(char for char in line.text.upper().translate(LETTER_LOOKALIKES) if char in "ABO+-")
    if read in BLOOD_TYPES:
        found.put("bloodType", read, line.confidence, _similarity(line.text.strip(), read))


def _rt_rw(found: _Fields, line: _Value) -> None:
    digits = line.text.translate(DIGIT_LOOKALIKES)
    match = RT_RW.search(digits)
    if match is None:
        return
    similarity = _similarity(line.text.strip(), f"{match.group(1)}/{match.group(2)}")
    found.put("rt", match.group(1), line.confidence, similarity)
    found.put("rw", match.group(2), line.confidence, similarity)


# --- regions -------------------------------------------------------------------------------------


@cache
def _province_names() -> dict[str, str]:
    """Printed province name -> code."""
    return {regions.name_of(code) or code: code for code in regions.province_codes()}


@cache
def _regencies(province_code: str | None) -> tuple[tuple[str, str, str], ...]:
    """(kind, bare name, code) of every kabupaten/kota in one province, or in all."""
    return tuple(
        ((regions.name_of(code) or "").split(" ")[0], regions.bare_regency_name(code), code)
        for code in regions.regency_codes()
        if province_code is None or code.startswith(province_code + ".")
    )


@cache
def _birth_places() -> frozenset[str]:
    """The printed places of birth: every kabupaten/kota's bare name."""
    return frozenset(regions.bare_regency_name(code) for code in regions.regency_codes())


def _header_name(text: str) -> str:
    """A region name from a header: no province or kabupaten/kota name has a one-letter word, noise does."""
    return " ".join(word for word in _letters_text(text).split() if len(word) > 1)


def _strip_keyword(text: str, keyword: str) -> str | None:
    """`text` without a leading (fuzzy) keyword, or None if it does not start with it."""
    found = _prefix_match(text, keyword)
    return text[found[1] :] if found else None


def _province(found: _Fields, slots: dict[str, list[_Value]]) -> str | None:
    line = _first(slots, PROVINCE_HEADER)
    if line is None:
        return None
    bare = _header_name(_strip_keyword(line.text, _key(PROVINCE_HEADER)) or line.text)
    names = _province_names()
    snapped = _snap(bare, ((name, name) for name in names))
    found.put("province", snapped.value or bare, line.confidence, snapped.similarity)
    return names.get(snapped.value) if snapped.value else None


def _city(found: _Fields, slots: dict[str, list[_Value]], province_code: str | None) -> str | None:
    """The KABUPATEN/KOTA header; without its prefix (Jakarta's `JAKARTA PUSAT`) any kind may match."""
    line = _first(slots, CITY_HEADER)
    if line is None:
        return None
    kinds, rest = CITY_KINDS, line.text
    for kind in CITY_KINDS:
        if (stripped := _strip_keyword(rest, kind)) is not None:
            kinds, rest = (kind,), stripped
            break
    rest = _strip_keyword(rest, ADMINISTRATIVE) or rest
    bare = _header_name(rest)
    snapped = _snap(bare, ((name, code) for kind, name, code in _regencies(province_code) if kind in kinds))
    if snapped.value is None:
        found.put("city", _letters_text(line.text), line.confidence, snapped.similarity)
        return None
    found.put("city", regions.name_of(snapped.value), line.confidence, snapped.similarity)
    return snapped.value


def _regions(found: _Fields, slots: dict[str, list[_Value]], nik: str | None) -> tuple[str | None, ...]:
    """Headers first, then Kecamatan within the kabupaten/kota and Kel/Desa within the kecamatan.

    Returns the codes the printed province, kabupaten/kota and kecamatan snapped to (None where they did not).
    """
    province_code = _province(found, slots)
    header_regency = _city(found, slots, province_code)
    regency_code = header_regency
    if regency_code is None and nik is not None and province_code in (None, nik[:2]):
        regency_code = f"{nik[:2]}.{nik[2:4]}" if regions.name_of(f"{nik[:2]}.{nik[2:4]}") else None
    district_code = _place(found, slots, "Kecamatan", "district",
                           regions.districts_of(regency_code) if regency_code else ())  # fmt: skip
    _place(found, slots, "Kel/Desa", "town", regions.villages_of(district_code) if district_code else ())
    return province_code, header_regency, district_code


def _registered_elsewhere(nik: str, printed_codes: tuple[str | None, ...]) -> str | None:
    """Why the NIK's region is not the printed one: a holder who moved keeps the NIK, or the NIK was misread."""
    printed = next((code for code in reversed(printed_codes) if code is not None), None)
    if printed is None:
        return None
    nik_code = ".".join(nik[start : start + 2] for start in range(0, len(printed.replace(".", "")), 2))
    if nik_code == printed:
        return None
    registered = f"{nik_code} {regions.name_of(nik_code) or '(no such region)'}"
    return f"the NIK is of region {registered}, the card shows {printed} {regions.name_of(printed)}"


def _place(found: _Fields, slots: dict[str, list[_Value]], slot: str, key: str, codes: Iterable[str]) -> str | None:
    """Snap a Kecamatan or Kel/Desa to its siblings' names; the code it snapped to, or None."""
    line = _first(slots, slot)
    if line is None:
        return None
    read = _free_text(line.text)
    names = {regions.name_of(code) or code: code for code in codes}
    snapped = _snap(read, ((name, name) for name in names))
    found.put(key, snapped.value or read, line.confidence, snapped.similarity)
    return names[snapped.value] if snapped.value else None
