"""Spectral normalisation with the power iteration in the order of Miyato et al.
("Spectral Normalization for Generative Adversarial Networks", ICLR 2018, Algorithm 1):
``v <- W^T u / |W^T u|``, then ``u <- W v / |W v|``, then ``sigma = u^T W v``.

torch's parametrisation (``torch.nn.utils.parametrizations.spectral_norm``) updates ``u``
from the stored ``v`` first and ``v`` from the new ``u`` second, so its ``sigma`` is half an
iteration ahead of the paper's. While the vectors are far from converged (a fresh
discriminator) that changes the logits: with torch's order, DeepFill v2's generator GAN
term was 3% apart from MMagic's on the first training step and 7% by the fourth
(docs/training-parity.md). The authors' code (and MMagic, through
``torch.nn.utils.spectral_norm``) follow the paper.

This module keeps torch's parametrisation (its state-dict keys ``parametrizations.weight.
original`` and ``.0._u`` / ``.0._v``, its 15 initial iterations, eval mode without
iteration) and changes only the order, so checkpoints load either way.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import _SpectralNorm

__all__ = ['spectral_norm']


class _PaperOrderSpectralNorm(_SpectralNorm):
    @torch.no_grad()
    def _power_method(self, weight_mat: torch.Tensor, n_power_iterations: int) -> None:
        # in place (out=), as torch's: replicas share the buffers (see torch's note)
        for _ in range(n_power_iterations):
            self._v = F.normalize(torch.mv(weight_mat.H, self._u), dim=0, eps=self.eps,
                                  out=self._v)
            self._u = F.normalize(torch.mv(weight_mat, self._v), dim=0, eps=self.eps,
                                  out=self._u)


def spectral_norm(module: nn.Module, name: str = 'weight', n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> nn.Module:
    """``module`` with its ``name`` parameter spectrally normalised (the paper's power
    iteration; otherwise as ``torch.nn.utils.parametrizations.spectral_norm``)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, torch.Tensor):
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    if dim is None:
        transposed = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    parametrize.register_parametrization(
        module, name, _PaperOrderSpectralNorm(weight, n_power_iterations, dim, eps))
    return module
