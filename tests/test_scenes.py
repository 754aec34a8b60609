import numpy as np
import pytest

from synthetic_ktp.scenes import SCENE_KINDS, _lookup, scene


def test_grain_lookup_wraps_float32_positions_just_below_zero():
    # np.mod(float32(-1e-5), 4096) rounds to 4096.0: the lookup once indexed past the end of its table.
    profile = np.arange(4096, dtype=np.float32)
    values = _lookup(profile, np.array([-1e-5, 0.5, 4095.5, 8192.25], np.float32))
    assert values == pytest.approx([0.04095, 0.5, 2047.5, 0.25], abs=1e-3)


@pytest.mark.parametrize("kind", SCENE_KINDS)
def test_scenes_fill_the_frame_for_many_seeds(kind):
    for seed in range(25):
        image = scene(kind, (1280, 960), np.random.default_rng(seed))
        assert image.shape == (960, 1280, 3) and image.dtype == np.uint8
        assert image.std() > 1  # a texture, not a flat fill


def test_unknown_scene_is_refused():
    with pytest.raises(ValueError, match="unknown scene 'lawn'"):
        scene("lawn", (64, 48), np.random.default_rng(0))
