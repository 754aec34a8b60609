import numpy as np
import pytest

from mock_gateway.ocr.extraction import BLUR, GLARE, LOW_RESOLUTION, NOT_DETECTED, OBSTRUCTION, OK
from mock_gateway.ocr.locate import find_card, rectify
from mock_gateway.ocr.quality import CHECKS, QualityReport, assess
from synthetic_ktp import generate_card
from tests.test_ocr_locate import CAMERA_SEEDS, photo


def report(image: np.ndarray) -> QualityReport:
    location = find_card(image)
    return assess(image, location, None if location is None else rectify(image, location))


def verdict(seed: int, preset: str) -> str:
    return report(photo(seed, preset)).verdict


@pytest.mark.parametrize("seed", [1000, 1001])
def test_a_flat_scan_is_ok(seed):
    measured = report(photo(seed, "clean")).measurements
    assert report(photo(seed, "clean")).verdict == OK
    assert measured["width_px"] == 1012.0
    assert measured["glare_px"] == 0.0
    assert measured["obstruction_fraction"] == 0.0
    assert measured["anchor_score"] > 0.99


@pytest.mark.parametrize("seed", CAMERA_SEEDS)
def test_camera_photos_are_ok_even_with_a_highlight_clear_of_the_text(seed):
    assert verdict(seed, "camera") == OK


@pytest.mark.parametrize("seed", [1023, 1097])  # a highlight in the empty end of the text rows, clear of the words
def test_a_highlight_in_a_text_row_but_off_the_words_stays_under_the_threshold(seed):
    assert "glare" in generate_card(seed, "camera").photo.degradations
    measured = report(photo(seed, "camera"))
    assert 2000 < measured.measurements["glare_px"] < 10000
    assert measured.verdict == OK


@pytest.mark.parametrize(
    ("seed", "defect", "expected"),
    [
        (1000, "cut_off", NOT_DETECTED),
        (1039, "low_light", NOT_DETECTED),  # exposure 0.055: a nearly black frame
        (1014, "downscale", LOW_RESOLUTION),
        (1001, "defocus", BLUR),
        (1018, "motion_blur", BLUR),
        (1002, "glare", GLARE),  # over the NIK
        (1010, "glare", GLARE),  # over the name
        (1045, "glare", GLARE),  # over the issue place, under the portrait
        (1008, "occlude", OBSTRUCTION),  # a thumb over the NIK, from the left
        (1033, "occlude", OBSTRUCTION),  # over the religion
        (1373, "occlude", OBSTRUCTION),  # over the issue place, from the right past the portrait
    ],
)
def test_each_harsh_defect_gets_its_retry_reason(seed, defect, expected):
    card = generate_card(seed, "harsh")
    assert card.photo.expected_quality == expected
    assert defect in card.photo.degradations
    assert verdict(seed, "harsh") == expected


@pytest.mark.parametrize(
    ("seed", "kind"),
    [(1000, "blank_stock"), (1002, "other_card"), (1003, "document"), (1004, "scene"), (1006, "plain_card")],
)
def test_what_is_not_an_ektp_is_not_detected(seed, kind):
    assert generate_card(seed, "negative").photo.degradations["negative"]["kind"] == kind
    assert verdict(seed, "negative") == NOT_DETECTED


def test_blank_card_stock_is_found_but_shows_no_layout():
    found = report(photo(1000, "negative"))
    assert found.measurements["touches_border"] == 0.0
    assert found.measurements["anchor_score"] == 0.0
    assert found.verdict == NOT_DETECTED


def test_a_mirrored_card_shows_text_rows_but_not_the_layout():
    mirrored = np.ascontiguousarray(photo(1004, "camera")[:, ::-1])
    measured = report(mirrored).measurements
    assert 0.0 < measured["anchor_score"] < 0.6
    assert report(mirrored).verdict == NOT_DETECTED


def test_an_upside_down_card_is_not_read_as_one():
    turned = np.ascontiguousarray(photo(1004, "camera")[::-1, ::-1])
    assert report(turned).verdict == NOT_DETECTED


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((0, 0, 3), np.uint8),
        np.zeros((1, 1, 3), np.uint8),
        np.full((5, 9, 3), 255, np.uint8),
        np.zeros((960, 1280, 3), np.uint8),
        np.full((960, 1280, 3), 255, np.uint8),
        np.full((1, 20000, 3), (240, 222, 196), np.uint8),
        np.full((20000, 1, 3), (240, 222, 196), np.uint8),
    ],
    ids=["empty", "1x1", "tiny white", "black", "white", "wide strip", "tall strip"],
)
def test_degenerate_images_are_not_detected(image):
    assert report(image).verdict == NOT_DETECTED


def test_a_card_the_size_of_a_thumbnail_is_low_resolution():
    tiny = photo(1000, "clean")[::4, ::4].copy()  # 253x160
    assert report(tiny).verdict == LOW_RESOLUTION


def test_the_verdict_comes_from_its_measurements():
    measured = report(photo(1001, "harsh")).measurements
    assert set(measured) == {
        "width_px", "touches_border", "card_level", "anchor_score", "sharpness", "glare_px", "obstruction_fraction",
    }  # fmt: skip
    assert measured["sharpness"] < 0.15 <= report(photo(1001, "camera")).measurements["sharpness"]


@pytest.mark.parametrize(
    ("nudged", "expected"),
    [
        ({"sharpness": 0.17}, BLUR),
        ({"glare_px": 9000.0}, GLARE),
        ({"obstruction_fraction": 0.18}, OBSTRUCTION),
        ({"width_px": 560.0}, LOW_RESOLUTION),
    ],
)
def test_the_likeliest_defect_is_the_measurement_nearest_its_threshold(nudged, expected):
    clean = report(photo(1000, "clean")).measurements
    assert QualityReport(OK, clean | nudged).likeliest_defect() == expected


def test_a_failed_verdict_is_its_own_likeliest_defect():
    assert report(photo(1002, "harsh")).likeliest_defect() == GLARE
    assert QualityReport(NOT_DETECTED, {}).likeliest_defect() == NOT_DETECTED


def test_checks_run_in_the_retry_order():
    order = [NOT_DETECTED, LOW_RESOLUTION, BLUR, GLARE, OBSTRUCTION]
    assert sorted({check.reason for check in CHECKS}, key=order.index) == order
    assert [check.reason for check in CHECKS] == sorted((check.reason for check in CHECKS), key=order.index)


def test_the_same_pixels_give_the_same_report():
    assert report(photo(1033, "harsh")) == report(photo(1033, "harsh").copy())
