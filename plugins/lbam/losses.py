"""LBAM's losses (Xie et al., ICCV 2019, Sec. 3.4) besides the pixel term.

The whole objective of the official training code (``loss/InpaintingLoss.py``) is
``6 L_hole + L_valid + 0.01 L_perceptual + 120 L_style + 0.1 L_adv``; the pixel terms are
the toolbox's ``L1Loss(hole_weight=6, valid_weight=1)`` (a mean over all pixels and
channels, as the official ``nn.L1Loss`` of masked images). Each VGG term receives the raw
output ``I_out`` and forms the composite ``I_comp`` (the output in the hole, the ground
truth elsewhere) itself; ``psi_p`` are VGG-16's pool1, pool2, pool3.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox.bases import BaseAdversarialLoss, BaseReconstructionLoss
from toolbox.nn.vgg import VGG_INPUTS, gram, shared_vgg
from toolbox.registry import LOSSES

__all__ = ['LBAMPerceptualLoss', 'LBAMStyleLoss', 'LBAMWGANLoss', 'gram']


class _VGGLoss(BaseReconstructionLoss):
    def __init__(self, loss_weight: float = 1.0, outputs: Sequence[str] = ('output',),
                 pretrained: bool = True, vgg_weights: str | None = None,
                 vgg_input: str = 'imagenet') -> None:
        super().__init__(loss_weight, outputs)
        if vgg_input not in VGG_INPUTS:
            raise ValueError(f'{type(self).__name__}: vgg_input must be one of {VGG_INPUTS}, '
                             f'got {vgg_input!r}')
        self._vgg_args = (bool(pretrained), vgg_weights, vgg_input)
        # Built at the first use, so that a config used for inference only needs no VGG
        # file; kept out of the loss's state_dict (a plain attribute).
        object.__setattr__(self, '_vgg', None)

    def _features(self, pred: Tensor, target: Tensor, mask: Tensor):
        if self._vgg is None:
            pretrained, weights, vgg_input = self._vgg_args
            object.__setattr__(self, '_vgg', shared_vgg(
                'vgg16', ('pool1', 'pool2', 'pool3'), pretrained, weights,
                name='VGG16 (LBAM losses)', option="the loss's vgg_weights=PATH",
                vgg_input=vgg_input))
        vgg = self._vgg.to(pred.device)
        with torch.no_grad():
            real = vgg(target)
        comp = pred * mask + target * (1 - mask)
        return vgg(pred), vgg(comp), real


@LOSSES.register_module()
class LBAMPerceptualLoss(_VGGLoss):
    """``sum_p |psi_p(I_out) - psi_p(I_gt)|_1 / N_p + |psi_p(I_comp) - psi_p(I_gt)|_1 / N_p``
    over pool1..3 (``N_p``: elements of ``psi_p``; weight 0.01 in the official code).

    Args:
        pretrained: ImageNet weights (``vgg16-397923af.pth``); ``False`` only for tests.
        vgg_weights: a path to that file, if not in the usual folders.
        vgg_input: ``'imagenet'`` (normalised, as the weights expect) or ``'unit'``
            (plain [0, 1], the official code's input).
    """

    tiny_cfg = dict(pretrained=False)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        out, comp, real = self._features(pred, target, mask)
        return sum(F.l1_loss(o, r) + F.l1_loss(c, r) for o, c, r in zip(out, comp, real))


@LOSSES.register_module()
class LBAMStyleLoss(_VGGLoss):
    """``sum_p |G(psi_p(I_out)) - G(psi_p(I_gt))|_1 / C_p^2 + (the same for I_comp)`` over
    pool1..3, ``G`` the Gram matrix of :func:`gram` (weight 120 in the official code)."""

    tiny_cfg = dict(pretrained=False)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        out, comp, real = self._features(pred, target, mask)
        return sum(F.l1_loss(gram(o), gram(r)) + F.l1_loss(gram(c), gram(r))
                   for o, c, r in zip(out, comp, real))


@LOSSES.register_module()
class LBAMWGANLoss(BaseAdversarialLoss):
    """The WGAN-GP objective of LBAM's two-column discriminator.

    The discriminator minimises ``mean D(fake) - mean D(real) + gp_weight * mean_b
    (|grad_x D(x_b)|_2 - 1)^2`` at ``x = e real + (1 - e) fake``, ``e ~ U(0, 1)`` per
    sample, the gradient norm over the whole image (as the official
    ``calc_gradient_penalty``); the generator minimises ``-mean D(fake)``. The official
    code adds ``+0.1 mean D(fake)`` to the generator's loss instead, which trains the
    generator to look fake to its discriminator (its issue #7); the sign here is the
    WGAN objective the paper uses.

    Args:
        loss_weight: weight of the generator's term (0.1 in the official code).
        gp_weight: weight of the gradient penalty (10 in the official code).
    """

    tiny_cfg = dict(loss_weight=0.1)

    def __init__(self, loss_weight: float = 1.0, gp_weight: float = 10.0) -> None:
        super().__init__(loss_weight)
        self.gp_weight = float(gp_weight)

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return -fake_logits.mean()

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return fake_logits.mean() - real_logits.mean()

    def gradient_penalty(self, judge, real: Tensor, fake: Tensor) -> Tensor:
        """The unweighted penalty at one random interpolate per sample."""
        e = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
        mixed = (e * real + (1 - e) * fake).detach().requires_grad_(True)
        grad, = torch.autograd.grad(judge(mixed).sum(), mixed, create_graph=True)
        return (grad.flatten(1).norm(2, dim=1) - 1).pow(2).mean()

    def discriminator_terms(self, judge, real: Tensor, fake: Tensor, batch: dict):
        real_logits, fake_logits = judge(real), judge(fake)
        log = {'d_real': real_logits.detach().mean(), 'd_fake': fake_logits.detach().mean()}
        return ({'loss_d': self.discriminator_loss(real_logits, fake_logits),
                 'loss_gp': self.gp_weight * self.gradient_penalty(judge, real, fake)}, log)

