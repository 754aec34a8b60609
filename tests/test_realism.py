"""An independent OCR engine (RapidOCR, a dev dependency with its models in the wheel) reads our cards."""

from dataclasses import replace

import pytest

from benchmarks.realism import load_engine, score
from synthetic_ktp import card_seed, generate_card


@pytest.fixture(scope="module")
def engine():
    return load_engine()


def test_rapidocr_reads_the_printed_values_of_clean_cards(engine):
    read = total = 0
    for index in range(3):
        card = generate_card(card_seed(777, index), "clean")
        results = score(engine, card)
        assert results["nik"] == [True], card.truth.nik
        read += sum(sum(values) for values in results.values())
        total += sum(len(values) for values in results.values())
    assert total >= 3 * 20
    assert read / total >= 0.95


def test_the_scorer_notices_a_wrong_value(engine):
    card = generate_card(card_seed(777, 0), "clean")
    wrong = replace(card, truth=replace(card.truth, nik="1111111111111111", name=card.truth.name + "X"))
    results = score(engine, wrong)
    assert results["nik"] == [False] and results["name"] == [False]
