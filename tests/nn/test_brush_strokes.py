"""DeepFill v2's brush strokes in the engine: the masks plugin's ``FreeFormBrush`` draws
through them, and its masks for given seeds are those it drew before the move."""
import hashlib

import numpy as np
import pytest

from toolbox.brush_strokes import draw_brush_strokes, sample_brush_strokes
from toolbox.registry import MASK_GENERATORS

SHAPES = ((64, 80), (256, 256), (97, 50))


def digest(gen) -> str:
    h = hashlib.sha256()
    for shape in SHAPES:
        for seed in range(25):
            h.update(np.ascontiguousarray(gen(shape, np.random.default_rng(seed))).tobytes())
    return h.hexdigest()[:16]


# Digests of FreeFormBrush's masks computed with its own drawing code before the drawing
# moved into toolbox.brush_strokes (OpenCV 4 rasterisation): same seed, same mask.
@pytest.mark.parametrize('cfg, expected', [
    (dict(type='FreeFormBrush'), '4ba3952a83ff2b7e'),
    (dict(type='FreeFormBrush', reference_size=128, box=dict(type='RandomBox'), box_prob=0.5,
          min_strokes=2, max_strokes=5, flip_prob=0.3), 'd74596445f588913'),
])
def test_free_form_brush_masks_are_unchanged_for_the_same_seeds(cfg, expected):
    assert digest(MASK_GENERATORS.build(cfg)) == expected


def test_the_generator_is_the_engine_sampling_then_drawing():
    gen = MASK_GENERATORS.build(dict(type='FreeFormBrush', min_width=3, max_width=9))
    for seed in range(10):
        rng = np.random.default_rng(seed)
        strokes = sample_brush_strokes((48, 60), np.random.default_rng(seed), widths=(3, 9))
        assert np.array_equal(gen((48, 60), rng), draw_brush_strokes((48, 60), *strokes))


def test_sampled_strokes_stay_in_the_image_within_the_ranges():
    for seed in range(50):
        strokes, _, _ = sample_brush_strokes((30, 70), np.random.default_rng(seed),
                                             strokes=(2, 4), vertices=(3, 5), widths=(4, 6))
        assert 2 <= len(strokes) <= 4
        for points, width in strokes:
            assert points.dtype == np.int32 and 4 <= len(points) <= 6 and 4 <= width <= 6
            assert (points >= 0).all() and (points[:, 0] < 70).all() and (points[:, 1] < 30).all()


def test_drawing_a_known_stroke():
    stroke = (np.array([[2, 5], [12, 5]], np.int32), 3)
    mask = draw_brush_strokes((10, 16), [stroke])
    assert mask.dtype == np.uint8 and mask.flags.c_contiguous
    assert mask[4:7, 2:13].all() and mask[5, 2:13].sum() == 11 and not mask[:3].any()
    flipped = draw_brush_strokes((10, 16), [stroke], flip_h=True, flip_v=True)
    assert np.array_equal(flipped, mask[::-1, ::-1]) and flipped.flags.c_contiguous
