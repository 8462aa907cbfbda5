"""Pixel values in and out of the models' range: images inside models are in [-1, 1];
files and arrays hold [0, 255] (uint8), metrics and grids [0, 1]."""
from __future__ import annotations

from torch import Tensor

__all__ = ['to_model_range', 'from_model_range']


def to_model_range(image: Tensor, peak: float = 255.0) -> Tensor:
    """``image`` in ``[0, peak]`` (uint8 or float) -> float in [-1, 1]."""
    return image.float() / (peak / 2.0) - 1.0


def from_model_range(image: Tensor, peak: float = 1.0) -> Tensor:
    """``image`` in [-1, 1] (clamped) -> float in ``[0, peak]``; round and cast for uint8
    (``from_model_range(x, 255).round().byte()``)."""
    return (image.float().clamp(-1, 1) + 1.0) * (peak / 2.0)
