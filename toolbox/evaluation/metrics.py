"""mmengine metrics over the inpaintor's predictions (``pred``, ``gt``, ``mask`` per sample).

Each sample dict comes from ``GANInpaintor.val_step``/``test_step``: ``pred`` (the
composited output) and ``gt`` ``[3, H, W]`` in [0, 1], ``mask`` ``[1, H, W]`` (1 = hole).
Per-image metrics average per-image values (:mod:`.functional`), so batch size does not
change them; FID accumulates float64 feature sums. Networks (LPIPS, FID) are built when the
metric is, so a missing weight file fails at start-up, not after a long evaluation.

Result keys are the class name, with ``_hole`` for ``hole_only`` and ``_Y`` for
``y_channel`` (``'PSNR'``, ``'SSIM_hole'``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from torch import nn

from toolbox.registry import METRICS, MODELS

from . import functional as F

__all__ = ['ImageMetric', 'PSNR', 'SSIM', 'MAE', 'L1Error', 'L2Error', 'BPE', 'LPIPS', 'FID',
           'PRETRAINED_METRICS']

#: Metrics that need pretrained networks in their default configuration.
PRETRAINED_METRICS = ('LPIPS', 'FID')


def _stack(samples: Sequence[dict], key: str) -> torch.Tensor:
    try:
        return torch.stack([torch.as_tensor(s[key]) for s in samples]).float()
    except KeyError as exc:
        raise KeyError(f'metric input lacks {key!r}: samples must come from the '
                       f'inpaintor\'s val_step/test_step (pred, gt, mask)') from exc


def _default_device(device: str | None) -> torch.device:
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    return torch.device(device)


class ImageMetric(BaseMetric):
    """Averages a per-image function of :mod:`toolbox.evaluation.functional` over a dataset.

    Images whose value is ``nan`` (e.g. a hole-only measure on an image without hole) are
    left out of the average.

    Args:
        hole_only: measure inside the hole instead of over the whole image.
        prefix: key prefix in the results (mmengine's convention).
    """

    #: name of the function in toolbox.evaluation.functional
    function: str = ''
    #: whether the function always needs the mask (BPE)
    needs_mask: bool = False
    # Results are keyed by the metric name alone ('PSNR'), without mmengine's prefix.
    default_prefix = ''

    def __init__(self, hole_only: bool = False, prefix: str | None = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.hole_only = hole_only

    @property
    def key(self) -> str:
        return type(self).__name__ + ('_hole' if self.hole_only else '')

    def function_kwargs(self) -> dict:
        """Extra keyword arguments for the function."""
        return {}

    def compute(self, pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor | None):
        return getattr(F, self.function)(pred, gt, mask, **self.function_kwargs())

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        pred = _stack(data_samples, 'pred')      # [B, 3, H, W] in [0, 1]
        gt = _stack(data_samples, 'gt')
        need_mask = self.hole_only or self.needs_mask
        mask = _stack(data_samples, 'mask') if need_mask else None
        if pred.ndim == 5:    # clips [B, T, 3, H, W] (toolbox.video): one value per frame
            pred, gt = pred.flatten(0, 1), gt.flatten(0, 1)
            mask = None if mask is None else mask.flatten(0, 1)
        values = self.compute(pred, gt, mask)
        self.results.extend(float(v) for v in values)

    def compute_metrics(self, results: list) -> dict:
        values = np.asarray(results, dtype=np.float64)
        values = values[~np.isnan(values)]
        return {self.key: float(values.mean()) if values.size else float('nan')}


class _ChannelMetric(ImageMetric):
    """A per-image metric that can measure the BT.601 luma instead of RGB."""

    def __init__(self, hole_only: bool = False, y_channel: bool = False,
                 prefix: str | None = None, collect_device: str = 'cpu') -> None:
        super().__init__(hole_only, prefix, collect_device)
        self.y_channel = y_channel

    @property
    def key(self) -> str:
        return super().key + ('_Y' if self.y_channel else '')

    def function_kwargs(self) -> dict:
        return dict(y_channel=self.y_channel)


@METRICS.register_module()
class PSNR(_ChannelMetric):
    """Mean PSNR (dB) of the composited outputs.

    Args:
        hole_only: measure inside the hole only.
        y_channel: measure the BT.601 luma instead of RGB.
    """
    function = 'psnr'


@METRICS.register_module()
class SSIM(_ChannelMetric):
    """Mean SSIM (Gaussian window 11, sigma 1.5, K1 0.01, K2 0.03, channels averaged;
    scikit-image's ``gaussian_weights=True, use_sample_covariance=False``).

    Args:
        hole_only: average the SSIM map over the hole only.
        y_channel: measure the BT.601 luma instead of RGB.
    """
    function = 'ssim'


@METRICS.register_module()
class MAE(ImageMetric):
    """Mean absolute error of the composited outputs, images in [0, 1]."""
    function = 'mae'


@METRICS.register_module()
class L1Error(ImageMetric):
    """Mean L1 error in percent (images in [0, 1]), as in DeepFill v2's tables."""
    function = 'l1_error'


@METRICS.register_module()
class L2Error(ImageMetric):
    """Mean L2 (squared) error in percent (images in [0, 1]), as in DeepFill v2's tables."""
    function = 'l2_error'


@METRICS.register_module()
class BPE(ImageMetric):
    """Boundary pixel error (DFNet): mean L1 error in percent over the hole pixels within
    ``width`` pixels of the hole's edge (see :func:`.functional.bpe`).

    Args:
        width: width of the boundary band in pixels.
    """
    function = 'bpe'
    needs_mask = True

    def __init__(self, width: int = 3, prefix: str | None = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(False, prefix, collect_device)
        self.width = int(width)

    def function_kwargs(self) -> dict:
        return dict(width=self.width)


@METRICS.register_module()
class LPIPS(ImageMetric):
    """Mean LPIPS distance (lower is better), computed by the ``lpips`` package.

    Args:
        net: backbone: ``'alex'`` (default, as the package), ``'vgg'`` or ``'squeeze'``.
        pretrained: ImageNet backbone and calibrated linear layers. ``False`` builds a
            random network -- for tests only.
        weights: path of the backbone's torchvision file (or its folder); ``None``
            searches the caches (see :mod:`toolbox.weights`).
        device: where the network runs; default CUDA when available.
    """

    def __init__(self, net: str = 'alex', pretrained: bool = True, weights: str | None = None,
                 device: str | None = None, prefix: str | None = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(False, prefix, collect_device)
        from .perceptual import build_lpips
        self.net = net
        self.device = _default_device(device)
        self.model = build_lpips(net=net, pretrained=pretrained, weights=weights).to(self.device)

    def compute(self, pred, gt, mask):
        from .perceptual import lpips_distance
        return lpips_distance(self.model, pred, gt)


@METRICS.register_module()
class FID(BaseMetric):
    """Fréchet Inception Distance between the ground-truth and the composited images.

    Features are accumulated as float64 sums (:class:`.functional.FeatureStats`), so the
    value does not depend on the batch size, and summed over processes in distributed
    evaluation. FID is biased for small sets: compare values over the same number of
    images (papers use thousands).

    Args:
        feature_extractor: config of a feature extractor in the ``MODELS`` registry
            (default :class:`~toolbox.evaluation.fid.FIDInceptionV3`, the standard one) or
            an ``nn.Module``/callable mapping ``[B, 3, H, W]`` in [0, 1] to ``[B, D]``.
        device: where the extractor runs; default CUDA when available.
    """

    default_prefix = ''

    def __init__(self, feature_extractor: dict | nn.Module | None = None,
                 device: str | None = None, prefix: str | None = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        from toolbox.builder import build_component
        from . import fid  # noqa: F401 - registers FIDInceptionV3
        cfg = feature_extractor if feature_extractor is not None else dict(type='FIDInceptionV3')
        self.device = _default_device(device)
        extractor = build_component(MODELS, cfg, 'feature_extractor') \
            if isinstance(cfg, dict) else cfg
        if not callable(extractor):
            raise TypeError(f'FID: feature_extractor must be a config dict, an nn.Module or '
                            f'a callable, got {type(extractor).__name__}')
        if isinstance(extractor, nn.Module):
            extractor = extractor.to(self.device).eval()
        self.extractor = extractor
        self.real = F.FeatureStats()
        self.fake = F.FeatureStats()

    key = 'FID'
    #: accumulated state besides ``results`` (see report.MaskTypeTable)
    state_attributes = ('real', 'fake')

    @torch.no_grad()
    def _features(self, images: torch.Tensor) -> torch.Tensor:
        feats = self.extractor(images.to(self.device))
        if feats.ndim != 2 or feats.shape[0] != images.shape[0]:
            raise ValueError(f'FID: the feature extractor must return [B, D], got '
                             f'{list(feats.shape)} for {images.shape[0]} images')
        return feats

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        self.real.update(self._features(_stack(data_samples, 'gt')))
        self.fake.update(self._features(_stack(data_samples, 'pred')))

    def compute_metrics(self, results: list) -> dict:
        return {self.key: F.frechet_distance(*self.real.mean_cov(), *self.fake.mean_cov())}

    def evaluate(self, size: int) -> dict:
        """FID of everything processed since the last call (on every process), then reset.

        Overrides mmengine's per-sample result gathering: the statistics are sums, and
        are all-reduced across processes instead.
        """
        from mmengine import dist
        if dist.get_world_size() > 1:
            for stats in (self.real, self.fake):
                if stats.sum is None:
                    raise RuntimeError('FID: a process evaluated no images; give every '
                                       'process at least one batch')
                n = torch.tensor([float(stats.n)], dtype=torch.float64)
                dist.all_reduce(n)
                s, o = stats.sum.clone(), stats.outer.clone()
                dist.all_reduce(s)
                dist.all_reduce(o)
                stats.n, stats.sum, stats.outer = int(n.item()), s, o
        try:
            metrics = self.compute_metrics([])
        finally:
            self.real, self.fake = F.FeatureStats(), F.FeatureStats()
            self.results.clear()
        return {(f'{self.prefix}/{k}' if self.prefix else k): v for k, v in metrics.items()}
