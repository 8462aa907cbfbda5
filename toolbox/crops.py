"""Crops around the hole, for discriminators that judge the completed region (local
discriminators: DMFN, Global&Local, Context Encoders)."""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ['hole_boxes', 'hole_centred_crop']


def hole_boxes(mask: Tensor) -> Tensor:
    """Per-sample bounding box ``[B, 4]`` (x0, y0, x1, y1; x1, y1 exclusive, in pixels) of
    the hole pixels of ``mask`` [B, 1, H, W]; the whole image where there is no hole."""
    b, _, h, w = mask.shape
    hole = mask[:, 0] > 0.5                                  # [B, H, W]
    rows, cols = hole.any(dim=2), hole.any(dim=1)            # [B, H], [B, W]
    ys = torch.arange(h, device=mask.device).expand(b, h)
    xs = torch.arange(w, device=mask.device).expand(b, w)
    y0 = torch.where(rows, ys, h).amin(dim=1)
    y1 = torch.where(rows, ys, -1).amax(dim=1) + 1
    x0 = torch.where(cols, xs, w).amin(dim=1)
    x1 = torch.where(cols, xs, -1).amax(dim=1) + 1
    empty = ~rows.any(dim=1)
    y0, x0 = torch.where(empty, 0, y0), torch.where(empty, 0, x0)
    y1, x1 = torch.where(empty, h, y1), torch.where(empty, w, x1)
    return torch.stack([x0, y0, x1, y1], dim=1).to(torch.float32)


def hole_centred_crop(image: Tensor, mask: Tensor, size: int) -> Tensor:
    """The ``size`` x ``size`` pixels of ``image`` [B, C, H, W] centred on the bounding box
    of each sample's hole (``mask`` [B, 1, H, W]; the image centre without hole), shifted
    to lie inside the image: ``[B, C, size, size]``, pixel-exact (no resampling), with
    gradient. The top-left corner is ``floor((x0 + x1 - size) / 2)``, clamped."""
    b, c, h, w = image.shape
    if size > h or size > w:
        raise ValueError(f'hole_centred_crop: crop {size} is larger than the image {h}x{w}')
    box = hole_boxes(mask).long()
    left = torch.div(box[:, 0] + box[:, 2] - size, 2, rounding_mode='floor').clamp(0, w - size)
    top = torch.div(box[:, 1] + box[:, 3] - size, 2, rounding_mode='floor').clamp(0, h - size)
    span = torch.arange(size, device=image.device)
    rows = (top[:, None] + span)[:, :, None]                 # [B, size, 1]
    cols = (left[:, None] + span)[:, None, :]                # [B, 1, size]
    batch = torch.arange(b, device=image.device)[:, None, None]
    return image.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)
