"""Contract checks of video components, called by :mod:`toolbox.testing` for the video ones
(so that ``tests/test_contracts.py`` covers every registered component, video or image)."""
from __future__ import annotations

import numpy as np
import torch

from .masks import BaseVideoMaskGenerator
from .models import BaseVideoInpaintor

__all__ = ['check_video_mask_generator', 'check_video_model', 'tiny_clip']


def check_video_mask_generator(gen: BaseVideoMaskGenerator, name: str,
                               shape: tuple[int, int, int] = (5, 64, 64),
                               samples: int = 50) -> BaseVideoMaskGenerator:
    """Binary uint8 of the exact (T, H, W), reproducible per seed, hole ratio in range, the
    frames of a clip not all drawn independently of the seed."""
    assert isinstance(gen, BaseVideoMaskGenerator), f'{name} is not a BaseVideoMaskGenerator'
    shape = tuple(max(s, m) for s, m in zip(shape, gen.min_shape))
    a = gen(shape, np.random.default_rng(123))
    b = gen(shape, np.random.default_rng(123))
    assert a.dtype == np.uint8 and a.shape == shape, f'{name}: {a.dtype} {a.shape}'
    assert np.array_equal(a, b), f'{name}: the same seed gave different masks'
    rng = np.random.default_rng(0)
    lo, hi = gen.hole_ratio_range
    ratios = []
    for _ in range(samples):
        m = gen(shape, rng)
        assert m.shape == shape and m.dtype == np.uint8
        assert set(np.unique(m).tolist()) <= {0, 1}, f'{name}: mask values must be 0 or 1'
        ratios.append(float(m.mean()))
    assert lo - 1e-9 <= min(ratios) and max(ratios) <= hi + 1e-9, \
        (f'{name}: hole ratios {min(ratios):.3f}..{max(ratios):.3f} leave the documented '
         f'range {lo}..{hi}')
    assert len(set(np.round(ratios, 6))) > 1 or lo == hi, f'{name}: masks never vary'
    try:
        gen(shape[1:], rng)
    except ValueError as exc:
        assert '(T, H, W)' in str(exc), f'{name}: the shape error must name (T, H, W)'
    else:
        raise AssertionError(f'{name}: an image shape (H, W) must raise')
    return gen


def tiny_clip(batch: int = 1, frames: int = 4, size: int = 32,
              seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A smooth moving pattern ``[B, T, 3, H, W]`` in [-1, 1] and a box hole in every frame
    ``[B, T, 1, H, W]``."""
    g = torch.Generator().manual_seed(seed)
    base = torch.nn.functional.interpolate(torch.rand(batch, 3, size // 4, size // 4,
                                                      generator=g), size=(size, size),
                                           mode='bilinear', align_corners=False)
    video = torch.stack([torch.roll(base, shifts=t, dims=-1) for t in range(frames)], 1)
    masks = torch.zeros(batch, frames, 1, size, size)
    for t in range(frames):
        masks[:, t, :, size // 4:size // 2, size // 4 + t:size // 2 + t] = 1
    return video * 2 - 1, masks


def check_video_model(model: BaseVideoInpaintor, name: str) -> BaseVideoInpaintor:
    """``inpaint`` on a clip keeps the known pixels exactly, fills the holes with finite
    values, rejects image-shaped input with the shape error and an unknown option with a
    ``TypeError`` naming it; ``val_step`` returns per-sample ``[T, 3, H, W]`` in [0, 1]. A
    trainable model's training steps are the trainable video method's tests to check."""
    assert isinstance(model, BaseVideoInpaintor), f'{name} is not a BaseVideoInpaintor'
    size = max(32, model.size_multiple)
    video, masks = tiny_clip(batch=2, frames=4, size=size)
    model.eval()
    with torch.no_grad():
        out = model.inpaint(video, masks)
    assert out.shape == video.shape, f'{name}: inpaint returned {list(out.shape)}'
    known = (masks == 0).expand_as(video)
    assert torch.equal(out[known], video[known]), f'{name}: inpaint changed known pixels'
    assert torch.isfinite(out).all(), f'{name}: inpaint output is not finite'
    for bad in ((video[:, 0], masks[:, 0]), (video, masks[:, :2])):
        try:
            model.inpaint(*bad)
        except ValueError as exc:
            assert '[B, T' in str(exc), f'{name}: the shape error must state the convention'
        else:
            raise AssertionError(f'{name}: inpaint accepted {[list(x.shape) for x in bad]}')
    try:
        model.inpaint(video, masks, no_such_option=1)
    except TypeError as exc:
        assert 'no_such_option' in str(exc), f'{name}: the error must name the option'
    else:
        raise AssertionError(f'{name}: inpaint accepted an unknown option')
    data = dict(inputs=dict(gt=list(((video + 1) * 127.5).round().byte()),
                            mask=list(masks.byte())))
    with torch.no_grad():
        results = model.val_step(data)
    assert isinstance(results, list) and len(results) == 2
    for r in results:
        assert r['pred'].shape == video.shape[1:], f'{name}: val_step pred {r["pred"].shape}'
        assert 0 <= float(r['pred'].min()) and float(r['pred'].max()) <= 1
    return model
