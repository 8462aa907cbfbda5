"""OpenCV inpainting and grid interpolation as generators: the classical baselines.

Papers: A. Telea, "An Image Inpainting Technique Based on the Fast Marching Method",
J. Graphics Tools 2004; M. Bertalmio, A. L. Bertozzi, G. Sapiro, "Navier-Stokes, Fluid
Dynamics, and Image and Video Inpainting", CVPR 2001; bicubic interpolation as the
interpolation baseline of Cai et al. (CVPRW 2022). What differs: see README.md.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import Tensor

from toolbox import BaseGenerator
from toolbox.bases import check_image_and_mask
from toolbox.value_range import from_model_range, to_model_range
from toolbox.registry import GENERATORS


def _to_uint8(image: Tensor) -> np.ndarray:
    """[3, H, W] in [-1, 1] -> RGB uint8 (H, W, 3)."""
    img = from_model_range(image.detach(), 255).round().byte()
    return np.ascontiguousarray(img.permute(1, 2, 0).cpu().numpy())


def _to_tensor(images: list[np.ndarray], like: Tensor) -> Tensor:
    """RGB uint8 (H, W, 3) list -> [B, 3, H, W] in [-1, 1] on ``like``'s device and dtype."""
    arr = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)
    return to_model_range(arr).to(device=like.device, dtype=like.dtype)


class _OpenCVInpaint(BaseGenerator):
    """``cv2.inpaint`` applied to each image of the batch."""

    trainable = False
    uses_estimate = False     # cv2.inpaint reads the known pixels only
    flag: int = cv2.INPAINT_TELEA

    def __init__(self, radius: float = 3.0) -> None:
        super().__init__()
        if radius <= 0:
            raise ValueError(f'{type(self).__name__}: radius must be > 0, got {radius}')
        self.radius = float(radius)

    def fill(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """RGB uint8 (H, W, 3), hole uint8 (H, W) 1 = missing -> filled RGB uint8."""
        if not hole.any():
            return image
        return cv2.inpaint(image, hole, self.radius, self.flag)

    def forward(self, masked_image: Tensor, mask: Tensor, **guidance: Tensor) -> dict[str, Tensor]:
        check_image_and_mask(masked_image, mask, where=type(self).__name__)
        holes = (mask[:, 0] > 0.5).to(torch.uint8).cpu().numpy()          # [B, H, W]
        out = [self.fill(_to_uint8(img), hole) for img, hole in zip(masked_image, holes)]
        return {'output': _to_tensor(out, masked_image)}                   # [B, 3, H, W]


@GENERATORS.register_module()
class TeleaInpaint(_OpenCVInpaint):
    """OpenCV's fast-marching inpainting (Telea 2004).

    Args:
        radius: neighbourhood radius in pixels that each filled pixel averages over.
    """

    flag = cv2.INPAINT_TELEA


@GENERATORS.register_module()
class NavierStokesInpaint(_OpenCVInpaint):
    """OpenCV's Navier-Stokes inpainting (Bertalmio et al. 2001).

    Args:
        radius: neighbourhood radius in pixels.
    """

    flag = cv2.INPAINT_NS


def _longest_run_missing(known_lines: np.ndarray, length: int) -> int:
    """The longest run of lines not in ``known_lines`` (sorted), borders included."""
    edges = np.concatenate([[-1], known_lines, [length]])
    return int(np.max(np.diff(edges)) - 1)


def known_grid(hole: np.ndarray, max_gap: int = 8) -> tuple[np.ndarray, np.ndarray] | None:
    """``(rows, cols)`` when the known pixels (hole == 0) are exactly the crossings of those
    rows and columns and no run of missing rows or columns (at the borders included) is
    longer than ``max_gap`` -- an interpolation mask; else ``None``.

    The gap limit keeps outpainting masks (Completion: a band of rows missing; Expand: only
    a centre block known), whose known pixels also form such a product, out: there is
    nothing to interpolate between.
    """
    known = hole == 0
    rows = np.flatnonzero(known.any(axis=1))
    cols = np.flatnonzero(known.any(axis=0))
    if rows.size == 0:
        return None
    if max(_longest_run_missing(rows, hole.shape[0]),
           _longest_run_missing(cols, hole.shape[1])) > max_gap:
        return None
    grid = np.zeros_like(known)
    grid[np.ix_(rows, cols)] = True
    return (rows, cols) if np.array_equal(grid, known) else None


def interpolate_grid(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bicubic interpolation of ``image`` (H, W, C) from its pixels at ``rows`` x ``cols``."""
    h, w = image.shape[:2]
    small = np.ascontiguousarray(image[np.ix_(rows, cols)])
    # Fractional index of every output row/column in the sequence of known ones; exact
    # integers at the known pixels, so those keep their values.
    fy = np.interp(np.arange(h), rows, np.arange(rows.size)).astype(np.float32)
    fx = np.interp(np.arange(w), cols, np.arange(cols.size)).astype(np.float32)
    map_x = np.ascontiguousarray(np.broadcast_to(fx[None, :], (h, w)))
    map_y = np.ascontiguousarray(np.broadcast_to(fy[:, None], (h, w)))
    return cv2.remap(small, map_x, map_y, interpolation=cv2.INTER_CUBIC,
                     borderMode=cv2.BORDER_REPLICATE)


@GENERATORS.register_module()
class BicubicInterpolation(TeleaInpaint):
    """Bicubic interpolation from the known grid, for interpolation masks (Every N Lines,
    Nearest Neighbor): the paper's "OpenCV bicubic" baseline.

    A mask whose known pixels are not the crossings of a set of rows and a set of columns
    with short gaps between them (strokes, boxes, outpainting; see :func:`known_grid`)
    cannot be interpolated this way; such images are filled with Telea inpainting instead
    and counted in :attr:`fallbacks`.

    Args:
        radius: Telea's radius for the fallback.
        max_gap: the longest run of missing rows or columns that is still interpolated.
    """

    def __init__(self, radius: float = 3.0, max_gap: int = 8) -> None:
        super().__init__(radius)
        if max_gap < 1:
            raise ValueError(f'BicubicInterpolation: max_gap must be >= 1, got {max_gap}')
        self.max_gap = int(max_gap)
        #: images filled by the Telea fallback so far
        self.fallbacks = 0

    def fill(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        if not hole.any():
            return image
        grid = known_grid(hole, self.max_gap)
        if grid is None:
            self.fallbacks += 1
            return super().fill(image, hole)
        return interpolate_grid(image, *grid)
