"""Evaluation: plain functions in :mod:`.functional`, mmengine ``BaseMetric``\\ s in
:mod:`.metrics`, FID feature extractors in :mod:`.fid` (and VFID's I3D in :mod:`.video_fid`), and the per-mask-type table in
:mod:`.report`.

Networks and heavy packages (lpips, torchvision's Inception, scipy) are imported only when
a metric that needs them is built.
"""
from . import functional
from .fid import FIDInceptionV3
from .metrics import BPE, FID, LPIPS, MAE, PSNR, SSIM, ImageMetric, L1Error, L2Error
from .report import MaskTypeTable
from .video_fid import I3DFeatures

__all__ = ['functional', 'ImageMetric', 'PSNR', 'SSIM', 'MAE', 'L1Error', 'L2Error', 'BPE',
           'LPIPS', 'FID', 'FIDInceptionV3', 'MaskTypeTable',
           'I3DFeatures']
