"""Temporal metrics of inpainted clips, as plain functions on float tensors.

Clips are ``[B, T, 3, H, W]`` in ``[0, 1]`` (like :mod:`.functional`'s images), masks
``[B, T, 1, H, W]`` with 1 = hole. Every function returns one value per video ``[B]``;
average over videos with ``.mean()`` (``nanmean`` where a video may have no hole).

* :func:`video_psnr`, :func:`video_ssim`: the image metrics of :mod:`.functional` on every
  frame, averaged over the frames of each video (frames without a hole are left out of
  the hole-only mean);
* :func:`warping_error`: the flow warping error of Lai et al., "Learning Blind Video
  Temporal Consistency" (ECCV 2018). Frame t+1 of the *result* is warped onto frame t with
  the optical flow of the *ground truth*, pixels that the forward-backward check marks as
  occluded are left out, and the squared error is averaged over the remaining pixels (and
  the three channels) and over the frame pairs. The flow is OpenCV's DIS flow
  (:mod:`toolbox.video.flow`); the papers used FlowNet2, whose weights cannot be had
  offline, so **these numbers are not comparable to the papers' FlowNet2-based ones** --
  compare methods with each other under this flow only.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from . import functional as F

__all__ = ['video_psnr', 'video_ssim', 'warping_error']


def _check(pred: Tensor, target: Tensor, mask: Tensor | None, name: str) -> None:
    if pred.shape != target.shape or pred.ndim != 5:
        raise ValueError(f'{name}: pred and target must both be [B, T, C, H, W], got '
                         f'{list(pred.shape)} and {list(target.shape)}')
    if mask is not None and (mask.ndim != 5 or mask.shape[2] != 1
                             or mask.shape[:2] != pred.shape[:2]
                             or mask.shape[3:] != pred.shape[3:]):
        raise ValueError(f'{name}: mask must be [B, T, 1, H, W] matching the clips, got '
                         f'{list(mask.shape)}')


def _per_frame(fn, pred: Tensor, target: Tensor, mask: Tensor | None, **kwargs) -> Tensor:
    b, t = pred.shape[:2]
    values = fn(pred.flatten(0, 1), target.flatten(0, 1),
                None if mask is None else mask.flatten(0, 1), **kwargs)
    values = values.reshape(b, t).double()
    if mask is not None:     # frames without a hole do not count in a hole-only mean
        empty = mask.flatten(2).sum(-1).cpu() == 0
        values = values.masked_fill(empty, math.nan)
    return values.nanmean(1)


def video_psnr(pred: Tensor, target: Tensor, mask: Tensor | None = None,
               data_range: float = 1.0) -> Tensor:
    """Per-frame PSNR (dB), the mean over each video's frames ``[B]``; with ``mask`` over
    the hole pixels of each frame (frames without a hole are skipped)."""
    _check(pred, target, mask, 'video_psnr')
    return _per_frame(F.psnr, pred, target, mask, data_range=data_range)


def video_ssim(pred: Tensor, target: Tensor, mask: Tensor | None = None,
               data_range: float = 1.0) -> Tensor:
    """Per-frame SSIM (:func:`toolbox.evaluation.functional.ssim`), the mean over each
    video's frames ``[B]``; with ``mask`` over the hole pixels of each frame."""
    _check(pred, target, mask, 'video_ssim')
    return _per_frame(F.ssim, pred, target, mask, data_range=data_range)


def _uint8(frame: Tensor) -> np.ndarray:
    return (frame.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy()


def warping_error(pred: Tensor, target: Tensor, mask: Tensor | None = None,
                  flow_preset: str = 'medium') -> Tensor:
    """The flow warping error of Lai et al. (ECCV 2018) per video ``[B]`` (float64): for each
    pair of frames (t, t+1), ``pred[t+1]`` warped onto ``t`` by the DIS flow of
    ``target[t] -> target[t+1]``, the mean squared difference to ``pred[t]`` over the pixels
    the forward-backward check finds unoccluded (and, with ``mask``, in the hole of frame
    t), averaged over the pairs. Values are in ``[0, 1]``-range units squared. A clip of one
    frame, or without any counted pixel, gives ``nan``. DIS, not FlowNet2: not comparable to
    the papers' numbers."""
    from toolbox.video.flow import dis_flow, occlusion_mask, warp
    _check(pred, target, mask, 'warping_error')
    out = []
    for v in range(pred.shape[0]):
        errors = []
        gt = [_uint8(f) for f in target[v]]
        res = pred[v].detach().float().permute(0, 2, 3, 1).cpu().numpy()     # (T, H, W, 3)
        for t in range(pred.shape[1] - 1):
            fwd = dis_flow(gt[t], gt[t + 1], flow_preset)
            bwd = dis_flow(gt[t + 1], gt[t], flow_preset)
            valid = occlusion_mask(fwd, bwd)
            if mask is not None:
                valid &= mask[v, t, 0].cpu().numpy() > 0.5
            if not valid.any():
                continue
            warped, _ = warp(np.ascontiguousarray(res[t + 1]), fwd)
            diff = (warped - res[t])[valid]
            errors.append(float(np.mean(diff.astype(np.float64) ** 2)))
        out.append(float(np.mean(errors)) if errors else math.nan)
    return torch.tensor(out, dtype=torch.float64)
