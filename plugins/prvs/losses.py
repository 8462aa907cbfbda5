"""PRVS's losses (Li et al., ICCV 2019, Sec. 3.3), as its official training code
(``model.py``, ``get_g_loss``/``get_d_loss``) computes them.

The image terms are Partial Convolutions' (Liu et al. 2018) on images in [0, 1], with the
official weights: ``50 L_valid + 50 L_hole + 0.05 L_perceptual + 150 L_style + 0.1 L_tv``
(:class:`PRVSImageLoss`, one loss that logs each term). ``psi_p`` are VGG-16's pool1,
pool2 and pool3. The structure term is the non-saturating GAN loss of the edge
discriminator on the two edge maps (weight 0.1, :class:`PRVSEdgeGANLoss`).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox.bases import BaseAdversarialLoss, BaseReconstructionLoss
from toolbox.nn import shared_vgg
from toolbox.nn.vgg import IMAGENET_MEAN, IMAGENET_STD, gram
from toolbox.registry import LOSSES

__all__ = ['PRVSImageLoss', 'PRVSEdgeGANLoss', 'gram', 'total_variation', 'VGG_INPUTS',
           'OFFICIAL_WEIGHTS']

#: how images reach VGG-16: ImageNet-normalised (what its weights expect, Partial
#: Convolutions' code) or plain [0, 1] (the official PRVS code)
VGG_INPUTS = ('imagenet', 'unit')
#: the official weights of the terms (``get_g_loss``)
OFFICIAL_WEIGHTS = dict(valid=50.0, hole=50.0, perceptual=0.05, style=150.0, tv=0.1)
_LAYERS = ('pool1', 'pool2', 'pool3')


def total_variation(x: Tensor) -> Tensor:
    """Mean absolute difference of vertical neighbours plus that of horizontal ones."""
    return ((x[:, :, 1:] - x[:, :, :-1]).abs().mean()
            + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean())


@LOSSES.register_module()
class PRVSImageLoss(BaseReconstructionLoss):
    """The image terms, on ``I_out`` (the raw output), ``I_comp`` (the output in the holes,
    the ground truth elsewhere) and ``I_gt``, all mapped to [0, 1]; ``M`` = 1 in the holes,
    means over all elements (``N``)::

        L_valid      = |(1 - M) (I_out - I_gt)|_1 / N
        L_hole       = |M (I_out - I_gt)|_1 / N
        L_perceptual = sum_p |psi_p(I_out) - psi_p(I_gt)|_1 / N_p + (the same for I_comp)
        L_style      = sum_p |G(psi_p(I_out)) - G(psi_p(I_gt))|_1 / C_p^2 + (I_comp)
        L_tv         = TV(M I_comp)      (total_variation; the hole region only)

    ``forward`` returns ``sum_t weights[t] * L_t``; :meth:`terms` each ``L_t``.

    Args:
        weights: weights of ``valid``, ``hole``, ``perceptual``, ``style``, ``tv`` (keys
            left out keep the official value, :data:`OFFICIAL_WEIGHTS`).
        pretrained: ImageNet VGG-16 (``vgg16-397923af.pth``); ``False`` only for tests.
        vgg_weights: a path to that file, if not in the usual folders.
        vgg_input: ``'imagenet'`` (normalised, as the weights expect) or ``'unit'``
            (plain [0, 1], the official PRVS code's input).
    """

    tiny_cfg = dict(pretrained=False)

    def __init__(self, loss_weight: float = 1.0, outputs: Sequence[str] = ('output',),
                 weights: dict | None = None, pretrained: bool = True,
                 vgg_weights: str | None = None, vgg_input: str = 'imagenet') -> None:
        super().__init__(loss_weight, outputs)
        unknown = sorted(set(weights or {}) - set(OFFICIAL_WEIGHTS))
        if unknown:
            raise ValueError(f'PRVSImageLoss: unknown weights {unknown}; the terms are '
                             f'{list(OFFICIAL_WEIGHTS)}')
        if vgg_input not in VGG_INPUTS:
            raise ValueError(f'PRVSImageLoss: vgg_input must be one of {list(VGG_INPUTS)}, '
                             f'got {vgg_input!r}')
        self.weights = {**OFFICIAL_WEIGHTS, **(weights or {})}
        self.vgg_input = vgg_input
        self._vgg_args = (bool(pretrained), vgg_weights)
        # Built at the first use, so that a config used for inference needs no VGG file;
        # a plain attribute, out of the loss's state_dict.
        object.__setattr__(self, '_vgg', None)

    def _vgg_features(self, image01: Tensor) -> list[Tensor]:
        if self._vgg is None:
            pretrained, path = self._vgg_args
            object.__setattr__(self, '_vgg', shared_vgg(
                'vgg16', _LAYERS, pretrained, path, name='VGG-16 of PRVSImageLoss',
                option='vgg_weights=PATH'))
        vgg = self._vgg.to(image01.device)
        if self.vgg_input == 'unit':
            # FrozenVGG normalises (x + 1) / 2 with ImageNet's statistics; this input makes
            # the network see image01 itself
            mean = image01.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
            std = image01.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
            return vgg((image01 * std + mean) * 2 - 1)
        return vgg(image01 * 2 - 1)

    def terms(self, pred: Tensor, target: Tensor, mask: Tensor) -> dict[str, Tensor]:
        """Each unweighted term, for ``pred``, ``target`` in [-1, 1] and ``mask`` (1 = hole)."""
        out, gt = (pred + 1) / 2, (target + 1) / 2
        mask = mask.expand_as(out)
        comp = out * mask + gt * (1 - mask)
        diff = (out - gt).abs()
        with torch.no_grad():
            real = self._vgg_features(gt)
        feats_out, feats_comp = self._vgg_features(out), self._vgg_features(comp)
        perceptual = sum(F.l1_loss(o, r) + F.l1_loss(c, r)
                         for o, c, r in zip(feats_out, feats_comp, real))
        style = sum(F.l1_loss(gram(o), gram(r)) + F.l1_loss(gram(c), gram(r))
                    for o, c, r in zip(feats_out, feats_comp, real))
        return dict(valid=(diff * (1 - mask)).mean(), hole=(diff * mask).mean(),
                    perceptual=perceptual, style=style, tv=total_variation(comp * mask))

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        terms = self.terms(pred, target, mask)
        return sum(self.weights[k] * v for k, v in terms.items())


@LOSSES.register_module()
class PRVSEdgeGANLoss(BaseAdversarialLoss):
    """The official edge objective, the non-saturating GAN of binary cross-entropy on the
    discriminator's logits ``D`` (the official sigmoid + ``BCELoss``, without saturating):

    * discriminator: ``(BCE(D(real), 1) + BCE(D(fake), 0)) / 2``;
    * generator: ``BCE(D(fake), 1)``.

    The PRVS inpaintor applies it at both edge scales and sums (weight 0.1 officially).
    """

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
        fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        return (real + fake) / 2
