"""mmengine metrics over the inpaintor's predictions (``pred``, ``gt``, ``mask`` per sample)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from toolbox.registry import METRICS

from . import functional as F


class ImageMetric(BaseMetric):
    """Averages a per-image function of :mod:`toolbox.evaluation.functional` over a dataset.

    Args:
        hole_only: measure inside the hole instead of over the whole image.
        prefix: key prefix in the results (mmengine's convention).
    """

    #: name of the function in toolbox.evaluation.functional
    function: str = ''
    # Results are keyed by the metric name alone ('PSNR'), without mmengine's prefix.
    default_prefix = ''

    def __init__(self, hole_only: bool = False, prefix: str | None = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.hole_only = hole_only

    @property
    def key(self) -> str:
        return type(self).__name__ + ('_hole' if self.hole_only else '')

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        pred = torch.stack([s['pred'] for s in data_samples])      # [B, 3, H, W] in [0, 1]
        gt = torch.stack([s['gt'] for s in data_samples])
        mask = torch.stack([s['mask'] for s in data_samples]) if self.hole_only else None
        values = getattr(F, self.function)(pred, gt, mask)
        self.results.extend(float(v) for v in values)

    def compute_metrics(self, results: list) -> dict:
        return {self.key: float(np.mean(results))}


@METRICS.register_module()
class PSNR(ImageMetric):
    """Mean PSNR (dB) of the composited outputs."""
    function = 'psnr'


@METRICS.register_module()
class MAE(ImageMetric):
    """Mean absolute error of the composited outputs, images in [0, 1]."""
    function = 'mae'
