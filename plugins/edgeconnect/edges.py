"""Canny edge maps, EdgeConnect's edge targets (training) and known edges (inference).

The authors compute them with scikit-image's ``canny`` (Gaussian sigma 2, its default
hysteresis thresholds 0.1 and 0.2) on the ``rgb2gray`` image in [0, 1]; so do these. At
inference the detector is limited to the known pixels (``mask=`` of ``canny``), so no edge
comes from the content of a hole, as the authors' test mode does.

(DeepFill's ``CannySketch`` is another detector, OpenCV's, tuned as a user's sketch.)
"""
from __future__ import annotations

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from skimage.color import rgb2gray
from skimage.feature import canny
from torch import Tensor

from toolbox.registry import TRANSFORMS

__all__ = ['CannyEdges', 'canny_edges', 'known_edges']


def canny_edges(grey: np.ndarray, sigma: float = 2.0,
                known: np.ndarray | None = None) -> np.ndarray:
    """Boolean ``(H, W)`` edges of ``grey`` (float ``(H, W)`` in [0, 1]); with ``known``
    (bool ``(H, W)``, True = known pixel) the detector sees only the known pixels."""
    if grey.ndim != 2:
        raise ValueError(f'canny_edges: grey must be (H, W), got {grey.shape}')
    return canny(grey, sigma=sigma, mask=known)


def known_edges(image: Tensor, mask: Tensor, sigma: float = 2.0) -> Tensor:
    """``[B, 1, H, W]`` float {0, 1}: Canny edges of the known region of ``image``
    ``[B, 3, H, W]`` in [-1, 1] (``mask`` ``[B, 1, H, W]``, 1 = hole), zero in the holes."""
    img01 = ((image.detach().float().clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).cpu().numpy()
    hole = mask.detach().cpu().numpy()[:, 0] > 0.5
    edges = np.stack([canny_edges(rgb2gray(img01[i]), sigma, ~hole[i]) & ~hole[i]
                      for i in range(img01.shape[0])])
    return torch.from_numpy(edges[:, None].astype(np.float32)).to(image.device, image.dtype)


@TRANSFORMS.register_module()
class CannyEdges(BaseTransform):
    """Write ``results[key]``: the Canny edges of ``results['img']`` (uint8 (H, W), 0/255),
    the edge model's target. Place it after the geometric transforms (crop, flip), and pack
    it with ``PackInpaintingInputs(guidance_keys=('edge',))``.

    Args:
        sigma: standard deviation of the detector's Gaussian (the authors: 2).
        key: results key to write.
    """

    def __init__(self, sigma: float = 2.0, key: str = 'edge') -> None:
        if sigma <= 0:
            raise ValueError(f'CannyEdges: sigma must be > 0, got {sigma}')
        self.sigma = float(sigma)
        self.key = key

    def transform(self, results: dict) -> dict:
        img = results['img']                                   # RGB uint8 (H, W, 3)
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f'CannyEdges: results["img"] must be RGB uint8 (H, W, 3), got '
                             f'{img.dtype} {img.shape}')
        edges = canny_edges(rgb2gray(img), self.sigma)
        results[self.key] = edges.astype(np.uint8) * 255
        return results

    def __repr__(self) -> str:
        return f'CannyEdges(sigma={self.sigma}, key={self.key!r})'
