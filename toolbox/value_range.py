"""Pixel values in and out of the models' range: images inside models are in [-1, 1];
files and arrays hold [0, 255] (uint8), metrics and grids [0, 1]."""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ['to_model_range', 'from_model_range']


def to_model_range(image: Tensor, peak: float = 255.0) -> Tensor:
    """``image`` in ``[0, peak]`` (uint8 or float) -> float in [-1, 1].

    ``(x - peak / 2) / (peak / 2)`` rounds once (``x - 127.5`` is exact for 8-bit values),
    so every uint8 value maps to the float32 nearest ``2 x / 255 - 1``; ``x / 127.5 - 1``
    rounds twice and misses it for some values. It is also MMagic's normalisation
    (mean = std = 127.5), so converted MMagic models see the very same input.
    """
    half = peak / 2.0
    return (image.to(torch.get_default_dtype()) - half) / half


def from_model_range(image: Tensor, peak: float = 1.0) -> Tensor:
    """``image`` in [-1, 1] (clamped) -> float in ``[0, peak]``; round and cast for uint8
    (``from_model_range(x, 255).round().byte()``)."""
    return (image.float().clamp(-1, 1) + 1.0) * (peak / 2.0)
