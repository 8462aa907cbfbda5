"""The learnable attention maps of LBAM (Xie et al., ICCV 2019, Sec. 3.2-3.3).

* :class:`AsymmetricGaussian` is the attention activation ``g_A`` (equation 6 of the
  paper): ``a * exp(-gamma_l (M_c - mu)^2)`` left of ``mu`` and
  ``1 + (a - 1) * exp(-gamma_r (M_c - mu)^2)`` from ``mu`` on, with ``a``, ``mu``,
  ``gamma_l``, ``gamma_r`` learned.
* :func:`mask_update` is the learnable mask update ``g_M(M_c) = ReLU(M_c) ** alpha``.
* :class:`ForwardAttentionConv` is one encoder layer: the features ``W^T F`` are
  re-normalised by ``g_A(k_M * M)`` (a learned mask convolution instead of PConv's fixed
  ``1/9`` filter) and the mask passed on is ``g_M(k_M * M)``.
* :class:`ReverseMaskConv` produces the reverse attention maps from the complement of the
  mask (``1 - M``: 1 in the hole), and :class:`ReverseAttentionDeconv` is one decoder layer:
  the encoder's skip features and the up-sampled decoder features, concatenated, are
  weighted by the forward and the reverse attention maps, concatenated the same way.

The masks here are 1 on known pixels (the paper's ``M``); the generator turns the toolbox's
hole masks around.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['AsymmetricGaussian', 'mask_update', 'ForwardAttentionConv', 'ReverseMaskConv',
           'ReverseAttentionDeconv', 'CLAMP_MODES', 'PAPER_INIT', 'RELEASED_REVERSE_INIT',
           'BOUNDS']

#: ``(a, mu, gamma_l, gamma_r)`` at initialisation in the paper (Sec. 3.2), and for the
#: forward attention layers of the official code.
PAPER_INIT = (1.1, 2.0, 1.0, 1.0)
#: The official code initialises its reverse attention layers differently.
RELEASED_REVERSE_INIT = (1.1, 1.0, 0.5, 0.5)
#: The ranges the official code holds the parameters in (``GaussActivation.forward``).
BOUNDS = dict(a=(1.01, 6.0), mu=(0.1, 3.0), gamma_l=(0.5, 2.0), gamma_r=(0.5, 2.0))
#: ``'values'``: the bounds apply to the values used, the parameters are left as they are;
#: ``'inplace'``: the official code's projection of the parameters at every forward;
#: ``'none'``: no bounds (the paper states none).
CLAMP_MODES = ('values', 'inplace', 'none')


class AsymmetricGaussian(nn.Module):
    """``g_A`` with learnable ``a``, ``mu``, ``gamma_l``, ``gamma_r`` (scalars).

    Args:
        init: their initial values (the paper: 1.1, 2.0, 1.0, 1.0).
        clamp: one of :data:`CLAMP_MODES`, how :data:`BOUNDS` apply.
    """

    def __init__(self, init: tuple[float, float, float, float] = PAPER_INIT,
                 clamp: str = 'values') -> None:
        super().__init__()
        if clamp not in CLAMP_MODES:
            raise ValueError(f'AsymmetricGaussian: clamp must be one of {CLAMP_MODES}, '
                             f'got {clamp!r}')
        self.clamp = clamp
        for name, value in zip(BOUNDS, init):
            setattr(self, name, nn.Parameter(torch.tensor(float(value))))

    def _values(self) -> list[Tensor]:
        params = [getattr(self, name) for name in BOUNDS]
        if self.clamp == 'none':
            return params
        if self.clamp == 'inplace':
            with torch.no_grad():
                for p, (low, high) in zip(params, BOUNDS.values()):
                    p.clamp_(low, high)
            return params
        return [p.clamp(low, high) for p, (low, high) in zip(params, BOUNDS.values())]

    def forward(self, x: Tensor) -> Tensor:
        a, mu, gamma_l, gamma_r = (v.to(x.dtype) for v in self._values())
        square = (x - mu) ** 2
        left = a * torch.exp(-gamma_l * square)
        right = 1 + (a - 1) * torch.exp(-gamma_r * square)
        return torch.where(x < mu, left, right)

    def extra_repr(self) -> str:
        return f'clamp={self.clamp!r}'


def mask_update(mask_features: Tensor, alpha: float) -> Tensor:
    """``ReLU(M_c) ** alpha``, the mask passed to the next layer (equation 5)."""
    return F.relu(mask_features).pow(alpha)


def _normal(module: nn.Module) -> nn.Module:
    # N(0, 0.02), the official code's initialisation of every convolution
    nn.init.normal_(module.weight, 0.0, 0.02)
    return module


class ForwardAttentionConv(nn.Module):
    """An encoder layer: 4x4 convolution of stride 2 without bias, re-normalised by the
    forward attention map; optional batch norm, then LeakyReLU 0.2.

    ``forward(x, m) -> (out, m_next, pre, attention)``: ``pre`` is the convolution before
    re-normalisation (the decoder's skip input), ``attention`` the map ``g_A(k_M * m)``.
    """

    def __init__(self, cin: int, cout: int, mask_channels: int, *, alpha: float,
                 batch_norm: bool, init=PAPER_INIT, clamp: str = 'values') -> None:
        super().__init__()
        self.conv = _normal(nn.Conv2d(cin, cout, 4, 2, 1, bias=False))
        self.mask_conv = _normal(nn.Conv2d(mask_channels, cout, 4, 2, 1, bias=False))
        self.attention = AsymmetricGaussian(init, clamp)
        self.bn = nn.BatchNorm2d(cout) if batch_norm else None
        self.alpha = float(alpha)

    def forward(self, x: Tensor, m: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        pre = self.conv(x)
        mask_features = self.mask_conv(m)
        attention = self.attention(mask_features)
        out = pre * attention
        if self.bn is not None:
            out = self.bn(out)
        return (F.leaky_relu(out, 0.2), mask_update(mask_features, self.alpha), pre,
                attention)


class ReverseMaskConv(nn.Module):
    """The reverse attention branch: ``(attention, m_next) = (g_A(k_r * m), g_M(k_r * m))``
    on the complement of the mask, one level down per layer."""

    def __init__(self, cin: int, cout: int, *, alpha: float, init=PAPER_INIT,
                 clamp: str = 'values') -> None:
        super().__init__()
        self.mask_conv = _normal(nn.Conv2d(cin, cout, 4, 2, 1, bias=False))
        self.attention = AsymmetricGaussian(init, clamp)
        self.alpha = float(alpha)

    def forward(self, m: Tensor) -> tuple[Tensor, Tensor]:
        mask_features = self.mask_conv(m)
        return self.attention(mask_features), mask_update(mask_features, self.alpha)


class ReverseAttentionDeconv(nn.Module):
    """A decoder layer: 4x4 transposed convolution of stride 2 without bias of the decoder
    features, concatenated after the encoder's skip features; the whole weighted by
    ``[forward map, reverse map]``; optional batch norm, then LeakyReLU 0.2."""

    def __init__(self, cin: int, cout: int, skip_channels: int, *, batch_norm: bool) -> None:
        super().__init__()
        self.deconv = _normal(nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False))
        self.bn = nn.BatchNorm2d(skip_channels + cout) if batch_norm else None

    def forward(self, skip: Tensor, x: Tensor, attention: Tensor) -> Tensor:
        out = torch.cat([skip, self.deconv(x)], 1) * attention
        if self.bn is not None:
            out = self.bn(out)
        return F.leaky_relu(out, 0.2)
