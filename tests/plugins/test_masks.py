"""The masks plugin: the defining property of every mask type, the tools, bad input.

The generic contract (binary, shape, determinism, documented hole ratios) is checked for
every registered generator by tests/test_contracts.py; here each type's own geometry.
"""
from __future__ import annotations

import math
import os.path as osp
import pickle
import re

import cv2
import numpy as np
import pytest

from tests.utils import load_tool, run_python
from toolbox.registry import MASK_GENERATORS, TRANSFORMS

PAPER_TYPES = ('ThickStrokes', 'MediumStrokes', 'ThinStrokes', 'EveryNLines',
               'NearestNeighbor', 'Completion', 'Expand')
OURS = PAPER_TYPES + ('Strokes', 'FreeFormBrush', 'RandomBox', 'CenterSquare', 'MaskFiles',
                      'Mixture')


def build(name, **kwargs):
    return MASK_GENERATORS.build(dict(type=name, **kwargs))


def rngs(count, seed=0):
    return (np.random.default_rng([seed, i]) for i in range(count))




def write_masks(folder, masks):
    folder.mkdir(parents=True, exist_ok=True)
    for i, m in enumerate(masks):
        cv2.imwrite(str(folder / f'{i:03d}.png'), m.astype(np.uint8) * 255)
    return folder


def box_mask(shape, top, left, h, w):
    m = np.zeros(shape, np.uint8)
    m[top:top + h, left:left + w] = 1
    return m


# --- registration ---------------------------------------------------------------------------

def test_every_generator_and_the_transform_are_registered_by_this_plugin():
    from toolbox.plugins import component_origin
    for name in OURS:
        assert name in MASK_GENERATORS, name
        assert component_origin('mask_generators', name).name == 'masks'
    assert 'ExpandExterior' in TRANSFORMS
    assert component_origin('transforms', 'ExpandExterior').name == 'masks'


@pytest.mark.parametrize('name', OURS)
def test_generators_pickle_and_keep_drawing_the_same_masks(name):
    gen = build(name, **MASK_GENERATORS.get(name).tiny_cfg)
    copy = pickle.loads(pickle.dumps(gen))
    shape = tuple(max(32, s) for s in gen.min_shape)
    for a, b in zip(rngs(3), rngs(3)):
        assert np.array_equal(gen(shape, a), copy(shape, b))


# --- EveryNLines ------------------------------------------------------------------------------

@pytest.mark.parametrize('n', [2, 3, 4, 5])
@pytest.mark.parametrize('direction', ['horizontal', 'vertical'])
def test_every_n_lines_masks_exactly_every_nth_row_or_column(n, direction):
    shape = (23, 17)
    mask = build('EveryNLines', ns=[n], directions=[direction])(shape, np.random.default_rng(0))
    rows, cols = np.indices(shape)
    index = rows if direction == 'horizontal' else cols
    assert np.array_equal(mask, (index % n == 0).astype(np.uint8))


def test_every_n_lines_draws_all_periods_and_directions_and_random_offsets():
    gen = build('EveryNLines')
    seen = set()
    for rng in rngs(200):
        m = gen((20, 20), rng)
        direction = 'horizontal' if (m == m[:, :1]).all() else 'vertical'
        lines = m[:, 0] if direction == 'horizontal' else m[0]
        period = int(np.diff(np.flatnonzero(lines))[0])
        assert np.array_equal(lines, np.arange(20) % period == 0)
        seen.add((period, direction))
    assert seen == {(n, d) for n in (2, 3, 4, 5) for d in ('horizontal', 'vertical')}
    offsets = set()
    gen = build('EveryNLines', ns=[4], directions=['horizontal'], random_offset=True)
    for rng in rngs(50):
        rows = np.flatnonzero(gen((16, 9), rng)[:, 0])
        assert len(set(rows % 4)) == 1 and np.array_equal(np.diff(rows), [4] * (len(rows) - 1))
        offsets.add(int(rows[0]))
    assert offsets == {0, 1, 2, 3}


# --- NearestNeighbor --------------------------------------------------------------------------

@pytest.mark.parametrize('s', [2, 3, 4])
def test_nearest_neighbor_keeps_exactly_the_s_grid(s):
    shape = (19, 26)
    mask = build('NearestNeighbor', scales=[s])(shape, np.random.default_rng(0))
    rows, cols = np.indices(shape)
    known = (rows % s == 0) & (cols % s == 0)
    assert np.array_equal(mask, (~known).astype(np.uint8))


def test_nearest_neighbor_random_offset_keeps_a_shifted_grid():
    gen = build('NearestNeighbor', scales=[3], random_offset=True)
    phases = set()
    for rng in rngs(60):
        mask = gen((12, 15), rng)
        ys, xs = np.nonzero(mask == 0)
        oy, ox = ys.min(), xs.min()
        rows, cols = np.indices(mask.shape)
        assert np.array_equal(mask == 0, ((rows - oy) % 3 == 0) & ((cols - ox) % 3 == 0))
        phases.add((int(oy), int(ox)))
    assert len(phases) == 9


# --- Completion -------------------------------------------------------------------------------

def band_of(mask):
    """(side, lines) of a mask that is one band of whole lines along a side, else None."""
    for sides, lines in ((('top', 'bottom'), mask), (('left', 'right'), mask.T)):
        full = lines.all(1)
        if (lines.any(1) == full).all() and 0 < full.sum() < len(full):
            k = int(full.sum())
            if full[:k].all():
                return sides[0], k
            if full[-k:].all():
                return sides[1], k
    return None


def test_completion_masks_one_contiguous_band_of_the_drawn_ratio():
    gen = build('Completion')
    sides = set()
    for rng in rngs(200):
        mask = gen((40, 50), rng)
        band = band_of(mask)
        assert band is not None, 'not one band along a side'
        side, k = band
        length = 40 if side in ('top', 'bottom') else 50
        assert 0.2 <= k / length <= 0.8
        assert mask.mean() == pytest.approx(k / length)
        sides.add(side)
    assert sides == {'top', 'bottom', 'left', 'right'}


def test_completion_band_is_the_rounded_ratio_and_reverse_prob_moves_it():
    for reverse, expected in ((0.0, {'top'}), (1.0, {'bottom'})):
        gen = build('Completion', sides=['top'], reverse_prob=reverse)
        for rng, check in zip(rngs(20), rngs(20)):
            side, k = band_of(gen((100, 7), rng))
            check.integers(1)
            ratio = check.uniform(0.2, 0.8)
            assert side in expected and k == round(ratio * 100)
    assert band_of(build('Completion', min_ratio=0.5, max_ratio=0.5, sides=['left'])(
        (10, 10), np.random.default_rng(0)))[1] == 5


# --- Expand -----------------------------------------------------------------------------------

def challenge_expand(shape, f):
    """The NTIRE 2022 challenge's interior Expand for a known square of ``f`` of the short
    side, written from its description: ``short // k // 2`` pixels kept on each side of
    ``(H // 2, W // 2)``."""
    h, w = shape
    half = int(f * min(shape) + 1e-9) // 2
    return 1 - box_mask(shape, h // 2 - half, w // 2 - half, 2 * half, 2 * half)


@pytest.mark.parametrize('shape', [(48, 48), (40, 62), (61, 30), (256, 256), (255, 257)])
@pytest.mark.parametrize('f', [1 / 4, 1 / 3, 1 / 2])
def test_expand_keeps_exactly_the_challenges_centred_square(shape, f):
    mask = build('Expand', fractions=[f])(shape, np.random.default_rng(0))
    assert np.array_equal(mask, challenge_expand(shape, f))
    # even_side=False keeps int(f * short) instead, centred by (H - side) // 2.
    mask = build('Expand', fractions=[f], even_side=False)(shape, np.random.default_rng(0))
    side = int(f * min(shape) + 1e-9)
    top, left = (shape[0] - side) // 2, (shape[1] - side) // 2
    assert np.array_equal(mask, 1 - box_mask(shape, top, left, side, side))


def test_expand_side_is_even_84_at_256_for_a_third():
    mask = build('Expand', fractions=[1 / 3])((256, 256), np.random.default_rng(0))
    assert int((mask == 0).sum()) == 84 * 84
    assert np.array_equal(np.flatnonzero(mask[128] == 0), np.arange(86, 170))


def test_expand_draws_every_fraction():
    gen = build('Expand')
    kept = {int((gen((60, 60), rng) == 0).sum()) for rng in rngs(60)}
    assert kept == {14 * 14, 20 * 20, 30 * 30}


# --- ExpandExterior (transform) ---------------------------------------------------------------

def test_expand_exterior_pads_the_image_and_masks_exactly_the_padding():
    img = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    t = TRANSFORMS.build(dict(type='ExpandExterior', fractions=[1 / 2], pad_val=7))
    out = t(dict(img=img.copy(), sample_idx=0))
    pad = int(0.5 * 30) // 2
    assert out['expand_pad'] == pad == 7
    assert out['img'].shape == (30 + 2 * pad, 40 + 2 * pad, 3) and out['img'].dtype == np.uint8
    assert out['img_shape'] == out['img'].shape[:2] and out['mask'].shape == out['img_shape']
    assert np.array_equal(out['img'][pad:pad + 30, pad:pad + 40], img)
    inner = box_mask(out['mask'].shape, pad, pad, 30, 40)
    assert np.array_equal(out['mask'], 1 - inner)
    assert (out['img'][out['mask'] == 1] == 7).all()
    assert out['mask_type'] == 'ExpandExterior'


def test_expand_exterior_keeps_existing_holes_and_is_deterministic_per_sample():
    img = np.zeros((24, 24, 3), np.uint8)
    old = box_mask((24, 24), 3, 4, 5, 6)
    t = TRANSFORMS.build(dict(type='ExpandExterior', deterministic=True, seed=3))
    out = t(dict(img=img, mask=old.copy(), sample_idx=5))
    pad = out['expand_pad']
    assert np.array_equal(out['mask'][pad:pad + 24, pad:pad + 24], old)
    assert out['mask'].sum() == out['mask'].size - 24 * 24 + old.sum()
    pads = {t(dict(img=img, sample_idx=i))['expand_pad'] for i in range(40)}
    assert pads == {3, 4, 6}  # int(f * 24) // 2 for f = 1/4, 1/3, 1/2
    assert all(t(dict(img=img, sample_idx=i))['expand_pad']
               == t(dict(img=img, sample_idx=i))['expand_pad'] for i in range(10))


def test_expand_exterior_bad_input():
    with pytest.raises(ValueError, match='fractions'):
        TRANSFORMS.build(dict(type='ExpandExterior', fractions=[0]))
    with pytest.raises(ValueError, match='pad_val'):
        TRANSFORMS.build(dict(type='ExpandExterior', pad_val=300))
    t = TRANSFORMS.build(dict(type='ExpandExterior'))
    with pytest.raises(ValueError, match='mask'):
        t(dict(img=np.zeros((8, 8, 3), np.uint8), mask=np.zeros((4, 4), np.uint8)))


# --- strokes ----------------------------------------------------------------------------------

def test_stroke_presets_are_the_published_parameters_at_256_and_512():
    # LaMa's configs/data_gen/random_*.yaml; stroke counts are its max_times + 1 (below).
    from toolbox_plugins.masks.strokes import BOX_SHARE
    thick, medium, thin = build('ThickStrokes'), build('MediumStrokes'), build('ThinStrokes')
    p = thick.params_at(256)
    assert (p.min_strokes, p.max_strokes, p.max_width, p.max_len) == (1, 5 + 1, 100, 200)
    assert (p.box_margin, p.min_box, p.max_box, p.min_boxes, p.max_boxes) == (10, 30, 150, 1, 3)
    assert p.box_prob == pytest.approx(0.3 / 1.3) == BOX_SHARE
    p = thick.params_at(512)
    assert (p.max_width, p.max_len, p.max_box, p.max_boxes) == (250, 450, 300, 4)
    p = medium.params_at(256)
    assert (p.min_strokes, p.max_strokes, p.max_width, p.max_len) == (4, 5 + 1, 50, 100)
    assert (p.box_margin, p.min_box, p.max_box, p.max_boxes) == (0, 10, 50, 5)
    p = medium.params_at(512)
    assert (p.max_strokes, p.max_width, p.max_len, p.min_box, p.max_box) == (10 + 1, 100, 200,
                                                                             30, 150)
    assert thin.params_at(256)[:6] == (4, 50 + 1, 5, 10, 10, 40)
    assert thin.params_at(256).box_prob == 0
    assert thin.params_at(512)[:6] == (4, 70 + 1, 5, 20, 10, 100)
    assert thick.max_angle == 4 and thick.hole_ratio_range == (0.0, 0.5)


# (type, size, LaMa's min_times, max_times) from its configs/data_gen/random_<type>_<size>.yaml
LAMA_STROKE_TIMES = [('ThickStrokes', 256, 1, 5), ('ThickStrokes', 512, 1, 5),
                     ('MediumStrokes', 256, 4, 5), ('MediumStrokes', 512, 4, 10),
                     ('ThinStrokes', 256, 4, 50), ('ThinStrokes', 512, 4, 70)]


@pytest.mark.parametrize('name, size, min_times, max_times', LAMA_STROKE_TIMES)
def test_stroke_masks_draw_as_many_strokes_as_lamas_generator(name, size, min_times, max_times):
    # LaMa's RandomIrregularMaskGenerator passes max_times + 1 on and then draws
    # randint(min_times, max_times + 2): every count from min_times to max_times + 1.
    gen = build(name)
    counts = {gen.sample_strokes((size, size), rng)[0].shape[1] for rng in rngs(1500)}
    assert counts == set(range(min_times, max_times + 2))


def test_stroke_masks_render_exactly_their_sampled_strokes():
    gen = build('ThinStrokes', max_hole_ratio=1.0)  # no boxes, no redraw: one draw per mask
    for a, b in zip(rngs(10), rngs(10)):
        points, segments, widths = gen.sample_strokes((64, 80), b)
        expected = np.zeros((64, 80), np.uint8)
        for i in range(points.shape[1]):
            for j in range(segments[i]):
                cv2.line(expected, tuple(points[j, i].tolist()), tuple(points[j + 1, i].tolist()),
                         1, int(widths[j, i]))
        assert np.array_equal(gen((64, 80), a), expected)


def test_stroke_parameters_scale_below_and_interpolate_between_the_presets():
    thick = build('ThickStrokes')
    half = thick.params_at(128)
    assert (half.max_width, half.max_len, half.max_box, half.min_width) == (50, 100, 75, 2)
    assert (half.min_strokes, half.max_strokes, half.max_boxes) == (1, 6, 3)  # counts kept
    mid = thick.params_at(384)
    assert (mid.max_width, mid.max_len, mid.max_box) == (175, 325, 225)
    assert mid.max_boxes == round(3.5)
    double = thick.params_at(1024)
    assert (double.max_width, double.max_len, double.max_boxes) == (500, 900, 4)


def made_of_boxes(mask, side=7):
    """Whether the hole is a union of boxes of at least ``side`` x ``side`` pixels: then
    an opening by that square leaves it as it is, while it nibbles round caps away."""
    return np.array_equal(cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((side, side),
                                                                          np.uint8)), mask)


def test_strokes_redraw_masks_over_half_and_mix_in_boxes_at_the_published_rate():
    gen = build('ThickStrokes')
    assert all(0 < gen((64, 64), rng).mean() <= 0.5 for rng in rngs(200))
    # Without the redraw (which rejects wide strokes more often than boxes), a mask is
    # boxes (sides >= 8 px at 64) with LaMa's normalised weight 0.3 / 1.3.
    free = build('ThickStrokes', max_hole_ratio=1.0)
    share = np.mean([made_of_boxes(free((64, 64), rng)) for rng in rngs(400)])
    assert 0.17 < share < 0.29
    assert build('MediumStrokes').params_at(64).box_prob == pytest.approx(0.3 / 1.3)
    thin = build('ThinStrokes')
    assert thin.params_at(64).box_prob == 0
    assert not any(made_of_boxes(thin((64, 64), rng)) for rng in rngs(50))


def test_strokes_hole_limit_holds_even_when_every_draw_is_over_it():
    gen = build('ThickStrokes', max_hole_ratio=0.01)
    gen.max_attempts = 2
    for rng in rngs(20):
        assert gen((64, 64), rng).sum() <= math.floor(0.01 * 64 * 64)


def test_stroke_segments_follow_the_lama_recipe():
    # One stroke with one straight segment: it starts at the drawn pixel, has the drawn
    # width and goes at angle 2 pi - (0.01 + k) (the first stroke is mirrored).
    gen = build('Strokes', presets={100: dict(min_strokes=1, max_strokes=1, max_width=1,
                                              min_width=3, max_len=1, min_len=30)},
                max_hole_ratio=1.0)
    for rng, check in zip(rngs(20), rngs(20)):
        mask = gen((100, 100), rng)
        check.integers(1, 2)
        x, y = check.integers(0, (100, 100), size=(1, 2))[0]
        check.integers(1, 6, size=1)
        k = check.integers(0, (4, 1, 1), size=(5, 1, 3))[0, 0, 0]
        assert mask[y, x] == 1
        angle = 2 * np.pi - (0.01 + k)
        ex = int(np.clip(int(x + 30 * np.sin(angle)), 0, 99))
        ey = int(np.clip(int(y + 30 * np.cos(angle)), 0, 99))
        assert mask[ey, ex] == 1


# --- FreeFormBrush (DeepFill v2) --------------------------------------------------------------

def test_brush_flips_really_flip():
    flipped = build('FreeFormBrush', flip_prob=1.0)
    plain = build('FreeFormBrush', flip_prob=0.0)
    for a, b in zip(rngs(10), rngs(10)):
        m = plain((40, 56), b)
        assert np.array_equal(flipped((40, 56), a), m[::-1, ::-1])
    default = build('FreeFormBrush')
    flips = [default.sample_strokes((40, 40), rng)[1:] for rng in rngs(200)]
    assert 0.35 < np.mean([h for h, _ in flips]) < 0.65
    assert 0.35 < np.mean([v for _, v in flips]) < 0.65


def test_brush_strokes_widths_vertices_and_step_lengths_are_in_range():
    gen = build('FreeFormBrush')
    widths, counts, vertices = set(), set(), set()
    radius = math.hypot(64, 80) / 8
    for rng in rngs(300):
        strokes, _, _ = gen.sample_strokes((64, 80), rng)
        counts.add(len(strokes))
        for v, width in strokes:
            widths.add(width)
            vertices.add(len(v) - 1)
            assert (v[:, 0] >= 0).all() and (v[:, 0] < 80).all()
            assert (v[:, 1] >= 0).all() and (v[:, 1] < 64).all()
            assert (np.hypot(*np.diff(v, axis=0).T) <= 2 * radius + 1).all()
    assert counts == {1, 2, 3}
    # DeepFill v2's int(uniform(12, 40)) and MMagic's randint(12, 40): 12-39, never 40.
    assert widths == set(range(12, 40))
    assert vertices == set(range(4, 12))


def test_brush_renders_its_strokes_with_round_joints():
    gen = build('FreeFormBrush', flip_prob=0.0)
    for a, b in zip(rngs(10), rngs(10)):
        mask = gen((96, 96), a)
        strokes, _, _ = gen.sample_strokes((96, 96), b)
        for v, width in strokes:
            disc = np.zeros_like(mask)
            for x, y in v.tolist():
                cv2.circle(disc, (x, y), width // 2 - 1, 1, -1)
            assert (mask[disc == 1] == 1).all()


def test_brush_widths_scale_with_reference_size_and_box_is_ored_in():
    gen = build('FreeFormBrush', reference_size=256)
    assert gen.widths_at(128) == (6, 20) and gen.widths_at(512) == (24, 78)
    plain = build('FreeFormBrush')
    boxed = build('FreeFormBrush', box=dict(type='RandomBox'), box_prob=1.0)
    for a, b in zip(rngs(10), rngs(10)):
        without, with_box = plain((64, 64), a), boxed((64, 64), b)
        assert (with_box >= without).all() and with_box.sum() >= 24 * 24


# --- boxes ------------------------------------------------------------------------------------

def test_random_box_is_one_shrunk_box_inside_the_margin():
    gen = build('RandomBox', max_shape=0.5, max_delta=0.25, margin=0.1)
    for rng in rngs(100):
        m = gen((100, 80), rng)
        ys, xs = np.nonzero(m)
        top, left, h, w = ys.min(), xs.min(), np.ptp(ys) + 1, np.ptp(xs) + 1
        assert np.array_equal(m, box_mask(m.shape, top, left, h, w))
        assert 50 - 2 * 12 <= h <= 50 and 40 - 2 * 10 <= w <= 40
        assert (50 - h) % 2 == 0 and (40 - w) % 2 == 0  # pulled in alike on both sides
        assert top >= 10 and left >= 8 and top + h <= 90 and left + w <= 72


def test_center_square_is_the_centred_square():
    m = build('CenterSquare')((256, 256), np.random.default_rng(0))
    assert np.array_equal(m, box_mask((256, 256), 64, 64, 128, 128))
    m = build('CenterSquare', size=0.25)((40, 60), np.random.default_rng(0))
    assert np.array_equal(m, box_mask((40, 60), 15, 25, 10, 10))


# --- MaskFiles --------------------------------------------------------------------------------

def ratio_masks():
    """Masks of 20 x 20 with hole ratios 0.05, 0.15, 0.25, 0.35."""
    return [box_mask((20, 20), 0, 0, k, 20) for k in (1, 3, 5, 7)]


def test_mask_files_reads_a_folder_resizes_and_binarises(tmp_path):
    folder = write_masks(tmp_path / 'masks' / 'sub', ratio_masks())
    (tmp_path / 'masks' / 'notes.txt').write_text('not a mask')
    gen = build('MaskFiles', root=str(tmp_path / 'masks'))
    assert len(gen.files) == 4 and all(f.startswith(str(folder)) for f in gen.files)
    seen = set()
    for rng in rngs(40):
        m = gen((40, 30), rng)
        assert m.shape == (40, 30) and set(np.unique(m)) <= {0, 1}
        seen.add(round(float(m.mean()), 2))
    assert seen == {0.05, 0.15, 0.25, 0.35}
    inverted = build('MaskFiles', root=str(tmp_path / 'masks'), invert=True)
    assert 0.6 < inverted((20, 20), np.random.default_rng(0)).mean() < 1


def test_mask_files_reads_a_list_file_relative_to_itself_or_root(tmp_path):
    write_masks(tmp_path / 'm', ratio_masks())
    listing = tmp_path / 'm' / 'list.txt'
    listing.write_text('# two of them\n001.png\n\n003.png\n')
    gen = build('MaskFiles', list_file=str(listing))
    assert [osp.basename(f) for f in gen.files] == ['001.png', '003.png']
    elsewhere = tmp_path / 'list.txt'
    elsewhere.write_text('000.png\n')
    assert len(build('MaskFiles', root=str(tmp_path / 'm'), list_file=str(elsewhere)).files) == 1
    elsewhere.write_text('000.png\nmissing.png\n')
    with pytest.raises(ValueError, match='missing.png'):
        build('MaskFiles', root=str(tmp_path / 'm'), list_file=str(elsewhere))


def test_mask_files_selects_by_hole_ratio_bin(tmp_path):
    write_masks(tmp_path, ratio_masks())
    gen = build('MaskFiles', root=str(tmp_path), hole_ratio_bin=(0.1, 0.2))
    assert [osp.basename(f) for f in gen.files] == ['001.png']
    gen = build('MaskFiles', root=str(tmp_path), hole_ratio_bin=[0.0, 0.3])
    assert len(gen.files) == 3
    with pytest.raises(ValueError, match=r'hole_ratio_bin \(0.5, 0.6\]'):
        build('MaskFiles', root=str(tmp_path), hole_ratio_bin=(0.5, 0.6))
    with pytest.raises(ValueError, match='hole_ratio_bin'):
        build('MaskFiles', root=str(tmp_path), hole_ratio_bin=(0.3, 0.1))


def test_mask_files_augmentations(tmp_path):
    write_masks(tmp_path, [box_mask((20, 20), 0, 0, 4, 6)])
    flip = build('MaskFiles', root=str(tmp_path), flip_prob=1.0)
    assert np.array_equal(flip((20, 20), np.random.default_rng(0)),
                          box_mask((20, 20), 16, 14, 4, 6))
    dilate = build('MaskFiles', root=str(tmp_path), max_dilation=2)
    sums = {int(dilate((20, 20), rng).sum()) for rng in rngs(30)}
    assert sums == {24, 7 * 5, 8 * 6}  # radius 0, 1, 2 (the box sits in a corner)
    rotate = build('MaskFiles', root=str(tmp_path), max_rotation=30)
    masks = [rotate((20, 20), rng) for rng in rngs(10)]
    assert any(not np.array_equal(m, masks[0]) for m in masks)


def test_mask_files_errors_name_the_path(tmp_path):
    with pytest.raises(ValueError, match=re.escape(str(tmp_path))):
        build('MaskFiles', root=str(tmp_path))
    with pytest.raises(ValueError, match='nope'):
        build('MaskFiles', root=str(tmp_path / 'nope'))
    with pytest.raises(ValueError, match='list_file'):
        build('MaskFiles', list_file=str(tmp_path / 'none.txt'))
    with pytest.raises(ValueError, match='root'):
        build('MaskFiles')
    (tmp_path / 'bad.png').write_bytes(b'not a png')
    gen = build('MaskFiles', root=str(tmp_path))
    with pytest.raises(ValueError, match='bad.png'):
        gen((8, 8), np.random.default_rng(0))


# --- Mixture ----------------------------------------------------------------------------------

def test_mixture_respects_weights_and_is_deterministic():
    gen = build('Mixture', generators=[dict(type='CenterSquare'), dict(type='Expand'),
                                       dict(type='Completion')], weights=[1, 3, 0])
    masks = [gen((32, 32), rng) for rng in rngs(800)]
    centre = np.mean([m.mean() == 0.25 and m[16, 16] == 1 for m in masks])
    expand = np.mean([m[16, 16] == 0 for m in masks])
    assert centre + expand == 1  # the zero-weight Completion never draws
    assert 0.2 < centre < 0.3
    again = [gen((32, 32), rng) for rng in rngs(800)]
    assert all(np.array_equal(a, b) for a, b in zip(masks, again))
    assert gen.hole_ratio_range == (0.25, 1.0) and gen.min_shape == (4, 4)


def test_mixture_defaults_to_the_seven_paper_types():
    gen = build('Mixture')
    assert [type(g).__name__ for g in gen.generators] == list(PAPER_TYPES)
    assert gen.weights == [1.0] * 7 and gen.min_shape == (16, 16)


def test_mixture_errors_name_the_config_path():
    from toolbox.builder import UnknownComponentError
    with pytest.raises(UnknownComponentError, match=r'generators\[1\]'):
        build('Mixture', generators=[dict(type='Expand'), dict(type='Expnad')])
    with pytest.raises(ValueError, match='weights'):
        build('Mixture', generators=[dict(type='Expand')], weights=[1, 2])
    with pytest.raises(ValueError, match=r'weights\[0\]'):
        build('Mixture', generators=[dict(type='Expand')], weights=[-1])
    with pytest.raises(ValueError, match='weights'):
        build('Mixture', generators=[dict(type='Expand')], weights=[0])
    with pytest.raises(ValueError, match='generators'):
        build('Mixture', generators=[])


# --- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize('name, kwargs, param', [
    ('ThickStrokes', dict(box_prob=1.5), 'box_prob'),
    ('ThickStrokes', dict(box_prob=-0.1), 'box_prob'),
    ('MediumStrokes', dict(max_angle=0), 'max_angle'),
    ('ThinStrokes', dict(max_hole_ratio=0), 'max_hole_ratio'),
    ('ThinStrokes', dict(box_prob=0.2), 'box_prob'),
    ('Strokes', dict(presets={256: dict(min_strokes=0, max_strokes=3, max_width=5,
                                        max_len=5)}), 'min_strokes'),
    ('Strokes', dict(presets={256: dict(min_strokes=3, max_strokes=2, max_width=5,
                                        max_len=5)}), 'max_strokes'),
    ('Strokes', dict(presets={256: dict(min_strokes=1, max_strokes=2, max_width=-5,
                                        max_len=5)}), 'max_width'),
    ('Strokes', dict(presets={256: dict(min_strokes=1, max_strokes=2, max_width=5)}),
     'max_len'),
    ('Strokes', dict(presets={}), 'presets'),
    ('EveryNLines', dict(ns=[1, 2]), 'ns'),
    ('EveryNLines', dict(ns=[]), 'ns'),
    ('EveryNLines', dict(directions=['diagonal']), 'directions'),
    ('NearestNeighbor', dict(scales=[0]), 'scales'),
    ('Completion', dict(min_ratio=0.9, max_ratio=0.8), 'min_ratio'),
    ('Completion', dict(max_ratio=1.2), 'max_ratio'),
    ('Completion', dict(reverse_prob=2), 'reverse_prob'),
    ('Completion', dict(sides=['bottom']), 'sides'),
    ('Expand', dict(fractions=[0.5, 1.5]), 'fractions'),
    ('Expand', dict(fractions=[-0.25]), 'fractions'),
    ('Expand', dict(even_side='yes'), 'even_side'),
    ('FreeFormBrush', dict(min_strokes=0), 'min_strokes'),
    ('FreeFormBrush', dict(max_vertices=-1), 'max_vertices'),
    ('FreeFormBrush', dict(min_width=50, max_width=40), 'min_width'),
    ('FreeFormBrush', dict(flip_prob=1.01), 'flip_prob'),
    ('FreeFormBrush', dict(box_prob=-1), 'box_prob'),
    ('RandomBox', dict(max_shape=0), 'max_shape'),
    ('RandomBox', dict(max_shape=0.3, max_delta=0.4), 'max_delta'),
    ('RandomBox', dict(max_shape=0.8, margin=0.2), 'margin'),
    ('CenterSquare', dict(size=0), 'size'),
    ('MaskFiles', dict(root='.', flip_prob=3), 'flip_prob'),
    ('MaskFiles', dict(root='.', max_dilation=-1), 'max_dilation'),
])
def test_bad_arguments_raise_value_errors_naming_the_parameter(name, kwargs, param):
    with pytest.raises(ValueError, match=param):
        build(name, **kwargs)


@pytest.mark.parametrize('name, shape', [('ThickStrokes', (8, 64)), ('EveryNLines', (4, 4)),
                                         ('NearestNeighbor', (32, 3)), ('Expand', (3, 3)),
                                         ('CenterSquare', (1, 1))])
def test_shapes_smaller_than_the_pattern_needs_raise(name, shape):
    with pytest.raises(ValueError, match='shape'):
        build(name)(shape, np.random.default_rng(0))


# --- tools ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_make_mask_set_cli_writes_every_paper_type(tmp_path):
    out = tmp_path / 'sets'
    result = run_python(['tools/make_mask_set.py', '--type', 'all', '--size', '24x32',
                         '--num', '3', '--seed', '7', str(out)])
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(PAPER_TYPES)
    for name in PAPER_TYPES:
        files = sorted(p.name for p in (out / name).glob('*.png'))
        assert files == ['000000.png', '000001.png', '000002.png']
        gen = build(name)
        for i, f in enumerate(files):
            png = cv2.imread(str(out / name / f), cv2.IMREAD_UNCHANGED)
            expected = gen((24, 32), np.random.default_rng([7, i])) * 255
            assert png.dtype == np.uint8 and np.array_equal(png, expected), (name, f)


def test_make_mask_set_options_and_errors(tmp_path, capsys):
    tool = load_tool('tools/make_mask_set.py')
    out = tmp_path / 'brush'
    assert tool.main(['--type', 'FreeFormBrush', '--size', '20', '--num', '2',
                      '--cfg-options', 'box.type=RandomBox', 'flip_prob=0', str(out)]) == 0
    gen = build('FreeFormBrush', box=dict(type='RandomBox'), flip_prob=0)
    png = cv2.imread(str(out / '000001.png'), cv2.IMREAD_GRAYSCALE)
    assert np.array_equal(png, gen((20, 20), np.random.default_rng([0, 1])) * 255)
    assert tool.main(['--type', 'FreeFormBrush', '--num', '1', '--size', '20', str(out)]) == 2
    assert 'overwrite' in capsys.readouterr().err
    assert tool.main(['--type', 'FreeFormBrush', '--num', '1', '--size', '20', '--overwrite',
                      str(out)]) == 0
    assert sorted(p.name for p in out.glob('*.png')) == ['000000.png']
    assert tool.main(['--type', 'ThickStroke', '--num', '1', str(tmp_path / 'x')]) == 2
    assert 'ThickStrokes' in capsys.readouterr().err
    assert tool.main(['--type', 'Expand', '--cfg-options', 'fractions=[2]', '--num', '1',
                      str(tmp_path / 'x')]) == 2
    assert 'fractions' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.main(['--type', 'Expand', '--num', '0', str(tmp_path / 'x')])
    with pytest.raises(SystemExit):
        tool.main(['--help'])
    assert '--type all' in capsys.readouterr().out
    assert not (tmp_path / 'x').exists()


def test_an_interrupted_mask_set_write_keeps_the_previous_set(tmp_path):
    """A run stopped while writing (here Ctrl-C at the third mask) used to leave the
    folder with the old masks deleted and the new ones half written."""
    from toolbox.datasets import mask_sets as tool
    out = tmp_path / 'set'
    gen, cfg = tool.build_mask_generator('Expand', {})
    tool.write_set(gen, cfg, str(out), (16, 16), 4, 0, overwrite=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(size, rng, calls=[]):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return gen(size, rng)
    with pytest.raises(KeyboardInterrupt):
        tool.write_set(interrupted, cfg, str(out), (16, 16), 6, 1, overwrite=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['set']       # nothing left over
    # a kill between moving the old set aside and moving the new one in: put back
    aside = tmp_path / '.set.old-x'
    aside.mkdir()
    out.rename(aside / 'set')
    tool.write_set(gen, cfg, str(tmp_path / 'other'), (16, 16), 1, 0, overwrite=False)
    tool._recover(str(tmp_path), 'set')
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    (out / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='notes.txt'):
        tool.write_set(gen, cfg, str(out), (16, 16), 2, 0, overwrite=True)
    assert (out / 'notes.txt').read_text() == 'mine'


def test_browse_masks_and_benchmark_run(tmp_path, capsys):
    out = tmp_path / 'browse.png'
    assert load_tool('tools/browse_masks.py').main(
        ['--out', str(out), '--size', '32', '--examples', '2', '--samples', '5',
         '--types', 'EveryNLines', 'MaskFiles']) == 0
    assert cv2.imread(str(out)) is not None
    bench = load_tool('tools/benchmarks/masks.py')
    assert bench.main(['--seconds', '0.01', '--sizes', '32', '--types', 'Expand',
                       'MaskFiles']) == 0
    text = capsys.readouterr().out
    assert 'Expand' in text and 'MaskFiles' in text and 'baseline' in text
