"""Shared data for the evaluation tests: small real photos and degraded copies."""
from __future__ import annotations

import numpy as np
import pytest
import torch


def photo_pairs(size=(48, 64), n: int = 4, seed: int = 0):
    """``(pred, gt)`` [n, 3, H, W] float32 in [0, 1]: crops of scikit-image's photos and
    blurred, noisy, 8-bit copies of them."""
    import cv2
    from skimage import data
    photos = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]
    rng = np.random.default_rng(seed)
    gts, preds = [], []
    for i in range(n):
        img = cv2.resize(photos[i % len(photos)], (size[1] * 2, size[0] * 2),
                         interpolation=cv2.INTER_AREA)
        y, x = rng.integers(0, size[0]), rng.integers(0, size[1])
        gt = img[y:y + size[0], x:x + size[1]]
        pred = cv2.GaussianBlur(gt, (3, 3), 0.8).astype(np.float64)
        pred = np.clip(np.round(pred + rng.normal(0, 6, pred.shape)), 0, 255)
        gts.append(gt.astype(np.float32) / 255)
        preds.append(pred.astype(np.float32) / 255)
    to_t = lambda a: torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).contiguous()  # noqa: E731
    return to_t(preds), to_t(gts)


def bright_photo_pairs(seed: int = 0):
    """``(pred, gt)`` [2, 3, 48, 64] float32: crops of real photos around flat bright areas
    (the astronaut's suit, the immunohistochemistry slide's background) and copies with one
    level of 8-bit noise: where float32 statistics lose ``E[x^2] - E[x]^2`` to rounding."""
    from skimage import data
    rng = np.random.default_rng(seed)
    gts, preds = [], []
    for img, y, x in ((data.astronaut(), 130, 280), (data.immunohistochemistry(), 330, 0)):
        gt = img[y:y + 48, x:x + 64].astype(np.int64)
        pred = np.clip(gt + rng.integers(-1, 2, gt.shape), 0, 255)
        gts.append(gt.astype(np.float32) / 255)
        preds.append(pred.astype(np.float32) / 255)
    to_t = lambda a: torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).contiguous()  # noqa: E731
    return to_t(preds), to_t(gts)


def box_masks(n: int, size=(48, 64)) -> torch.Tensor:
    """[n, 1, H, W] masks with a different box hole each."""
    mask = torch.zeros(n, 1, *size)
    for i in range(n):
        mask[i, :, 8 + i:30 + i, 10 + 2 * i:40 + i] = 1
    return mask


@pytest.fixture(scope='module')
def pairs():
    return photo_pairs()
