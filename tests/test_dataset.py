import json

import pytest

from synthetic_ktp import generate_card
from synthetic_ktp.dataset import DatasetSpec, card_seed, write_dataset
from synthetic_ktp.scenarios import scenario_named


def test_card_seeds_are_stable_and_distinct():
    assert card_seed(0, 0) == card_seed(0, 0)
    assert len({card_seed(seed, index) for seed in range(3) for index in range(100)}) == 300
    assert card_seed(7, 3) == 0xE6D23F57F809  # pinned: changing the derivation changes every dataset


def test_generate_card_is_deterministic_and_carries_its_truth():
    first, again = generate_card(seed=42, preset="camera"), generate_card(seed=42, preset="camera")
    assert first.image.tobytes() == again.image.tobytes()
    assert first.truth == again.truth and first.kind == "ktp"
    assert first.photo.degradations == again.photo.degradations
    assert generate_card(seed=43, preset="camera").truth != first.truth


def test_a_scenario_card_has_a_magic_serial_and_the_scenarios_outcome():
    card = generate_card(seed=5, scenario="system-error")
    assert int(card.truth.nik[-4:]) in scenario_named("system-error").serials
    assert card.expected_outcome.to_json() == {"status": "ERROR", "result": None, "reasonCode": "SYSTEM_ERROR"}


def test_negative_cards_have_no_truth_and_cannot_pass():
    card = generate_card(seed=5, preset="negative")
    assert card.kind == "negative" and card.truth is None and card.photo.expected_quality == "KTP_NOT_DETECTED"
    assert card.expected_outcome.reason_code == "IMAGE_QUALITY_INSUFFICIENT"


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="unknown preset 'blurry'"):
        generate_card(seed=1, preset="blurry")


def test_manifest_lines_follow_the_design_format(tmp_path):
    manifest = write_dataset(DatasetSpec(tmp_path, count=3, seed=9, preset="clean", video=True))
    entries = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert [entry["image"] for entry in entries] == ["000000.png", "000001.png", "000002.png"]
    assert [entry["video"] for entry in entries] == ["000000.y4m", "000001.y4m", "000002.y4m"]
    entry = entries[0]
    card = generate_card(seed=entry["seed"], preset="clean")
    assert entry["truth"] == card.truth.to_ktp_data()
    assert entry["printed"] == {"issuePlace": card.truth.issue_place}
    assert (entry["kind"], entry["preset"], entry["scenario"]) == ("ktp", "clean", "valid")
    assert entry["expected"] == {
        "quality": "OK",
        "outcome": {"status": "COMPLETED", "result": "VALID", "reasonCode": ""},
    }
    assert entry["boxes"]["nik"] == [list(card.boxes["nik"][0])]
    assert entry["corners"] == [[0, 0], [1012, 0], [1012, 638], [0, 638]]
    assert (tmp_path / "000002.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "000002.y4m").read_bytes().startswith(b"YUV4MPEG2 W1012 H638 ")
