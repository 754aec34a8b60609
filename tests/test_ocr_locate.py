from functools import cache

import cv2
import numpy as np
import pytest

from mock_gateway.ocr.locate import CardLocation, find_card, rectify
from synthetic_ktp import generate_card
from synthetic_ktp.render import CARD_SIZE

CAMERA_SEEDS = (1000, 1003, 1004, 1006, 1021, 1024)  # turned up to 9.7 degrees, tipped up to 7.9; 1003 and 1024 glare
FLAT_CORNERS = [[0.0, 0.0], [1012.0, 0.0], [1012.0, 638.0], [0.0, 638.0]]


@cache
def photo(seed: int, preset: str) -> np.ndarray:
    """The generator's image for `seed` as the decoder hands it over: BGR uint8."""
    pixels = cv2.cvtColor(np.asarray(generate_card(seed, preset).image), cv2.COLOR_RGB2BGR)
    pixels.flags.writeable = False
    return pixels


def true_corners(seed: int, preset: str) -> np.ndarray:
    return np.array(generate_card(seed, preset).photo.corners)


def offset_from_flat_card(card: np.ndarray, seed: int) -> np.ndarray:
    """How far (x, y) a rectified card sits from the flat render of the same seed, to a fraction of a pixel."""
    flat = cv2.cvtColor(photo(seed, "clean"), cv2.COLOR_BGR2GRAY).astype(np.float32)
    (dx, dy), _ = cv2.phaseCorrelate(flat, cv2.cvtColor(card, cv2.COLOR_BGR2GRAY).astype(np.float32))
    return np.array([dx, dy])


def test_a_flat_scan_is_its_own_card():
    location = find_card(photo(1000, "clean"))
    assert location.corners.tolist() == FLAT_CORNERS
    assert location.width_px == 1012.0
    assert location.touches_border is False
    assert np.array_equal(rectify(photo(1000, "clean"), location), photo(1000, "clean"))


@pytest.mark.parametrize("seed", CAMERA_SEEDS)
def test_camera_corners_are_found_to_a_pixel(seed):
    location = find_card(photo(seed, "camera"))
    errors = np.linalg.norm(location.corners - true_corners(seed, "camera"), axis=1)
    assert errors.max() < 1.0
    assert location.touches_border is False
    tl, tr, br, bl = true_corners(seed, "camera")
    assert location.width_px == pytest.approx((np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2, abs=1.0)


def test_corners_are_found_to_a_fifth_of_a_pixel_typically():
    errors = [np.linalg.norm(find_card(photo(seed, "camera")).corners - true_corners(seed, "camera"), axis=1)
              for seed in CAMERA_SEEDS]  # fmt: skip
    assert np.median(errors) < 0.2


@pytest.mark.parametrize("seed", CAMERA_SEEDS[:3])
def test_rectify_puts_every_card_point_where_the_flat_card_has_it(seed):
    image = photo(seed, "camera")
    exact = CardLocation(true_corners(seed, "camera"), 0.0, touches_border=False)
    assert rectify(image, exact).shape == (CARD_SIZE[1], CARD_SIZE[0], 3)
    assert np.abs(offset_from_flat_card(rectify(image, exact), seed)).max() < 0.05
    assert np.abs(offset_from_flat_card(rectify(image, find_card(image)), seed)).max() < 0.25


@pytest.mark.parametrize(("seed", "covered"), [(1008, "nik"), (1373, "issuePlace")])
def test_corners_hold_under_a_thumb_over_the_card_edge(seed, covered):
    assert generate_card(seed, "harsh").photo.degradations["occlude"]["field"] == covered
    errors = np.linalg.norm(find_card(photo(seed, "harsh")).corners - true_corners(seed, "harsh"), axis=1)
    assert errors.max() < 1.5


def test_corners_hold_under_a_highlight_over_text():
    assert generate_card(1002, "harsh").photo.degradations["glare"]["field"] == "nik"
    errors = np.linalg.norm(find_card(photo(1002, "harsh")).corners - true_corners(1002, "harsh"), axis=1)
    assert errors.max() < 1.5


@pytest.mark.parametrize("seed", [1000, 1003, 1005])
def test_a_card_running_off_the_frame_touches_the_border(seed):
    assert "cut_off" in generate_card(seed, "harsh").photo.degradations
    location = find_card(photo(seed, "harsh"))
    assert location is None or location.touches_border is True


def test_a_low_resolution_card_is_found_at_its_size():
    image = photo(1014, "harsh")
    assert image.shape[:2] == (158, 211)
    location = find_card(image)
    assert location.touches_border is False
    assert location.width_px == pytest.approx(189.05, abs=0.5)
    assert np.linalg.norm(location.corners - true_corners(1014, "harsh"), axis=1).max() < 1.0


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((1, 1, 3), np.uint8),
        np.zeros((7, 7, 3), np.uint8),
        np.zeros((960, 1280, 3), np.uint8),
        np.full((960, 1280, 3), 255, np.uint8),
        np.full((2, 5000, 3), (240, 222, 196), np.uint8),
        np.full((5000, 2, 3), (240, 222, 196), np.uint8),
        np.full((30, 30), 200, np.uint8),
    ],
    ids=["1x1", "7x7", "black", "white", "wide strip", "tall strip", "greyscale"],
)
def test_no_card_in_degenerate_images(image):
    assert find_card(image) is None


def test_odd_channel_layouts_are_read_like_bgr():
    bgr = photo(1004, "camera")
    expected = find_card(bgr).corners
    assert np.array_equal(find_card(cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)).corners, expected)
    assert find_card(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)) is None  # the stock's blue is what finds a card


def test_the_same_pixels_give_the_same_corners():
    first = find_card(photo(1021, "camera"))
    again = find_card(photo(1021, "camera").copy())
    assert np.array_equal(first.corners, again.corners)
    assert np.array_equal(rectify(photo(1021, "camera"), first), rectify(photo(1021, "camera").copy(), again))
