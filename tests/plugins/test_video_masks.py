"""plugins/video_masks: moving strokes, static masks, object masks from a folder.

The contract (shape, dtype, seeding, hole-ratio range) of every registered one is
tests/test_contracts.py's; these test what each recipe promises."""
import numpy as np
import pytest

from toolbox.registry import MASK_GENERATORS
from toolbox.video import write_frames


def build(name, **kw):
    return MASK_GENERATORS.build(dict(type=name, **kw))


def _centroids(masks):
    ys, xs = np.mgrid[0:masks.shape[1], 0:masks.shape[2]]
    area = masks.sum((1, 2))
    return np.stack([(masks * xs).sum((1, 2)) / area, (masks * ys).sum((1, 2)) / area], 1)


@pytest.mark.parametrize('preset', ['object_like', 'object_like_middle', 'object_like_small',
                                    'rand_curve', 'rand_curve_small'])
def test_presets_draw_moving_strokes_of_their_width(preset):
    gen = build('MovingStrokes', preset=preset)
    masks = gen((6, 180, 320), np.random.default_rng(1))
    assert masks.shape == (6, 180, 320) and masks.dtype == np.uint8 and masks.any()
    assert not all(np.array_equal(masks[0], m) for m in masks[1:]), 'the strokes never move'
    assert np.array_equal(masks, gen((6, 180, 320), np.random.default_rng(1)))


def test_object_like_holes_are_larger_than_rand_curve_ones():
    def mean_ratio(preset):
        gen, rng = build('MovingStrokes', preset=preset), np.random.default_rng(0)
        return np.mean([gen((3, 180, 320), rng).mean() for _ in range(30)])
    assert mean_ratio('object_like') > 2 * mean_ratio('rand_curve')


def test_a_stroke_keeps_its_acceleration_from_frame_to_frame():
    still = dict(strokes=(1, 1), point_move=0, init_speed=8, brush=(9, 10))
    steady = build('MovingStrokes', preset='rand_curve', line_accel=(0, 0), **still)
    moving = build('MovingStrokes', preset='rand_curve', line_accel=(3, 0.3), **still)
    shape = (8, 600, 600)           # large: the stroke stays inside the frame

    def velocity_changes(gen):
        changes = []
        for seed in range(30):
            masks = gen(shape, np.random.default_rng(seed))
            area = masks.sum((1, 2))
            if area.min() == area.max():        # whole stroke inside every frame
                steps = np.diff(_centroids(masks), axis=0)
                changes.append(np.abs(np.diff(steps, axis=0)).max())
        assert len(changes) >= 5
        return changes
    # without acceleration every frame moves the stroke by the same whole-pixel step
    assert max(velocity_changes(steady)) < 1e-6
    # with it the step changes (the official code drops the acceleration: constant steps)
    assert min(velocity_changes(moving)) > 0.5


def test_half_of_the_control_points_jitter_when_the_stroke_stands_still():
    frozen = dict(preset='object_like', init_speed=0, line_accel=(0, 0), strokes=(1, 1))
    masks = build('MovingStrokes', point_move=0, **frozen)((4, 120, 160),
                                                           np.random.default_rng(2))
    assert all(np.array_equal(masks[0], m) for m in masks[1:])
    masks = build('MovingStrokes', point_move=10, **frozen)((4, 120, 160),
                                                            np.random.default_rng(2))
    assert not np.array_equal(masks[0], masks[1])
    assert (masks[0] & masks[1]).sum() > 0.3 * masks[0].sum()     # moved, not redrawn


def test_hole_ratio_bins_and_the_border_free_option():
    gen = build('MovingStrokes', preset='object_like', hole_ratio_bin=(0.2, 0.3))
    rng = np.random.default_rng(0)
    assert all(0.2 <= gen((5, 90, 160), rng).mean() < 0.3 for _ in range(10))
    assert gen.hole_ratio_range == (0.2, 0.3)
    with pytest.raises(RuntimeError, match=r"no clip of shape .* in \[0.99, 1.0\)"):
        build('MovingStrokes', preset='rand_curve_small', hole_ratio_bin=(0.99, 1.0),
              max_tries=3)((2, 32, 32), rng)

    def border(masks, b):
        return masks[:, :b].any() or masks[:, -b:].any() or masks[:, :, :b].any() \
            or masks[:, :, -b:].any()
    plain = build('MovingStrokes', preset='object_like')
    free = build('MovingStrokes', preset='object_like', keep_border=10)
    assert any(border(plain((4, 90, 160), rng), 10) for _ in range(10))
    assert not any(border(free((4, 90, 160), rng), 10) for _ in range(30))


def test_unknown_presets_and_arguments_are_named():
    with pytest.raises(ValueError, match="'big'"):
        build('MovingStrokes', preset='big')
    with pytest.raises(TypeError, match='brush_size'):
        build('MovingStrokes', brush_size=3)


def test_static_mask_is_one_image_mask_on_every_frame():
    gen = build('StaticMask', generator=dict(type='RandomBox'))
    masks = gen((5, 48, 64), np.random.default_rng(0))
    assert masks.any() and all(np.array_equal(masks[0], m) for m in masks)
    with pytest.raises(TypeError, match='video mask generator MovingStrokes'):
        build('StaticMask', generator=dict(type='MovingStrokes'))


def test_object_masks_come_from_the_folder_back_and_forth_and_resized(tmp_path):
    seq = np.zeros((3, 20, 30), np.uint8)
    for t in range(3):
        seq[t, 5:10, 5 * t:5 * t + 6] = 1
    write_frames(seq, str(tmp_path / 'bear'))
    gen = build('ObjectMaskFolder', root=str(tmp_path))
    masks = gen((7, 20, 30), np.random.default_rng(0))
    index = [next(k for k in range(3) if np.array_equal(m, seq[k])) for m in masks]
    assert all(abs(a - b) == 1 for a, b in zip(index, index[1:])), index   # 0 1 2 1 0 ...
    big = gen((2, 40, 60), np.random.default_rng(0))
    assert big.shape == (2, 40, 60) and big.sum() == 4 * masks[:2].sum()
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='holds no folder of mask frames'):
        build('ObjectMaskFolder', root=str(tmp_path / 'empty'))


def test_benchmark_prints_clips_per_second(capsys):
    from toolbox_plugins.video_masks.benchmark import main
    rates = main(clips=3)
    assert set(rates) >= {'object_like', 'rand_curve'} and all(r > 0 for r in rates.values())
    assert 'clips/s CPU' in capsys.readouterr().out


def test_hole_ratio_bin_names_the_ten_percent_bin_of_a_clip():
    from toolbox_plugins.video_masks.moving_strokes import hole_ratio_bin
    masks = np.zeros((2, 10, 10), np.uint8)
    masks[:, :5, :5] = 1                                  # 25 %
    assert hole_ratio_bin(masks) == (0.2, 0.3)
    assert hole_ratio_bin(np.ones((1, 4, 4), np.uint8)) == (0.9, 1.0)
    assert hole_ratio_bin(np.zeros((1, 4, 4), np.uint8)) == (0.0, 0.1)
