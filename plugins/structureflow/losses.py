"""StructureFlow's losses (Ren et al., ICCV 2019, Sec. 3.3) besides the L1 terms.

* :class:`SamplingCorrectnessLoss` (Eq. 6): for each ground-truth VGG-19 relu3_1 feature
  ``v_l`` in the hole, the cosine similarity to the input's feature sampled along the flow
  (the Gaussian sampler, 4 taps, sigma 2), relative to the best cosine similarity any
  input position reaches: ``mean over hole positions of exp(-mu(v_l, v'_{l+f}) /
  mu'_l)``. The flow is average-pooled to the feature size, as the official code.
* :class:`StructureFlowPerceptualLoss`: ``sum_i mean |phi_i(out) - phi_i(gt)|`` over VGG-19
  relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 (the official joint stage's content term).
* :class:`StructureFlowStyleLoss`: ``sum_i mean |G(phi_i(out * m)) - G(phi_i(gt * m))|``
  with ``G = phi phi^T / (C H W)`` over relu2_2, relu3_4, relu4_4, relu5_2, of the hole
  region only (``m`` the mask), as the official joint stage.
* :func:`lsgan_discriminator_loss`, :func:`lsgan_generator_loss`: the LSGAN terms of a
  two-scale discriminator, each scale's mean squared error averaged over the scales; the
  discriminator's ``(real + fake) / 2``.

The official VGG-19 is fed the [-1, 1] images as they are; these feed ImageNet-normalised
[0, 1] (the toolbox's :class:`~toolbox.nn.vgg.FrozenVGG`), as torchvision's weights
expect.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox.bases import BaseReconstructionLoss
from toolbox.nn.vgg import gram, shared_vgg
from toolbox.registry import LOSSES

from .sampler import gaussian_sample

__all__ = ['SamplingCorrectnessLoss', 'StructureFlowPerceptualLoss', 'StructureFlowStyleLoss',
           'lsgan_discriminator_loss', 'lsgan_generator_loss', 'gram']

CONTENT_LAYERS = ('relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1')
STYLE_LAYERS = ('relu2_2', 'relu3_4', 'relu4_4', 'relu5_2')


def _vgg(layers, pretrained: bool, weights: str | None):
    return shared_vgg('vgg19', tuple(layers), pretrained, weights,
                      name='VGG-19 (StructureFlow losses)', option='vgg_weights=PATH')


def lsgan_discriminator_loss(real: Sequence[Tensor], fake: Sequence[Tensor]) -> Tensor:
    """``mean over scales of (mean (D(real) - 1)^2 + mean D(fake)^2) / 2``."""
    return sum(((r - 1).pow(2).mean() + f.pow(2).mean()) / 2
               for r, f in zip(real, fake)) / len(real)


def lsgan_generator_loss(fake: Sequence[Tensor]) -> Tensor:
    """``mean over scales of mean (D(fake) - 1)^2``."""
    return sum((f - 1).pow(2).mean() for f in fake) / len(fake)


class SamplingCorrectnessLoss(nn.Module):
    """``forward(gt, masked, flow, mask)``: Eq. 6 on VGG-19 ``layer`` features of the
    ground truth and of the masked input, ``flow`` [B, 2, h, w] (pixels of the
    flow's own size; pooled, not rescaled, to the feature size as the official code),
    ``mask`` [B, 1, H, W] (1 = hole; nearest-resized to the feature size).

    Args:
        layer: the VGG-19 layer (relu3_1).
        kernel_size, sigma: the Gaussian sampler's (4, 2).
        pretrained: ImageNet VGG-19 weights (``vgg19-dcbb9e9d.pth``); ``False`` for tests.
        vgg_weights: a path to that file, if not in the usual folders.
    """

    eps = 1e-8

    def __init__(self, layer: str = 'relu3_1', kernel_size: int = 4, sigma: float = 2.0,
                 pretrained: bool = True, vgg_weights: str | None = None) -> None:
        super().__init__()
        self.layer, self.kernel_size, self.sigma = layer, int(kernel_size), float(sigma)
        self._vgg_args = (bool(pretrained), vgg_weights)

    def formula(self, gt_feat: Tensor, input_feat: Tensor, flow: Tensor, mask: Tensor
                ) -> Tensor:
        """Eq. 6 on given features [B, C, h, w]."""
        b, c, h, w = gt_feat.shape
        hole = F.interpolate(mask, size=(h, w)).reshape(b, -1)        # nearest, [B, hw]
        flow = F.adaptive_avg_pool2d(flow, (h, w))
        gt_all = gt_feat.reshape(b, c, -1)                              # [B, C, hw]
        inp_all = input_feat.reshape(b, c, -1)
        gt_n = gt_all / (gt_all.norm(dim=1, keepdim=True) + self.eps)
        inp_n = inp_all / (inp_all.norm(dim=1, keepdim=True) + self.eps)
        # best similarity of each ground-truth position to any input position: [B, hw]
        best = torch.bmm(inp_n.transpose(1, 2), gt_n).max(dim=1).values
        sampled = gaussian_sample(input_feat, flow, self.kernel_size, self.sigma)
        sim = F.cosine_similarity(sampled.reshape(b, c, -1), gt_all, dim=1)   # [B, hw]
        loss_map = torch.exp(-sim / (best + self.eps))
        return (loss_map * hole).sum() / (hole.sum() + self.eps)

    def forward(self, gt: Tensor, masked: Tensor, flow: Tensor, mask: Tensor) -> Tensor:
        vgg = _vgg((self.layer,), *self._vgg_args).to(gt.device)
        gt_feat, = vgg(gt)
        input_feat, = vgg(masked)
        return self.formula(gt_feat, input_feat, flow, mask)


class _VGG19Loss(BaseReconstructionLoss):
    layers: tuple[str, ...] = ()

    def __init__(self, loss_weight: float = 1.0, outputs: Sequence[str] = ('output',),
                 pretrained: bool = True, vgg_weights: str | None = None) -> None:
        super().__init__(loss_weight, outputs)
        self._vgg_args = (bool(pretrained), vgg_weights)

    def _features(self, pred: Tensor, target: Tensor):
        vgg = _vgg(self.layers, *self._vgg_args).to(pred.device)
        with torch.no_grad():
            real = vgg(target)
        return vgg(pred), real


@LOSSES.register_module()
class StructureFlowPerceptualLoss(_VGG19Loss):
    """``sum_i mean |phi_i(pred) - phi_i(target)|`` over VGG-19 relu1_1 ... relu5_1 (the
    mask is not used). Args: ``pretrained=False`` (tests only), ``vgg_weights`` a path."""

    layers = CONTENT_LAYERS
    tiny_cfg = dict(pretrained=False)

    @staticmethod
    def formula(pred_feats, target_feats) -> Tensor:
        return sum((p - t).abs().mean() for p, t in zip(pred_feats, target_feats))

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return self.formula(*self._features(pred, target))


@LOSSES.register_module()
class StructureFlowStyleLoss(_VGG19Loss):
    """``sum_i mean |G(phi_i(pred * mask)) - G(phi_i(target * mask))|`` over VGG-19
    relu2_2, relu3_4, relu4_4, relu5_2: the style of the hole region."""

    layers = STYLE_LAYERS
    tiny_cfg = dict(pretrained=False)

    @staticmethod
    def formula(pred_feats, target_feats) -> Tensor:
        return sum((gram(p) - gram(t)).abs().mean() for p, t in zip(pred_feats, target_feats))

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return self.formula(*self._features(pred * mask, target * mask))
