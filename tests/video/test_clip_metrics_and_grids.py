"""What a video model's validation needs from the image engine: the image metrics measure
clips frame by frame, and the visualisation hook draws a clip as one row per frame."""
import numpy as np
import pytest
import torch

from toolbox.evaluation import functional as F
from toolbox.evaluation.metrics import MAE, PSNR


def _samples(seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(2):
        gt = torch.rand(3, 3, 8, 8, generator=g)
        pred = (gt + 0.1 * torch.rand(3, 3, 8, 8, generator=g)).clamp(0, 1)
        mask = torch.zeros(3, 1, 8, 8)
        mask[..., 2:5, 2:5] = 1
        out.append(dict(pred=pred, gt=gt, mask=mask))
    return out


@pytest.mark.parametrize('hole_only', [False, True])
def test_image_metrics_average_clips_over_every_frame(hole_only):
    samples = _samples()
    metric = PSNR(hole_only=hole_only)
    metric.process(None, samples)
    value = metric.compute_metrics(metric.results)[metric.key]
    pred = torch.cat([s['pred'] for s in samples])       # the 6 frames as images
    gt = torch.cat([s['gt'] for s in samples])
    mask = torch.cat([s['mask'] for s in samples]) if hole_only else None
    assert value == pytest.approx(F.psnr(pred, gt, mask).double().mean().item(), rel=1e-6)
    mae = MAE()
    mae.process(None, samples)
    assert len(mae.results) == 6


def test_a_clip_grid_has_one_row_per_frame(tmp_path):
    import cv2

    from toolbox.engine.visualization import save_result_grid
    gt = torch.rand(2, 3, 3, 8, 8) * 2 - 1
    mask = torch.zeros(2, 3, 1, 8, 8)
    path = save_result_grid(str(tmp_path / 'grid.png'), gt, mask, gt)
    grid = cv2.imread(path)
    pad = 2
    assert grid.shape[:2] == (6 * (8 + pad) + pad, 4 * (8 + pad) + pad)
    assert not np.all(grid == grid[0, 0])
