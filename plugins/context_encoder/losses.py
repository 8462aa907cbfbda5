"""The Context Encoder's reconstruction loss: a masked L2 over a slightly larger region
than the hole, the overlapping band weighted higher.

Paper: Pathak et al., CVPR 2016, sections 3.2 and 4: "we predict a slightly larger patch
that overlaps with the context region by 4px", and "we use 10 times higher weight for
the reconstruction loss in this overlapping region". In the authors' released code
(``train.lua``, ``overlapPred=4``) the network's input is blanked on the inner 56² of the
64² centre, the L2 is taken over the whole 64² prediction, and its gradient is weighted
``10 * wtl2`` on the 4-pixel band and ``wtl2`` inside (``wtl2 = 0.999``; the adversarial
term gets ``1 - wtl2 = 0.001``).

Here the ``mask`` is the hole given to the network (the inner 56²); the predicted region
is the hole dilated by ``overlap`` pixels (square dilation: a box grows by ``overlap`` on
each side); the weight is ``overlap_weight`` on that band, 1 in the hole, 0 elsewhere,
and the loss is ``sum(weight * (pred - target)**2) / (C * |region|)`` per sample, averaged
over the batch: the released mean over the 64² prediction. ``loss_weight=0.999`` in the
configs gives the paper's joint weights.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor

from toolbox import BaseReconstructionLoss
from toolbox.registry import LOSSES

__all__ = ['OverlapL2Loss', 'overlap_weights']


def overlap_weights(mask: Tensor, overlap: int, overlap_weight: float) -> Tensor:
    """``[B, 1, H, W]``: ``overlap_weight`` on the known pixels within ``overlap`` pixels
    (chessboard distance) of the hole, 1 in the hole (``mask`` = 1), 0 elsewhere."""
    hole = (mask > 0.5).to(mask.dtype)
    if overlap <= 0:
        return hole
    k = 2 * int(overlap) + 1
    region = F.max_pool2d(hole, k, stride=1, padding=int(overlap))
    return hole + float(overlap_weight) * (region - hole)


@LOSSES.register_module()
class OverlapL2Loss(BaseReconstructionLoss):
    """Masked L2 on the hole and an ``overlap``-pixel band around it weighted
    ``overlap_weight`` (4 and 10 as the paper and its released code).

    Args:
        overlap: width of the band in pixels (0: the hole only).
        overlap_weight: weight of the band relative to the hole.
    """

    tiny_cfg = dict(overlap=2)

    def __init__(self, loss_weight: float = 1.0, outputs: Sequence[str] = ('output',),
                 overlap: int = 4, overlap_weight: float = 10.0) -> None:
        super().__init__(loss_weight, outputs)
        if int(overlap) != overlap or overlap < 0:
            raise ValueError(f'OverlapL2Loss: overlap must be a whole number >= 0, got '
                             f'{overlap!r}')
        self.overlap, self.overlap_weight = int(overlap), float(overlap_weight)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        weight = overlap_weights(mask, self.overlap, self.overlap_weight)   # [B, 1, H, W]
        region = (weight > 0).to(pred.dtype).sum(dim=(1, 2, 3)) * pred.shape[1]
        per_sample = ((pred - target).square() * weight).sum(dim=(1, 2, 3))
        return (per_sample / region.clamp_min(1)).mean()
