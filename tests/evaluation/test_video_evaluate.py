"""`toolbox evaluate --clips`: the per-mask-type table for clips (toolbox.evaluation.video_report)."""
from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest
import torch

from toolbox.commands.evaluate import main
from toolbox.video.io import write_frames


def moving_texture(seed: int, frames: int = 6, h: int = 48, w: int = 64, step: int = 3):
    """RGB uint8 (T, H, W, 3): a smooth texture panning ``step`` px per frame, so that what
    a hole covers in one frame is visible in another."""
    big = cv2.GaussianBlur(np.random.default_rng(seed).integers(
        0, 256, (h, w + step * frames, 3), dtype=np.uint8), (9, 9), 2.5)
    return np.stack([big[:, step * t:step * t + w] for t in range(frames)])


@pytest.fixture
def clip_set(tmp_path):
    clips, masks = tmp_path / 'clips', tmp_path / 'masks'
    for i in range(2):
        write_frames(moving_texture(i), str(clips / f'clip{i}'))
        # two mask types: a small box moving right, a static bar
        box = np.zeros((6, 48, 64), np.uint8)
        for t in range(6):
            box[t, 14:30, 10 + 4 * t:26 + 4 * t] = 1
        bar = np.zeros((6, 48, 64), np.uint8)
        bar[:, 20:30, 26:36] = 1          # 10 px wide: the texture pans 15 px
        write_frames(box, str(masks / 'moving_box' / f'clip{i}'))
        write_frames(bar, str(masks / 'static_bar' / f'clip{i}'))
    return tmp_path


def _run(tmp_path, config, *extra):
    out = tmp_path / ('out_' + config.rsplit('/', 1)[-1][:-3])
    code = main([config, 'none', '--clips', str(tmp_path / 'clips'), '--mask-sets',
                 str(tmp_path / 'masks'), '--out', str(out), '--device', 'cpu',
                 '--no-progress', *extra])
    assert code == 0
    return json.loads((out / 'table.json').read_text()), out


def test_clip_table_per_mask_type_and_propagation_beats_telea(clip_set, capsys):
    prop, out = _run(clip_set, 'configs/video_classical/flow_propagation.py')
    telea, _ = _run(clip_set, 'configs/video_classical/frame_by_frame_telea.py')
    assert prop['columns'] == ['Mean', 'moving_box', 'static_bar']
    assert prop['metrics'] == ['PSNR_hole', 'SSIM_hole', 'PSNR', 'SSIM', 'WarpError']
    assert prop['images'] == {'moving_box': 2, 'static_bar': 2}
    md = (out / 'table.md').read_text()
    assert 'PSNR (hole) ↑' in md and 'warping error (x1e3) ↓' in md and 'Clips per type' in md
    assert (out / 'table.csv').is_file()
    # a perfect fill has PSNR inf, written 'inf' in the JSON
    v, t = ({r: {c: float(x) for c, x in cols.items()} for r, cols in table['values'].items()}
            for table in (prop, telea))
    for col in ('moving_box', 'static_bar'):
        # the panning texture shows every hole pixel in another frame: copying along the
        # flow must beat filling each frame from its own border
        assert v['PSNR_hole'][col] > t['PSNR_hole'][col] + 3, (v, t)
        assert v['PSNR'][col] >= v['PSNR_hole'][col]         # known pixels are exact
        assert 0 <= v['WarpError'][col] < t['WarpError'][col]
    assert v['PSNR_hole']['Mean'] == pytest.approx(
        (v['PSNR_hole']['moving_box'] + v['PSNR_hole']['static_bar']) / 2)


def test_vfid_row_with_i3d_weights(clip_set, tmp_path):
    from toolbox.evaluation.video_fid import I3DFeatures
    torch.manual_seed(0)
    weights = tmp_path / 'rgb_imagenet.pt'
    torch.save(I3DFeatures(pretrained=False).net.state_dict(), weights)
    table, _ = _run(clip_set, 'configs/video_classical/frame_by_frame_telea.py',
                    '--vfid-weights', str(weights), '--vfid-segment', '3')
    assert table['metrics'][-1] == 'VFID'
    vfid = table['values']['VFID']
    assert all(vfid[c] > 0 and math.isfinite(vfid[c]) for c in ('moving_box', 'static_bar'))


def test_clip_errors_are_one_line(clip_set, tmp_path, capsys):
    # an image model
    code = main(['configs/classical/telea.py', 'none', '--clips', str(clip_set / 'clips'),
                 '--mask-sets', str(clip_set / 'masks'), '--no-progress'])
    err = capsys.readouterr().err.strip()
    assert code == 2 and '\n' not in err and 'takes images, not clips' in err
    # a missing VFID weight file stops before any work
    code = main(['configs/video_classical/flow_propagation.py', 'none', '--clips',
                 str(clip_set / 'clips'), '--mask-sets', str(clip_set / 'masks'),
                 '--vfid-weights', str(tmp_path / 'nope' / 'rgb_imagenet.pt')])
    err = capsys.readouterr().err.strip()
    assert code == 2 and 'rgb_imagenet.pt' in err and '\n' not in err
    # a mask type without one clip's masks
    import shutil
    shutil.rmtree(clip_set / 'masks' / 'static_bar' / 'clip1')
    code = main(['configs/video_classical/flow_propagation.py', 'none', '--clips',
                 str(clip_set / 'clips'), '--mask-sets', str(clip_set / 'masks'),
                 '--no-progress'])
    err = capsys.readouterr().err.strip()
    assert code == 2 and '\n' not in err and "static_bar has no masks for clip(s) ['clip1']" in err


def test_vfid_segments_cut_consecutive_frames():
    from toolbox.evaluation.video_report import vfid_segments
    frames = np.arange(7 * 2 * 2 * 3, dtype=np.uint8).reshape(7, 2, 2, 3)
    parts = vfid_segments(frames, 3)
    assert [p.shape for p in parts] == [(1, 3, 3, 2, 2)] * 2          # the 7th frame dropped
    assert torch.equal(parts[1][0, 0], torch.from_numpy(frames[3]).permute(2, 0, 1) / 255)
    assert [p.shape[1] for p in vfid_segments(frames, 0)] == [7]      # 0: the whole clip
