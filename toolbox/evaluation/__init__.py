"""Metrics: plain functions in :mod:`.functional`, mmengine ``BaseMetric``\\ s in :mod:`.metrics`."""
from . import functional
from .metrics import MAE, PSNR, ImageMetric

__all__ = ['functional', 'ImageMetric', 'PSNR', 'MAE']
