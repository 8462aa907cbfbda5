"""Sketch extraction for user-guided inpainting (DeepFill v2, Sec. 3.4).

The paper trains its user-guided model with sketches made by the HED edge detector
(Xie and Tu, ICCV 2015). HED's weights cannot be downloaded here, so :class:`CannySketch`
extracts the edges with OpenCV's Canny detector on a blurred copy of the image instead:
thinner and more textured than HED's edges, but free and deterministic. A user-drawn sketch
at inference time is white strokes (255) on black (0), like the transform's output.
"""
from __future__ import annotations

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from toolbox.registry import TRANSFORMS

__all__ = ['CannySketch']


@TRANSFORMS.register_module()
class CannySketch(BaseTransform):
    """Write ``results['sketch']``: Canny edges of ``results['img']`` (uint8 (H, W), 0/255).

    Place it after the geometric transforms (crop, flip), before ``PackInpaintingInputs``.

    Args:
        low_threshold: Canny's lower hysteresis threshold (0-255 gradient units).
        high_threshold: Canny's upper threshold; only edges reaching it start a contour.
        sigma: standard deviation in pixels of the Gaussian blur before edge detection,
            which keeps object contours and drops fine texture (0: no blur).
        thickness: edges are dilated to this width in pixels (1: Canny's one-pixel lines),
            closer to hand-drawn strokes.
        key: results key to write.
    """

    def __init__(self,
                 low_threshold: float = 60.0,
                 high_threshold: float = 140.0,
                 sigma: float = 1.5,
                 thickness: int = 1,
                 key: str = 'sketch') -> None:
        if not 0 <= low_threshold <= high_threshold:
            raise ValueError(f'CannySketch: need 0 <= low_threshold <= high_threshold, got '
                             f'{low_threshold}, {high_threshold}')
        if sigma < 0 or thickness < 1:
            raise ValueError('CannySketch: sigma must be >= 0 and thickness >= 1')
        self.low_threshold = float(low_threshold)
        self.high_threshold = float(high_threshold)
        self.sigma = float(sigma)
        self.thickness = int(thickness)
        self.key = key

    def transform(self, results: dict) -> dict:
        img = results['img']                                   # RGB uint8 (H, W, 3)
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f'CannySketch: results["img"] must be RGB uint8 (H, W, 3), got '
                             f'{img.dtype} {img.shape}')
        gray = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
        if self.sigma > 0:
            gray = cv2.GaussianBlur(gray, (0, 0), self.sigma)
        edges = cv2.Canny(gray, self.low_threshold, self.high_threshold)  # uint8 0/255
        if self.thickness > 1:
            kernel = np.ones((self.thickness, self.thickness), np.uint8)
            edges = cv2.dilate(edges, kernel)
        results[self.key] = edges
        return results

    def __repr__(self) -> str:
        return (f'CannySketch(low_threshold={self.low_threshold}, '
                f'high_threshold={self.high_threshold}, sigma={self.sigma}, '
                f'thickness={self.thickness})')
