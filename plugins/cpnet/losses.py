"""The training losses of CPNet, which the official release leaves out (see README.md for
where each weight comes from). Images in [0, 1] (the network's range), holes 1 = hole."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox.nn.vgg import gram

__all__ = ['hole_loss', 'valid_loss', 'alignment_loss', 'total_variation_loss', 'gram',
           'perceptual_and_style', 'random_affine', 'random_boxes']


def hole_loss(pred: Tensor, gt: Tensor, hole: Tensor) -> Tensor:
    """``mean(|hole * (pred - gt)|)`` over all pixels and channels."""
    return (hole * (pred - gt)).abs().mean()


def valid_loss(pred: Tensor, gt: Tensor, hole: Tensor) -> Tensor:
    """``mean(|(1 - hole) * (pred - gt)|)`` over all pixels and channels."""
    return ((1 - hole) * (pred - gt)).abs().mean()


def alignment_loss(target: Tensor, target_hole: Tensor, aligned: Tensor,
                   visible: Tensor) -> Tensor:
    """L1 between the target and each aligned reference on the pixels both show, averaged
    over those pixels (and channels), then over the references.

    ``target`` ``[B, 3, H, W]``, ``target_hole`` ``[B, 1, H, W]``, ``aligned``
    ``[B, 3, R, H, W]``, ``visible`` ``[B, 1, R, H, W]``. A reference that shares no
    pixel with the target contributes 0.
    """
    if aligned.shape[2] == 0:
        return target.new_zeros(())
    both = (1 - target_hole).unsqueeze(2) * visible                     # [B, 1, R, H, W]
    error = (both * (aligned - target.unsqueeze(2))).abs().sum((1, 3, 4))   # [B, R]
    count = both.sum((1, 3, 4)) * target.shape[1]
    return (error / count.clamp(min=1)).mean()


def total_variation_loss(image: Tensor, hole: Tensor) -> Tensor:
    """Mean absolute difference of horizontal and vertical neighbours, over the pairs whose
    both pixels lie in the hole dilated by one pixel (Liu et al.'s TV term, as a mean)."""
    region = (F.max_pool2d(hole, 3, 1, 1) > 0).to(image)
    rx = region[..., :, 1:] * region[..., :, :-1]
    ry = region[..., 1:, :] * region[..., :-1, :]
    dx = (image[..., :, 1:] - image[..., :, :-1]).abs() * rx
    dy = (image[..., 1:, :] - image[..., :-1, :]).abs() * ry
    return dx.mean() + dy.mean()


def perceptual_and_style(vgg, outputs: list[Tensor], gt: Tensor) -> tuple[Tensor, Tensor]:
    """Perceptual (L1 of features) and style (L1 of Gram matrices) losses of each image in
    ``outputs`` against ``gt``, summed over ``vgg``'s layers and the outputs; images in
    [0, 1], ``vgg`` a :class:`toolbox.nn.FrozenVGG` (fed [-1, 1])."""
    target = [f.detach() for f in vgg(gt * 2 - 1)]
    perceptual = gt.new_zeros(())
    style = gt.new_zeros(())
    for out in outputs:
        for f, g in zip(vgg(out * 2 - 1), target):
            perceptual = perceptual + (f - g).abs().mean()
            style = style + (gram(f) - gram(g)).abs().mean()
    return perceptual, style


def random_affine(batch: int, max_rotation: float = 10.0, max_scale: float = 0.1,
                  max_shift: float = 0.1, generator: torch.Generator | None = None) -> Tensor:
    """Random affine matrices ``[B, 2, 3]`` (in ``affine_grid``'s normalised coordinates):
    rotation up to ``max_rotation`` degrees, scale ``1 +- max_scale``, translation up to
    ``max_shift`` of the half-size."""
    def uniform(lo, hi):
        return lo + (hi - lo) * torch.rand(batch, generator=generator)
    angle = uniform(-max_rotation, max_rotation) * math.pi / 180
    scale = uniform(1 - max_scale, 1 + max_scale)
    tx, ty = uniform(-max_shift, max_shift), uniform(-max_shift, max_shift)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    return torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)


def random_boxes(batch: int, height: int, width: int, min_size: float = 0.1,
                 max_size: float = 0.4, generator: torch.Generator | None = None) -> Tensor:
    """One random rectangle hole per sample ``[B, 1, H, W]`` (1 = hole), sides between
    ``min_size`` and ``max_size`` of the frame's."""
    holes = torch.zeros(batch, 1, height, width)
    r = torch.rand(batch, 4, generator=generator)
    for i in range(batch):
        h = max(1, int(height * (min_size + (max_size - min_size) * r[i, 0])))
        w = max(1, int(width * (min_size + (max_size - min_size) * r[i, 1])))
        top, left = int((height - h) * r[i, 2]), int((width - w) * r[i, 3])
        holes[i, :, top:top + h, left:left + w] = 1
    return holes
