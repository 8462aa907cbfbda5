"""The losses of Chang et al. (ICCV 2019) on clips: VGG perceptual and style losses per
frame, and the T-PatchGAN loss (hinge, as the paper; least squares, as the official code).
The masked L1 term is the toolbox's ``L1Loss(hole_weight=1, valid_weight=0)``.

The VGG terms follow the official ``model/loss.py``: VGG-16's relu2_2, relu3_3 and relu4_3
of each frame of the composite (the output in the holes, the ground truth elsewhere), the
frames fed in [0, 1] without ImageNet normalisation (``vgg_input='unit'``). They take clips
``[B, T, 3, H, W]`` (or images ``[B, 3, H, W]``); a clip's value is the mean over its frames.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox.bases import BaseAdversarialLoss, BaseReconstructionLoss
from toolbox.nn.vgg import VGG_INPUTS, gram, shared_vgg
from toolbox.registry import LOSSES

__all__ = ['VideoPerceptualLoss', 'VideoStyleLoss', 'TemporalPatchGANLoss', 'gram']

_LAYERS = ('relu2_2', 'relu3_3', 'relu4_3')


class _FrameVGGLoss(BaseReconstructionLoss):
    def __init__(self, loss_weight: float = 1.0, outputs: Sequence[str] = ('output',),
                 pretrained: bool = True, vgg_weights: str | None = None,
                 vgg_input: str = 'unit', layers: Sequence[str] = _LAYERS) -> None:
        super().__init__(loss_weight, outputs)
        if vgg_input not in VGG_INPUTS:
            raise ValueError(f'{type(self).__name__}: vgg_input must be one of {VGG_INPUTS}, '
                             f'got {vgg_input!r}')
        self.layers = tuple(layers)
        self._vgg_args = (bool(pretrained), vgg_weights, vgg_input)
        # built at the first use (an inference config needs no VGG file), and kept out of
        # the state dict: it is neither trained nor checkpointed
        object.__setattr__(self, '_vgg', None)

    def _features(self, pred: Tensor, target: Tensor, mask: Tensor):
        """VGG features of the composite's and the target's frames, ``[B*T, C, h, w]``."""
        if self._vgg is None:
            pretrained, weights, vgg_input = self._vgg_args
            object.__setattr__(self, '_vgg', shared_vgg(
                'vgg16', self.layers, pretrained, weights,
                name='VGG16 (free-form video losses)', option="the loss's vgg_weights=PATH",
                vgg_input=vgg_input))
        vgg = self._vgg.to(pred.device)
        comp = pred * mask + target * (1 - mask)
        frames = lambda x: x.flatten(0, 1) if x.ndim == 5 else x   # noqa: E731
        with torch.no_grad():
            real = vgg(frames(target))
        return vgg(frames(comp)), real


@LOSSES.register_module()
class VideoPerceptualLoss(_FrameVGGLoss):
    """``sum_l mean |phi_l(comp) - phi_l(gt)|`` over VGG-16's relu2_2, relu3_3, relu4_3,
    averaged over frames (official ``VGGLoss``, weight 1).

    Args:
        pretrained: ImageNet weights (``vgg16-397923af.pth``); ``False`` only for tests.
        vgg_weights: a path to that file, if not in the usual folders.
        vgg_input: ``'unit'`` ([0, 1] as the official code feeds it) or ``'imagenet'``.
        layers: VGG-16 layers (names of :func:`toolbox.nn.vgg.vgg_layers`).
    """

    tiny_cfg = dict(pretrained=False)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        out, real = self._features(pred, target, mask)
        return sum(F.l1_loss(o, r) for o, r in zip(out, real))


@LOSSES.register_module()
class VideoStyleLoss(_FrameVGGLoss):
    """``sum_l mean |G(phi_l(comp)) - G(phi_l(gt))| / d_l`` with the Gram matrix ``G`` of
    :func:`gram` per frame, averaged over frames (official ``StyleLoss``, weight 10).

    Args:
        divisors: ``d_l`` per layer; the official default (``original_channel_norm``)
            divides by 2, 4, 8.
        (the others as :class:`VideoPerceptualLoss`)
    """

    tiny_cfg = dict(pretrained=False)

    def __init__(self, loss_weight: float = 1.0, outputs: Sequence[str] = ('output',),
                 pretrained: bool = True, vgg_weights: str | None = None,
                 vgg_input: str = 'unit', layers: Sequence[str] = _LAYERS,
                 divisors: Sequence[float] = (2.0, 4.0, 8.0)) -> None:
        super().__init__(loss_weight, outputs, pretrained, vgg_weights, vgg_input, layers)
        if len(divisors) != len(self.layers):
            raise ValueError(f'VideoStyleLoss: {len(divisors)} divisors for '
                             f'{len(self.layers)} layers')
        self.divisors = tuple(float(d) for d in divisors)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        out, real = self._features(pred, target, mask)
        return sum(F.l1_loss(gram(o), gram(r)) / d
                   for o, r, d in zip(out, real, self.divisors))


@LOSSES.register_module()
class TemporalPatchGANLoss(BaseAdversarialLoss):
    """The T-PatchGAN loss on every patch score of the discriminator.

    ``'hinge'`` (the paper): D minimises ``mean relu(1 - D(real)) + mean relu(1 + D(fake))``,
    G ``-mean D(fake)``. ``'lsgan'`` (the official code's default ``AdversarialLoss``, with
    the discriminator's sigmoid): D minimises ``(mean (D(real) - 1)^2 + mean D(fake)^2) / 2``,
    G ``mean (D(fake) - 1)^2``.
    """

    tiny_cfg = dict(gan_type='hinge')

    def __init__(self, loss_weight: float = 1.0, gan_type: str = 'hinge') -> None:
        super().__init__(loss_weight)
        if gan_type not in ('hinge', 'lsgan'):
            raise ValueError(f"TemporalPatchGANLoss: gan_type must be 'hinge' or 'lsgan', got "
                             f'{gan_type!r}')
        self.gan_type = gan_type

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        if self.gan_type == 'hinge':
            return -fake_logits.mean()
        return (fake_logits - 1).pow(2).mean()

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        if self.gan_type == 'hinge':
            return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()
        return ((real_logits - 1).pow(2).mean() + fake_logits.pow(2).mean()) / 2
