"""DMFN's losses: self-guided regression, geometrical alignment, VGG and discriminator
feature matching.

Paper: Z. Hui, J. Li, X. Wang, X. Gao, "Image Fine-grained Inpainting", arXiv:2002.02609,
equations (2)-(9). The total generator loss is

    L = L_mae + lambda (L_self-guided + L_fm_vgg) + eta L_fm_dis + mu L_adv + gamma L_align

with lambda = 25, eta = 5, mu = 0.003, gamma = 1 (the authors' released configuration;
``configs/dmfn/paris_256.py`` sets these as ``loss_weight``). Each loss here returns
its unweighted value. gamma = 1 is the authors' weight only in their coordinates, [-1, 1)
(``GeometricalAlignmentLoss(coordinates='signed')``, as the configs use); in the default
[0, 1] coordinates the same gamma weighs the alignment a quarter as much.

Common conventions:

* ``pred`` is the raw generator output; with ``composite=True`` (default, as the authors'
  code) the losses judge the composited image ``pred * mask + target * (1 - mask)``.
* Layer weights ``w^l`` default to ``1000 / C_l**2`` (``C_l`` the layer's channels), the
  authors' released choice; the paper's text leaves ``w^l`` open.
* ``||.||_1 / N`` is the mean absolute value over the C x H x W elements of a layer, then
  the mean over the batch.
* VGG19 comes from torchvision's weights (``pretrained=True``, file via
  :mod:`toolbox.weights`; ``vgg_weights=PATH`` for a file or folder). ``pretrained=False``
  gives random weights and is for tests only.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox import BaseFeatureMatchingLoss, BaseReconstructionLoss
from toolbox.nn.vgg import shared_vgg, vgg_layers
from toolbox.registry import LOSSES

__all__ = ['SelfGuidedRegressionLoss', 'GeometricalAlignmentLoss', 'VGGFeatureMatchingLoss',
           'DMFNFeatureMatchingLoss', 'feature_centres', 'channel_weight']


#: VGG19 layer names (``relu4_1``, ...) -> index in torchvision's ``features``
VGG19_LAYERS = vgg_layers('vgg19')


def channel_weight(channels: int) -> float:
    """The default layer weight ``1000 / C**2``."""
    return 1e3 / float(channels) ** 2


class _VGGLoss(BaseReconstructionLoss):
    """A reconstruction loss on VGG19 features of the (composited) output and the target."""

    layers: tuple[str, ...] = ()

    def __init__(self,
                 loss_weight: float = 1.0,
                 outputs: Sequence[str] = ('output',),
                 pretrained: bool = True,
                 vgg_weights: str | None = None,
                 composite: bool = True) -> None:
        super().__init__(loss_weight, outputs)
        self.composite = bool(composite)
        self.pretrained = bool(pretrained)
        # Shared and frozen: kept out of this module's parameters and state_dict.
        self.__dict__['vgg'] = shared_vgg('vgg19', pretrained=pretrained, weights=vgg_weights,
                                          name='VGG19 (DMFN losses)',
                                          option="the loss's vgg_weights=PATH")

    def features(self, x: Tensor) -> list[Tensor]:
        """VGG19 feature maps of ``x`` [B, 3, H, W] in [-1, 1] at :attr:`layers`, in order.
        (Tests may replace this method to check the arithmetic on known features.)"""
        vgg = self.__dict__['vgg']
        if vgg.mean.device != x.device:
            vgg.to(x.device)
        return vgg(x, self.layers)

    def _inputs(self, pred: Tensor, target: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        if pred.shape != target.shape or pred.ndim != 4 or pred.shape[1] != 3:
            raise ValueError(f'{type(self).__name__}: pred and target must be [B, 3, H, W] '
                             f'alike, got {list(pred.shape)} and {list(target.shape)}')
        out = pred * mask + target * (1.0 - mask) if self.composite else pred
        return out, target


@LOSSES.register_module()
class SelfGuidedRegressionLoss(_VGGLoss):
    """Equations (2), (3), (5): the VGG feature L1 at relu1_1 and relu2_1, weighted by the
    normalised error map.

    ``M_error = mean_c (out_c - gt_c)**2`` [B, 1, H, W] (no gradient); per sample,
    ``M_guidance = (M_error - min) / (max - min)`` in [0, 1] (0 where max == min); it is
    average-pooled 2x2 once per VGG stage to each layer's resolution (relu1_1: full,
    relu2_1: half) and multiplies the absolute feature difference:

    ``sum_l w^l mean(|M^l * (Psi_gt^l - Psi_out^l)|)``.

    Args:
        layer_weights: ``w^l`` for relu1_1 and relu2_1; ``None``: ``1000 / C_l**2``.
        guidance_offset: added to the guidance before weighting; 0 is the paper's
            equation (5), 1 the authors' released code (``1 + M``, an L1 everywhere plus
            the guided part).
        (other arguments: see the module docstring)
    """

    layers = ('relu1_1', 'relu2_1')
    tiny_cfg = dict(pretrained=False)

    def __init__(self,
                 loss_weight: float = 1.0,
                 outputs: Sequence[str] = ('output',),
                 pretrained: bool = True,
                 vgg_weights: str | None = None,
                 composite: bool = True,
                 layer_weights: Sequence[float] | None = None,
                 guidance_offset: float = 0.0) -> None:
        super().__init__(loss_weight, outputs, pretrained, vgg_weights, composite)
        self.layer_weights = None if layer_weights is None else tuple(map(float, layer_weights))
        self.guidance_offset = float(guidance_offset)

    @staticmethod
    def guidance(out: Tensor, target: Tensor) -> Tensor:
        """Normalised error map ``[B, 1, H, W]`` in [0, 1], equations (2) and (3)."""
        err = ((out.detach() - target.detach()) ** 2).mean(dim=1, keepdim=True)
        lo = err.amin(dim=(2, 3), keepdim=True)
        hi = err.amax(dim=(2, 3), keepdim=True)
        return (err - lo) / (hi - lo).clamp_min(1e-12)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        out, target = self._inputs(pred, target, mask)
        guide = self.guidance(out, target) + self.guidance_offset      # [B, 1, H, W]
        fake, real = self.features(out), self.features(target)
        total = out.new_zeros(())
        for level, (f, r) in enumerate(zip(fake, real)):
            if level > 0:
                guide = F.avg_pool2d(guide, 2, 2)
            if guide.shape[2:] != f.shape[2:]:
                raise ValueError(f'SelfGuidedRegressionLoss: guidance {list(guide.shape[2:])} '
                                 f'does not match layer {self.layers[level]} '
                                 f'{list(f.shape[2:])}; height and width must be even')
            w = (self.layer_weights[level] if self.layer_weights is not None
                 else channel_weight(f.shape[1]))
            total = total + w * (guide * (r.detach() - f)).abs().mean()
        return total


#: Coordinate conventions of :func:`feature_centres`.
COORDINATES = ('unit', 'signed')


def feature_centres(response: Tensor, eps: float = 1e-6, coordinates: str = 'unit',
                    columns_twice: bool = False) -> Tensor:
    """Spatial expectations ``[B, K, 2]`` (row, column), equation (6), of the response maps
    ``[B, K, H, W]`` (non-negative) as probability distributions over positions.

    ``coordinates='unit'`` puts pixel ``i`` of ``n`` at its centre ``(i + 0.5) / n`` in
    [0, 1]; ``'signed'`` at ``2 i / n - 1`` in [-1, 1), the released code's maps, whose
    differences are twice as large (squared distances 4x). ``columns_twice`` reproduces
    the released code's y-map, built like its x-map: both coordinates are then the column
    centre and the row centre is not measured. ``eps`` is added to every position, so a
    map without response has its centre in the middle and the centre is continuous in the
    response.
    """
    if coordinates not in COORDINATES:
        raise ValueError(f'feature_centres: coordinates must be one of {COORDINATES}, '
                         f'got {coordinates!r}')
    b, k, h, w = response.shape
    p = response.clamp_min(0) + eps
    p = p / p.sum(dim=(2, 3), keepdim=True)                   # [B, K, H, W]

    def axis(n: int) -> Tensor:
        i = torch.arange(n, device=p.device, dtype=p.dtype)
        return (i + 0.5) / n if coordinates == 'unit' else 2 * i / n - 1

    cx = (p.sum(dim=2) * axis(w)).sum(dim=2)                  # [B, K]
    cy = cx if columns_twice else (p.sum(dim=3) * axis(h)).sum(dim=2)
    return torch.stack([cy, cx], dim=2)


@LOSSES.register_module()
class GeometricalAlignmentLoss(_VGGLoss):
    """Equations (6), (7): squared distance between the centres of the output's and the
    ground truth's VGG response maps (``layer``, relu4_1 by default as the authors' code).

    ``reduction='mean'`` averages the squared coordinate differences over channels and the
    two axes (the authors' code, an MSE); ``'sum'`` sums them over channels as the paper's
    equation (7) (2K times larger). Averaged over the batch in both cases.

    The scale of the loss depends on the coordinates (see :func:`feature_centres`): with
    the default ``coordinates='unit'`` ([0, 1]) it is a quarter of the released code's,
    whose coordinates span [-1, 1); ``coordinates='signed'`` reproduces that scale, so
    that the authors' ``center_weight`` applies unchanged. ``columns_twice=True``
    additionally reproduces the released code's y-map, which measures the column centre
    a second time instead of the row centre (an error there, off by default).
    """

    tiny_cfg = dict(pretrained=False, layer='relu2_1')

    def __init__(self,
                 loss_weight: float = 1.0,
                 outputs: Sequence[str] = ('output',),
                 pretrained: bool = True,
                 vgg_weights: str | None = None,
                 composite: bool = True,
                 layer: str = 'relu4_1',
                 reduction: str = 'mean',
                 coordinates: str = 'unit',
                 columns_twice: bool = False) -> None:
        super().__init__(loss_weight, outputs, pretrained, vgg_weights, composite)
        if layer not in VGG19_LAYERS:
            raise ValueError(f'GeometricalAlignmentLoss: layer must be one of '
                             f'{list(VGG19_LAYERS)}, got {layer!r}')
        if reduction not in ('mean', 'sum'):
            raise ValueError(f"GeometricalAlignmentLoss: reduction must be 'mean' or 'sum', "
                             f'got {reduction!r}')
        if coordinates not in COORDINATES:
            raise ValueError(f'GeometricalAlignmentLoss: coordinates must be one of '
                             f'{COORDINATES}, got {coordinates!r}')
        if not isinstance(columns_twice, bool):
            raise ValueError(f'GeometricalAlignmentLoss: columns_twice must be True or '
                             f'False, got {columns_twice!r}')
        self.layers = (layer,)
        self.reduction = reduction
        self.coordinates = coordinates
        self.columns_twice = columns_twice

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        out, target = self._inputs(pred, target, mask)
        (fake,), (real,) = self.features(out), self.features(target)
        kw = dict(coordinates=self.coordinates, columns_twice=self.columns_twice)
        # [B, K, 2] squared differences of (row, column) centres
        sq = (feature_centres(fake, **kw) - feature_centres(real.detach(), **kw)) ** 2
        return sq.mean() if self.reduction == 'mean' else sq.sum(dim=(1, 2)).mean()


@LOSSES.register_module()
class VGGFeatureMatchingLoss(_VGGLoss):
    """Equation (8): ``sum_l w^l mean|Psi_gt^l - Psi_out^l|`` over relu1_1 ... relu5_1.

    Args:
        layers: VGG19 layers (the paper's five by default).
        layer_weights: ``w^l``; ``None``: ``1000 / C_l**2``.
    """

    tiny_cfg = dict(pretrained=False, layers=('relu1_1', 'relu2_1', 'relu3_1'))

    def __init__(self,
                 loss_weight: float = 1.0,
                 outputs: Sequence[str] = ('output',),
                 pretrained: bool = True,
                 vgg_weights: str | None = None,
                 composite: bool = True,
                 layers: Sequence[str] = ('relu1_1', 'relu2_1', 'relu3_1', 'relu4_1',
                                          'relu5_1'),
                 layer_weights: Sequence[float] | None = None) -> None:
        super().__init__(loss_weight, outputs, pretrained, vgg_weights, composite)
        layers = (layers,) if isinstance(layers, str) else tuple(layers)
        unknown = [n for n in layers if n not in VGG19_LAYERS]
        if unknown or not layers:
            raise ValueError(f'VGGFeatureMatchingLoss: layers must be among '
                             f'{list(VGG19_LAYERS)}, got {list(layers)}')
        if layer_weights is not None and len(layer_weights) != len(layers):
            raise ValueError(f'VGGFeatureMatchingLoss: {len(layer_weights)} layer_weights '
                             f'for {len(layers)} layers')
        self.layers = layers
        self.layer_weights = None if layer_weights is None else tuple(map(float, layer_weights))

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        out, target = self._inputs(pred, target, mask)
        total = out.new_zeros(())
        for i, (f, r) in enumerate(zip(self.features(out), self.features(target))):
            w = (self.layer_weights[i] if self.layer_weights is not None
                 else channel_weight(f.shape[1]))
            total = total + w * (r.detach() - f).abs().mean()
        return total


@LOSSES.register_module()
class DMFNFeatureMatchingLoss(BaseFeatureMatchingLoss):
    """Equation (9): ``sum_l w^l mean|D_l(gt) - D_l(out)|`` over the feature maps the
    discriminator returns from ``forward_with_features`` (DMFN: the local branch's five).

    Args:
        layer_weights: ``w^l``; ``None``: ``1000 / C_l**2`` from each map's channels.
    """

    def __init__(self, loss_weight: float = 1.0,
                 layer_weights: Sequence[float] | None = None) -> None:
        super().__init__(loss_weight)
        self.layer_weights = None if layer_weights is None else tuple(map(float, layer_weights))

    def forward(self, fake_features: list[Tensor], real_features: list[Tensor]) -> Tensor:
        if len(fake_features) != len(real_features):
            raise ValueError(f'DMFNFeatureMatchingLoss: {len(fake_features)} fake '
                             f'and {len(real_features)} real feature maps')
        if self.layer_weights is not None and len(self.layer_weights) != len(fake_features):
            raise ValueError(f'DMFNFeatureMatchingLoss: {len(self.layer_weights)} '
                             f'layer_weights for {len(fake_features)} feature maps')
        total = fake_features[0].new_zeros(())
        for i, (f, r) in enumerate(zip(fake_features, real_features)):
            w = (self.layer_weights[i] if self.layer_weights is not None
                 else channel_weight(f.shape[1]))
            total = total + w * (r.detach() - f).abs().mean()
        return total
