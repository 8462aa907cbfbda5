"""Contract checks of video models, called by :mod:`toolbox.testing` for the video ones (so
that ``tests/test_contracts.py`` covers every registered component, video or image); video
mask generators are checked by :func:`toolbox.testing.check_mask_generator` on their axes."""
from __future__ import annotations


import torch

from .models import BaseVideoInpaintor

__all__ = ['check_video_model', 'tiny_clip']


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


def check_video_model(model: BaseVideoInpaintor, name: str,
                      train_steps=None) -> BaseVideoInpaintor:
    """``inpaint`` on a clip keeps the known pixels exactly, fills the holes with finite
    values, rejects image-shaped input with the shape error and an unknown option with a
    ``TypeError`` naming it; ``val_step`` returns per-sample ``[T, 3, H, W]`` in [0, 1]. A
    trainable model is given to ``train_steps(model, name, data)`` with a packed batch of
    clips (:func:`toolbox.testing.check_model` passes its two-step training check, so that
    images and clips are held to one contract and this module needs nothing above it)."""
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
    if model.trainable and train_steps is not None:
        train_steps(model, name, data)
        model.eval()
    with torch.no_grad():
        results = model.val_step(data)
    assert isinstance(results, list) and len(results) == 2
    for r in results:
        assert r['pred'].shape == video.shape[1:], f'{name}: val_step pred {r["pred"].shape}'
        assert 0 <= float(r['pred'].min()) and float(r['pred'].max()) <= 1
    return model
