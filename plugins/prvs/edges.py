"""The structure PRVS reconstructs: Canny edge maps and the grey image its edge
discriminator is conditioned on.

As the official data loader: scikit-image's ``canny`` (Gaussian sigma 2, default hysteresis
thresholds) on ``rgb2gray`` of the image in [0, 1]. Training takes the edges of the whole
ground truth (the discriminator's real edges) and gives the generator their known part; at
inference the ground truth is unknown, so the detector sees only the known pixels
(``mask=`` of ``canny``: its smoothing is normalised over them), and no edge comes from a
hole's content.
"""
from __future__ import annotations

import numpy as np
import torch
from skimage.feature import canny
from torch import Tensor

__all__ = ['grey', 'canny_edges']

#: ITU-R BT.709 luma weights, as scikit-image's ``rgb2gray``
_LUMA = (0.2125, 0.7154, 0.0721)


def grey(image01: Tensor) -> Tensor:
    """``[B, 1, H, W]``: the luma of ``image01`` ``[B, 3, H, W]`` in [0, 1] (``rgb2gray``)."""
    weights = image01.new_tensor(_LUMA).view(1, 3, 1, 1)
    return (image01 * weights).sum(1, keepdim=True)


def canny_edges(image01: Tensor, known: Tensor | None = None, sigma: float = 2.0) -> Tensor:
    """``[B, 1, H, W]`` float {0, 1}: Canny edges of ``image01`` ``[B, 3, H, W]`` in [0, 1].

    With ``known`` (``[B, 1, H, W]``, 1 = known pixel) the detector sees only the known
    pixels and the result is zero in the holes. No gradient flows through it.
    """
    g = grey(image01.detach().float().clamp(0, 1))[:, 0].cpu().numpy().astype(np.float64)
    keep = None if known is None else known.detach()[:, 0].cpu().numpy() > 0.5
    edges = np.stack([canny(g[i], sigma=sigma, mask=None if keep is None else keep[i])
                      & (True if keep is None else keep[i]) for i in range(g.shape[0])])
    return torch.from_numpy(edges[:, None].astype(np.float32)).to(image01.device,
                                                                   image01.dtype)
