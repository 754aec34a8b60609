"""Card steps: the synthetic KTP the user shows the camera, described the way QA talks about it."""

from __future__ import annotations

import random
from datetime import date
from functools import cache

from pytest_bdd import given, parsers

from conformance.plugin import KtpCard, make_card
from conformance.steps.context import World

SEED_SEARCH_LIMIT = 20_000
# how a feature describes a card's trouble -> the generator's scenario (its magic NIK serial range)
TROUBLES = {
    "glare over the NIK": "retry-glare",
    "blur": "retry-blur",
    "a finger over the text": "retry-obstruction",
    "glare on the first photo only": "retry-then-valid",
    "a NIK that does not match the card": "nik-inconsistent",
    "a system error": "system-error",
    "poor image quality": "image-quality",
    "slow processing": "slow",
    "a design that is not an e-KTP": "not-ektp",
}
CARD = (
    r"a synthetic KTP(?: of an? (?P<sex>man|woman))?(?: born in (?P<year>\d{4}))?"
    rf"(?: with (?P<trouble>{'|'.join(TROUBLES)}))?(?: \(seed (?P<seed>\d+)\))?"
)


@given(parsers.re(CARD), converters={"year": lambda text: int(text) if text else None,
                                    "seed": lambda text: int(text) if text else None})  # fmt: skip
def synthetic_ktp(world: World, sex: str | None, year: int | None, trouble: str | None, seed: int | None) -> None:
    """A camera photo of a synthetic e-KTP: `of a woman`, `born in 1990`, `with glare over the NIK`, `(seed 7)`."""
    scenario = TROUBLES[trouble] if trouble else None
    world.cards.append(card_matching("female" if sex == "woman" else "male" if sex else None, year, scenario,
                                     seed if seed is not None else 1))  # fmt: skip


@given("a photo with no KTP in it")
def photo_without_ktp(world: World) -> None:
    """A camera photo of something that is not a KTP (the gateway answers KTP_NOT_DETECTED)."""
    world.cards.append(make_card(1, "negative"))


@cache
def card_matching(gender: str | None, year: int | None, scenario: str | None, first_seed: int) -> KtpCard:
    """The first card from `first_seed` on whose holder has this sex and birth year (the same card every run)."""
    for seed in range(first_seed, first_seed + SEED_SEARCH_LIMIT):
        if _holder_matches(seed, scenario, gender, year):
            return make_card(seed, "camera", scenario)
    raise ValueError(f"no synthetic card of a {gender} born in {year} among {SEED_SEARCH_LIMIT} seeds")


def _holder_matches(seed: int, scenario: str | None, gender: str | None, year: int | None) -> bool:
    """Draw only the holder (as the generator does for `seed`), which is far cheaper than rendering the card."""
    if gender is None and year is None:
        return True
    from synthetic_ktp.dataset import shared_faker
    from synthetic_ktp.person import PersonOptions, make_person
    from synthetic_ktp.scenarios import DEFAULT_SCENARIO, scenario_named

    fake = shared_faker()
    fake.seed_instance(seed)
    chosen = scenario_named(scenario) if scenario else DEFAULT_SCENARIO
    holder = make_person(random.Random(seed), fake, PersonOptions(scenario=chosen))
    born = date(*reversed([int(part) for part in holder.date_of_birth.split("-")]))
    return (gender is None or holder.gender == gender) and (year is None or born.year == year)
