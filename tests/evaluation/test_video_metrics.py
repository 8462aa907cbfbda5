"""toolbox.evaluation.video: per-frame PSNR/SSIM and the flow warping error."""
import math

import cv2
import numpy as np
import pytest
import torch

from toolbox.evaluation import functional as F
from toolbox.evaluation.video import video_psnr, video_ssim, warping_error


def translated_clip(frames=5, h=64, w=80, shift=2, seed=0):
    """[1, T, 3, H, W] in [0, 1]: a smooth texture moving ``shift`` px right per frame."""
    big = cv2.GaussianBlur(np.random.default_rng(seed).integers(
        0, 256, (h, w + shift * frames, 3), dtype=np.uint8), (9, 9), 2.5)
    clip = np.stack([big[:, shift * (frames - t):shift * (frames - t) + w]
                     for t in range(frames)])
    return torch.from_numpy(clip).permute(0, 3, 1, 2)[None].float() / 255


def test_per_frame_psnr_and_ssim_are_the_image_metrics_averaged_over_frames():
    gt = translated_clip()
    pred = (gt + 0.05 * torch.randn(gt.shape, generator=torch.Generator().manual_seed(0))
            ).clamp(0, 1)
    mask = torch.zeros(1, 5, 1, 64, 80)
    mask[:, 1:4, :, 10:30, 20:50] = 1                    # frames 0 and 4 have no hole
    frames = [F.psnr(pred[:, t], gt[:, t]) for t in range(5)]
    assert torch.allclose(video_psnr(pred, gt), torch.stack(frames).mean(0).double())
    holes = [F.psnr(pred[:, t], gt[:, t], mask[:, t]) for t in range(1, 4)]
    assert torch.allclose(video_psnr(pred, gt, mask), torch.stack(holes).mean(0).double())
    ssims = [F.ssim(pred[:, t], gt[:, t]) for t in range(5)]
    assert torch.allclose(video_ssim(pred, gt), torch.stack(ssims).mean(0).double())
    assert math.isnan(video_psnr(pred, gt, torch.zeros_like(mask))[0])
    with pytest.raises(ValueError, match=r'\[B, T, C, H, W\]'):
        video_psnr(pred[:, 0], gt[:, 0])


def test_warping_error_is_near_zero_for_a_translated_clip_and_large_for_flicker():
    gt = translated_clip()
    clean = float(warping_error(gt, gt)[0])
    flicker = gt.clone()
    flicker[:, 1::2] = (flicker[:, 1::2] * 0.85 + 0.1)   # every other frame brighter/duller
    shaky = float(warping_error(flicker, gt)[0])
    assert clean < 1e-5, clean
    assert shaky > 100 * clean and shaky > 3e-4, (clean, shaky)
    # a static result on moving content is warped wrongly too
    frozen = gt[:, :1].expand_as(gt).contiguous()
    assert float(warping_error(frozen, gt)[0]) > 10 * clean


def test_warping_error_counts_only_unoccluded_pixels_and_the_given_region():
    gt = translated_clip()
    pred = gt.clone()
    pred[:, 2, :, :, :10] = 1.0    # garbage where frame 2's content enters: occluded in 1->2?
    region = torch.zeros(1, 5, 1, 64, 80)
    region[..., 20:40, 30:60] = 1
    assert float(warping_error(pred, gt, region)[0]) < 2e-4      # outside the region
    assert math.isnan(float(warping_error(gt[:, :1], gt[:, :1])[0]))  # no pair of frames
