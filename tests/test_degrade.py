import hashlib
import json
import random
import subprocess
import sys
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from faker import Faker
from PIL import Image

from synthetic_ktp.degrade import (
    FRAME,
    HARSH_VERDICTS,
    PRESETS,
    QUALITY_VERDICTS,
    Shot,
    cut_off,
    downscale,
    expose,
    fade,
    field_box,
    flat,
    glare,
    jpeg,
    low_light,
    negative_photo,
    occlude,
    photograph,
    place_in_scene,
    to_photo,
)
from synthetic_ktp.person import PersonOptions, make_person
from synthetic_ktp.render import CARD_SIZE, RenderedCard, render_card
from synthetic_ktp.scenes import NEGATIVE_KINDS

SEEDS = range(40)
CARD_CORNERS = [[0.0, 0.0], [1012.0, 0.0], [1012.0, 638.0], [0.0, 638.0]]


@cache
def card(seed: int) -> RenderedCard:
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    return render_card(make_person(rng, fake, PersonOptions()), rng)


@cache
def photo(seed: int, preset: str):
    return photograph(card(seed), preset, random.Random(seed))


@cache
def magenta_photo(seed: int, preset: str):
    """A photo of a plain magenta card with the real card's boxes: its edges are easy to find."""
    real = card(seed)
    plain = RenderedCard(Image.new("RGB", CARD_SIZE, (255, 0, 255)), real.boxes, real.slots, real.label_boxes)
    return photograph(plain, preset, random.Random(seed))


def homography(corners) -> np.ndarray:
    return cv2.getPerspectiveTransform(np.float32(CARD_CORNERS), np.float32(corners))


def project(corners, box) -> np.ndarray:
    x0, y0, x1, y1 = box
    points = np.float64([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(points, homography(corners)).reshape(-1, 2)


def polygon_mask(size, polygon) -> np.ndarray:
    """Pixels whose centre lies inside `polygon` (continuous coordinates, pixel centres at +0.5)."""
    mask = np.zeros((size[1], size[0]), np.uint8)
    cv2.fillPoly(mask, [np.round((np.asarray(polygon) - 0.5) * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    return mask.astype(bool)


def pixels_in(image: Image.Image, corners, box) -> np.ndarray:
    return np.asarray(image)[polygon_mask(image.size, project(corners, box))].astype(int)


def visible_fraction(corners, size) -> float:
    quad = np.float32(corners)
    frame = np.float32([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]])
    inside, _ = cv2.intersectConvexConvex(quad, frame)
    return inside / cv2.contourArea(quad)


def edge_offsets(image: Image.Image, corners) -> list[float]:
    """Per card edge, the median distance (px, + outward) from the stated edge to the magenta boundary."""
    rgb = np.asarray(image).astype(np.float32)
    magenta = (rgb[..., 0] + rgb[..., 2]) / 2 - rgb[..., 1]
    quad = np.float64(corners)
    centre = quad.mean(axis=0)
    steps = np.arange(-10, 10.01, 0.25)
    offsets = []
    for start, end in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        along = (end - start) / np.linalg.norm(end - start)
        normal = np.array([along[1], -along[0]])
        normal = normal if normal @ (start - centre) > 0 else -normal
        found = []
        for t in np.linspace(0.2, 0.8, 25):
            points = start + t * (end - start) + steps[:, None] * normal
            if not ((points >= 1).all() and (points[:, 0] < image.size[0] - 1).all()
                    and (points[:, 1] < image.size[1] - 1).all()):  # fmt: skip
                continue
            coords = (points - 0.5).astype(np.float32)
            profile = cv2.remap(magenta, coords[:, 0:1], coords[:, 1:2], cv2.INTER_LINEAR)[:, 0]
            level = (profile[:8].mean() + profile[-8:].mean()) / 2
            crossing = np.flatnonzero(np.diff(np.sign(profile - level)))
            if profile[:8].mean() - profile[-8:].mean() > 100 and len(crossing) == 1:
                i = crossing[0]
                found.append(steps[i] + 0.25 * (profile[i] - level) / (profile[i] - profile[i + 1]))
        offsets.append(float(np.median(found)) if len(found) >= 5 else float("nan"))
    return offsets


def test_presets_and_verdicts_are_the_published_ones():
    assert PRESETS == ("clean", "camera", "harsh", "negative")
    assert QUALITY_VERDICTS == (
        "OK", "GLARE_DETECTED", "BLUR_DETECTED", "OBSTRUCTION_DETECTED", "KTP_NOT_DETECTED", "LOW_RESOLUTION",
    )  # fmt: skip


def test_unknown_preset_raises_with_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown preset 'blurry'.*clean, camera, harsh, negative"):
        photograph(card(0), "blurry", random.Random(0))


def test_clean_is_the_flat_card_untouched():
    shot = photo(1, "clean")
    assert shot.image.tobytes() == card(1).image.tobytes()
    assert shot.image.size == CARD_SIZE
    assert shot.corners == CARD_CORNERS
    assert shot.degradations == {}
    assert shot.expected_quality == "OK"


@pytest.mark.parametrize("preset", ["camera", "harsh"])
def test_same_seed_same_photo_and_other_seed_another(preset):
    first = photograph(card(3), preset, random.Random(3))
    again = photograph(card(3), preset, random.Random(3))
    other = photograph(card(3), preset, random.Random(4))
    assert first.image.tobytes() == again.image.tobytes()
    assert (first.corners, first.degradations, first.expected_quality) == (
        again.corners, again.degradations, again.expected_quality,
    )  # fmt: skip
    assert first.image.tobytes() != other.image.tobytes()
    assert first.degradations != other.degradations


def test_negative_same_seed_same_photo_and_other_seed_another():
    first = negative_photo(random.Random(5)).image.tobytes()
    assert negative_photo(random.Random(5)).image.tobytes() == first
    assert negative_photo(random.Random(6)).image.tobytes() != first


def _digest(seed: int) -> str:
    parts = [photograph(card(seed), preset, random.Random(seed)) for preset in ("camera", "harsh")]
    parts.append(negative_photo(random.Random(seed)))
    text = "".join(hashlib.sha256(p.image.tobytes()).hexdigest() + json.dumps([p.corners, p.degradations])
                   for p in parts)  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def test_same_bytes_in_a_fresh_process():
    here = str(Path(__file__).parent)
    script = f"import sys; sys.path.insert(0, {here!r}); from test_degrade import _digest; print(_digest(11))"
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert child.stdout.strip() == _digest(11)


def test_photographing_leaves_the_card_alone():
    before = card(2).image.tobytes()
    photograph(card(2), "harsh", random.Random(2))
    photograph(card(2), "camera", random.Random(2))
    assert card(2).image.tobytes() == before


@pytest.mark.parametrize("preset", ["camera", "harsh"])
def test_degradations_are_plain_json(preset):
    for seed in SEEDS:
        degradations = photo(seed, preset).degradations
        assert json.loads(json.dumps(degradations)) == degradations  # no tuples, no NumPy scalars
    assert json.loads(json.dumps(negative_photo(random.Random(0)).degradations))["negative"]["kind"]


def test_camera_is_an_ok_phone_photo():
    widths = []
    for seed in SEEDS:
        shot = photo(seed, "camera")
        steps = shot.degradations
        assert shot.expected_quality == "OK"
        assert shot.image.size == FRAME
        assert list(steps)[:3] == ["place_in_scene", "rotate", "tilt"]
        assert list(steps)[-1] == "jpeg"
        assert 60 <= steps["jpeg"]["quality"] <= 90
        assert abs(steps["rotate"]["degrees"]) <= 10
        assert 0 <= steps["tilt"]["degrees"] <= 8
        assert steps.get("defocus", {"sigma": 0})["sigma"] <= 1.0
        assert steps.get("motion_blur", {"length": 0})["length"] <= 4.5
        assert steps["low_light"]["exposure"] >= 0.8
        assert not {"occlude", "cut_off", "downscale"} & set(steps)
        corners = np.array(shot.corners)
        assert (corners >= 0).all()
        assert (corners[:, 0] <= FRAME[0]).all()
        assert (corners[:, 1] <= FRAME[1]).all()
        widths.append((np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[3])) / 2)
    assert 0.75 * FRAME[0] <= min(widths) < 0.8 * FRAME[0] < max(widths) <= 0.905 * FRAME[0]


def test_camera_capitals_stay_about_13_px_tall():
    heights = []
    for seed in SEEDS:
        shot = photo(seed, "camera")
        for label, box in card(seed).label_boxes.items():
            if label in (
                "Nama",
                "Kecamatan",
            ):  # no ascender above or descender below the capitals: 14 card px
                top_left, top_right, bottom_right, bottom_left = project(shot.corners, box)
                heights.append(np.linalg.norm((bottom_left + bottom_right - top_left - top_right) / 2))
    assert min(heights) >= 12.5
    assert np.median(heights) >= 13.5


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_camera_corners_are_the_card_edges(seed):
    shot = magenta_photo(seed, "camera")
    offsets = edge_offsets(shot.image, shot.corners)
    assert all(abs(offset) <= 0.3 for offset in offsets), offsets


def test_corners_are_still_the_edges_after_downscaling_and_cut_off():
    checked = set()
    for seed in SEEDS:
        shot = magenta_photo(seed, "harsh")
        if shot.expected_quality == "LOW_RESOLUTION" or "cut_off" in shot.degradations:
            offsets = [o for o in edge_offsets(shot.image, shot.corners) if not np.isnan(o)]
            assert offsets, seed
            assert all(abs(offset) <= 0.3 for offset in offsets), (seed, offsets)
            checked.add(shot.expected_quality)
    assert checked == {"LOW_RESOLUTION", "KTP_NOT_DETECTED"}


def flat_card_seen_at(seed: int, corners, size) -> np.ndarray:
    """The flat card's luminance warped to `corners`, for comparing with a photo pixel by pixel."""
    half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])  # continuous coordinates -> OpenCV pixel centres
    matrix = np.linalg.inv(half) @ homography(corners) @ half
    grey = np.asarray(card(seed).image.convert("L"), np.float32)
    return cv2.warpPerspective(grey, matrix, size, flags=cv2.INTER_LINEAR)


def test_camera_printed_text_is_where_the_corners_say():
    for seed in range(8):
        shot = photo(seed, "camera")
        grey = np.asarray(shot.image.convert("L"), np.float32)
        x0, y0, x1, y1 = field_box(card(seed), "nik")
        inside = polygon_mask(shot.image.size, project(shot.corners, (x0 - 6, y0 - 6, x1 + 6, y1 + 6)))
        nudged = [[x + 2.5, y] for x, y in shot.corners]
        matches = [
            np.corrcoef(grey[inside], flat_card_seen_at(seed, corners, shot.image.size)[inside])[0, 1]
            for corners in (shot.corners, nudged)
        ]
        assert matches[0] >= 0.95, (seed, matches)
        assert matches[1] < matches[0] - 0.15, (seed, matches)


def test_camera_glare_never_comes_near_text():
    seen = 0
    for seed in range(60):
        shot = photo(seed, "camera")
        if "glare" not in shot.degradations:
            continue
        seen += 1
        grey = np.full((FRAME[1], FRAME[0], 3), 100, np.uint8)
        lit = glare(Shot(grey, card(seed), homography(shot.corners), {}), shot.degradations["glare"]["box"])
        touched = (lit.image != grey).any(axis=2)
        recorded = shot.degradations["glare"]["centre"]
        assert np.allclose(lit.degradations["glare"]["centre"], recorded, atol=0.05)
        text = np.zeros(touched.shape, bool)
        for box in [
            *(b for boxes in card(seed).boxes.values() for b in boxes),
            *card(seed).label_boxes.values(),
        ]:
            text |= polygon_mask(FRAME, project(shot.corners, box))
        text = cv2.dilate(text.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
        assert touched.any()
        assert not (touched & text).any(), seed
    assert seen >= 8


def test_harsh_covers_every_reason_with_one_decisive_defect():
    seen = set()
    for seed in SEEDS:
        shot = photo(seed, "harsh")
        steps, verdict = shot.degradations, shot.expected_quality
        seen.add(verdict)
        assert ("glare" in steps) == (verdict == "GLARE_DETECTED")
        assert ("occlude" in steps) == (verdict == "OBSTRUCTION_DETECTED")
        assert ("downscale" in steps) == (verdict == "LOW_RESOLUTION")
        if verdict != "BLUR_DETECTED":
            assert steps.get("defocus", {"sigma": 0})["sigma"] <= 1.0
            assert steps.get("motion_blur", {"length": 0})["length"] <= 4.5
        if verdict != "KTP_NOT_DETECTED":
            assert "cut_off" not in steps
            assert steps["low_light"]["exposure"] >= 0.8
            assert visible_fraction(shot.corners, shot.image.size) == pytest.approx(1.0)
        assert list(steps)[-1] == "jpeg"
    assert seen == set(HARSH_VERDICTS)


DIRECTIONAL_SECOND_DIFFERENCES = [
    np.array(kernel, np.float32)
    for kernel in (
        [[0, 0, 0], [1, -2, 1], [0, 0, 0]], [[0, 1, 0], [0, -2, 0], [0, 1, 0]],
        [[1, 0, 0], [0, -2, 0], [0, 0, 1]], [[0, 0, 1], [0, -2, 0], [1, 0, 0]],
    )
]  # fmt: skip


def _sharpness(shot, seed) -> float:
    """Detail left in the NIK along its blurriest direction: a smear in one direction counts as blur."""
    grey = cv2.cvtColor(np.asarray(shot.image), cv2.COLOR_RGB2GRAY).astype(np.float32)
    inside = polygon_mask(shot.image.size, project(shot.corners, field_box(card(seed), "nik")))
    return min(float(cv2.filter2D(grey, -1, k)[inside].var()) for k in DIRECTIONAL_SECOND_DIFFERENCES)


def test_harsh_defects_are_strong_enough_to_decide():
    camera_sharpness = min(_sharpness(photo(seed, "camera"), seed) for seed in SEEDS)
    for seed in SEEDS:
        shot = photo(seed, "harsh")
        steps, verdict = shot.degradations, shot.expected_quality
        if verdict == "GLARE_DETECTED":
            covered = pixels_in(shot.image, shot.corners, field_box(card(seed), steps["glare"]["field"]))
            assert (covered.min(axis=1) >= 245).mean() >= 0.95, seed
        elif verdict == "OBSTRUCTION_DETECTED":
            covered = pixels_in(shot.image, shot.corners, field_box(card(seed), steps["occlude"]["field"]))
            assert (covered[:, 0] > covered[:, 2] + 20).mean() >= 0.7, seed  # skin, not blue card or ink
        elif verdict == "BLUR_DETECTED":
            assert steps.get("defocus", {"sigma": 9})["sigma"] >= 4 or steps["motion_blur"]["length"] >= 25
            assert _sharpness(shot, seed) < 0.25 * camera_sharpness, seed
        elif verdict == "KTP_NOT_DETECTED":
            hidden = visible_fraction(shot.corners, shot.image.size) < 0.45
            assert hidden or np.asarray(shot.image).mean() < 20, seed
        elif verdict == "LOW_RESOLUTION":
            corners = np.array(shot.corners)
            assert np.linalg.norm(corners[1] - corners[0]) < 300
            assert shot.image.size[0] < 400


def test_negatives_are_not_cards():
    kinds = set()
    for seed in SEEDS:
        shot = negative_photo(random.Random(seed))
        assert shot.corners is None
        assert shot.expected_quality == "KTP_NOT_DETECTED"
        assert shot.image.size == FRAME
        assert next(iter(shot.degradations)) == "negative"
        kinds.add(shot.degradations["negative"]["kind"])
    assert kinds == set(NEGATIVE_KINDS)
    via_photograph = photograph(card(0), "negative", random.Random(9))
    assert via_photograph.image.tobytes() == negative_photo(random.Random(9)).image.tobytes()


def test_flat_scan_composes_field_targeted_degradations():
    shot = glare(flat(card(4)), "nik")
    covered = pixels_in(to_photo(shot, "GLARE_DETECTED").image, CARD_CORNERS, field_box(card(4), "nik"))
    assert (covered == 255).all()
    shot = occlude(shot, "name", (198, 140, 104))
    covered = pixels_in(to_photo(shot, "OK").image, CARD_CORNERS, field_box(card(4), "name"))
    assert (covered[:, 0] > covered[:, 2] + 20).mean() >= 0.8
    small = to_photo(jpeg(downscale(shot, 0.5), 80), "LOW_RESOLUTION")
    assert small.image.size == (506, 319)
    assert small.corners == [[0.0, 0.0], [506.0, 0.0], [506.0, 319.0], [0.0, 319.0]]
    assert list(small.degradations) == ["glare", "occlude", "downscale", "jpeg"]
    assert small.degradations["glare"]["field"] == "nik"
    assert small.degradations["occlude"]["field"] == "name"


def test_fade_lightens_ink_and_low_light_darkens_with_the_asked_gradient_and_grain():
    faded = np.asarray(to_photo(fade(flat(card(0)), 0.5), "OK").image, float)
    assert np.abs(faded - (np.asarray(card(0).image, float) / 2 + 235 / 2)).max() <= 1  # ink at ~129, not 24
    grey = Shot(np.full((400, 600, 3), 200, np.uint8), None, None, {})
    gen = np.random.default_rng(0)
    ramp = np.asarray(low_light(grey, gen, exposure=0.9, gradient=0.5, angle=0, noise=0).image)
    assert ramp[:, 0].mean() == pytest.approx(0.9 * 200, abs=2)
    assert ramp[:, -1].mean() == pytest.approx(0.9 * 0.5 * 200, abs=2)
    grain = low_light(grey, gen, exposure=1.0, gradient=0, angle=0, noise=4).image
    assert np.asarray(grain, float).std() == pytest.approx(4, rel=0.1)
    assert np.asarray(grain, float).mean() == pytest.approx(200, abs=0.5)


def test_cut_off_leaves_the_asked_fraction_in_frame():
    layout = place_in_scene(card(6), "table", np.random.default_rng(0), width_fraction=0.85)
    shot = to_photo(expose(cut_off(layout, 0.3, 200.0)), "KTP_NOT_DETECTED")
    assert visible_fraction(shot.corners, shot.image.size) == pytest.approx(0.3, abs=0.002)
    assert np.array(shot.corners)[:, 0].min() < 0  # slid out to the left (200 degrees)


def test_field_targets_must_exist():
    with pytest.raises(ValueError, match="no printed field 'photo'"):
        glare(flat(card(0)), "photo")
    with pytest.raises(ValueError, match="needs a shot with a card"):
        glare(Shot(np.zeros((10, 10, 3), np.uint8), None, None, {}), (0, 0, 5, 5))
    with pytest.raises(ValueError, match="unknown quality verdict"):
        to_photo(flat(card(0)), "BLURRY")
