"""Image-quality functions on float tensors ``[B, 3, H, W]`` in ``[0, 1]``.

Each returns one value per image (a ``[B]`` float64 tensor). ``mask`` (``[B, 1, H, W]``,
1 = hole) restricts the measure to the hole where the metric allows it.
"""
from __future__ import annotations

import torch
from torch import Tensor


def _check(pred: Tensor, target: Tensor, mask: Tensor | None, name: str) -> None:
    if pred.shape != target.shape or pred.ndim != 4:
        raise ValueError(f'{name}: pred and target must both be [B, C, H, W], got '
                         f'{list(pred.shape)} and {list(target.shape)}')
    if mask is not None and (mask.ndim != 4 or mask.shape[1] != 1
                             or mask.shape[0] != pred.shape[0]
                             or mask.shape[2:] != pred.shape[2:]):
        raise ValueError(f'{name}: mask must be [B, 1, H, W] matching the images, got '
                         f'{list(mask.shape)}')


def _masked_mean(values: Tensor, mask: Tensor | None) -> Tensor:
    """Per-image mean of ``values`` [B, C, H, W] over all pixels, or over the hole."""
    values = values.double()
    if mask is None:
        return values.flatten(1).mean(1)
    weight = mask.double().expand_as(values)
    return (values * weight).flatten(1).sum(1) / weight.flatten(1).sum(1).clamp_min(1)


def mae(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean absolute error per image (whole image, or hole only with ``mask``)."""
    _check(pred, target, mask, 'mae')
    return _masked_mean((pred - target).abs(), mask)


def mse(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean squared error per image."""
    _check(pred, target, mask, 'mse')
    return _masked_mean((pred - target) ** 2, mask)


def psnr(pred: Tensor, target: Tensor, mask: Tensor | None = None,
         data_range: float = 1.0) -> Tensor:
    """Peak signal-to-noise ratio in dB per image; ``inf`` for identical images."""
    err = mse(pred, target, mask)
    return 10.0 * torch.log10(data_range ** 2 / err)
