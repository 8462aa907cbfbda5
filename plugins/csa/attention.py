"""The Coherent Semantic Attention layer (Liu et al., ICCV 2019, Sec. 3.2).

Every hole position of a feature map is replaced, in raster order, by a mixture of two
vectors: the known feature most similar to it (the *search*), and the hole feature
generated just before it (the *generative* step, which makes neighbouring hole features
coherent). With ``m_i`` the hole feature at the ``i``-th hole position, ``k_j`` the known
features, the similarities are

    D_max_i = max_j <m_i, k_j / |k_j|>,      m̄_i = k_{argmax}   (the best known feature)
    D_ad_i  = <m'_{i-1}, m_i / |m_i|>                           (the previous generated one)

and the generated features ``m'_1 = m̄_1``,
``m'_i = (D_ad_i m'_{i-1} + D_max_i m̄_i) / (D_ad_i + D_max_i)``. Known positions pass
through unchanged. The official layer (KumapowerLIU/CSA-inpainting, ``CSAFunction``)
computes exactly this with 1x1 patches, one Python iteration per feature position and a
convolution per hole; here the similarities to the known features are one matrix product
and only the recurrence over the hole positions is a loop (see :func:`coherent_attention`).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['coherent_attention', 'feature_hole', 'CoherentSemanticAttention']

#: added to every norm before dividing by it, as the official layer
EPS = 1e-8


def feature_hole(mask: Tensor, levels: int = 3, threshold: float = 5 / 16) -> Tensor:
    """The hole at the feature map ``levels`` halvings down: ``mask`` [B, 1, H, W] (1 =
    hole) averaged over 4x4 windows (stride 2, zero padding) ``levels`` times, then
    ``> threshold`` (the official ``cal_feat_mask``: convolutions with weight 1/16).
    Returns a bool tensor [B, 1, H / 2^levels, W / 2^levels]."""
    m = mask.float()
    for _ in range(levels):
        m = F.avg_pool2d(m, 4, stride=2, padding=1, count_include_pad=True)
    return m > threshold


def _attend(feat: Tensor, hole: Tensor) -> Tensor:
    """One sample: ``feat`` [C, N] (N positions), ``hole`` [N] bool."""
    hole_idx = hole.nonzero().squeeze(1)
    known_idx = (~hole).nonzero().squeeze(1)
    if hole_idx.numel() == 0 or known_idx.numel() == 0:
        return feat
    known = feat[:, known_idx].t()                     # [Nk, C]
    query = feat[:, hole_idx].t()                      # [Nm, C]
    # the search: every hole feature against every normalised known feature at once
    sim = query @ (known / (known.norm(dim=1, keepdim=True) + EPS)).t()
    d_max, best = sim.max(dim=1)
    nearest = known[best]                              # m̄_i
    unit_query = query / (query.norm(dim=1, keepdim=True) + EPS)
    # the generative step: each hole feature depends on the previous generated one, so
    # this runs in order; one dot product and one mixture per hole position
    generated = [nearest[0]]
    for i in range(1, hole_idx.numel()):
        prev = generated[-1]
        d_ad = torch.dot(prev, unit_query[i])
        generated.append((d_ad * prev + d_max[i] * nearest[i]) / (d_ad + d_max[i]))
    out = feat.clone()
    out[:, hole_idx] = torch.stack(generated, dim=1)
    return out


def coherent_attention(x: Tensor, hole: Tensor) -> Tensor:
    """The CSA layer's output for features ``x`` [B, C, H, W] and the feature-level hole
    ``hole`` [B, 1, H, W] (bool, or 1 = hole): the hole positions replaced by the
    coherent mixtures of the module docstring, each sample with its own hole. Differentiable
    (the best match's index is not)."""
    if hole.shape[0] != x.shape[0] or hole.shape[-2:] != x.shape[-2:]:
        raise ValueError(f'coherent_attention: hole {tuple(hole.shape)} does not match the '
                         f'features {tuple(x.shape)}')
    b, c, h, w = x.shape
    hole = hole.reshape(b, h * w).bool()
    flat = x.reshape(b, c, h * w)
    return torch.stack([_attend(flat[i], hole[i]) for i in range(b)]).reshape(b, c, h, w)


class CoherentSemanticAttention(nn.Module):
    """:func:`coherent_attention` as a layer; no parameters. ``forward(x, hole)``."""

    def forward(self, x: Tensor, hole: Tensor) -> Tensor:
        return coherent_attention(x, hole)
