"""toolbox.evaluation.functional against scikit-image, SciPy and hand-made cases."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from toolbox.evaluation import functional as F

from .conftest import box_masks, bright_photo_pairs, photo_pairs


def _hwc(t: torch.Tensor) -> np.ndarray:
    return t.permute(1, 2, 0).double().numpy()


def _sk_ssim(p, g, sigma=1.5) -> float:
    # scikit-image's window: 2 * int(3.5 sigma + 0.5) + 1 taps (11 for sigma 1.5)
    return structural_similarity(_hwc(p), _hwc(g), gaussian_weights=True, sigma=sigma,
                                 use_sample_covariance=False, data_range=1, channel_axis=-1)


@pytest.fixture(params=['fused', 'torch'])
def ssim_path(request, monkeypatch):
    """Each test runs on the CPU's fused kernel (numba) and on the torch operators it falls
    back to (numba missing, other devices)."""
    if request.param == 'fused':
        assert F._kernels(torch.zeros(1)) is not None
    else:
        monkeypatch.setattr(F, '_kernels', lambda t: None)
    return request.param


def _random_pair(seed, shape=(2, 3, 40, 52)):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g), torch.rand(shape, generator=g)


@pytest.mark.parametrize('images', ['photos', 'bright photos', 'random'])
def test_ssim_equals_scikit_image_on_every_path(ssim_path, images):
    """Within 1e-6 of scikit-image (float64 on the same values) is the target; float64
    statistics are measured within 1e-13, so the bound here is 1e-11. (Output rows: 38,
    and 31 for the random images, where the fused kernel's last row comes alone.)"""
    pred, gt = {'photos': lambda: photo_pairs(n=2), 'bright photos': bright_photo_pairs,
                'random': lambda: _random_pair(0, (2, 3, 41, 30))}[images]()
    ours = F.ssim(pred, gt)
    assert ours.dtype == torch.float64
    for i in range(pred.shape[0]):
        assert abs(float(ours[i]) - _sk_ssim(pred[i], gt[i])) < 1e-11
    # other window sizes: 7 taps (padded to 11 in the fused kernel) and 13 (padded to 22)
    for size, sigma in ((7, 0.9), (13, 1.7)):
        ours = F.ssim(pred, gt, window_size=size, sigma=sigma)
        for i in range(pred.shape[0]):
            assert abs(float(ours[i]) - _sk_ssim(pred[i], gt[i], sigma)) < 1e-11
    # float64 and mixed inputs: the same values
    assert torch.allclose(F.ssim(pred.double(), gt.double()), F.ssim(pred, gt),
                          rtol=0, atol=1e-13)
    assert torch.allclose(F.ssim(pred, gt.double()), F.ssim(pred, gt), rtol=0, atol=1e-13)


def test_psnr_and_mse_are_float64_exact_on_the_cpu(monkeypatch):
    """On the CPU the squared errors of float32 inputs are summed in float64 (PSNR within
    1e-10 dB of scikit-image on the same values); the torch operators elsewhere give the
    same to float32 rounding, and the same to float64 rounding for float64 inputs."""
    pred, gt = photo_pairs(n=3)
    mask = box_masks(3)
    assert F._kernels(pred) is not None
    ours = F.psnr(pred, gt)
    for i in range(3):
        ref = peak_signal_noise_ratio(_hwc(gt[i]), _hwc(pred[i]), data_range=1)
        assert abs(float(ours[i]) - ref) < 1e-10
    diff = (pred.double() - gt.double()).square()
    hole = (diff * mask).sum(dim=(1, 2, 3)) / (3 * mask.sum(dim=(1, 2, 3)))
    assert torch.allclose(F.mse(pred, gt, mask), hole, rtol=1e-13, atol=0)
    assert torch.allclose(F.mse(pred, gt, mask.bool()), hole, rtol=1e-13, atol=0)
    fused = {'mse': F.mse(pred, gt), 'hole': F.mse(pred, gt, mask),
             'f64': F.mse(pred.double(), gt.double(), mask)}
    monkeypatch.setattr(F, '_kernels', lambda t: None)
    assert torch.allclose(F.mse(pred, gt), fused['mse'], rtol=1e-6, atol=0)
    assert torch.allclose(F.mse(pred, gt, mask), fused['hole'], rtol=1e-6, atol=0)
    assert torch.allclose(F.mse(pred.double(), gt.double(), mask), fused['f64'], rtol=1e-13,
                          atol=0)


def test_bright_photos_are_where_float32_statistics_fail():
    """The photos of the test above are a real test of the float64 statistics: float32
    ones miss scikit-image by more than the 1e-6 target there."""
    pred, gt = bright_photo_pairs()
    fast = F.ssim(pred, gt, precision='float32')
    assert max(abs(float(fast[i]) - _sk_ssim(pred[i], gt[i])) for i in range(2)) > 1e-6
    # the documented worst case of float32 statistics: a flat white image (SSIM 1)
    white = torch.ones(1, 3, 48, 48)
    assert 6e-5 < 1 - float(F.ssim(white, white, precision='float32')) < 6.7e-5
    assert float(F.ssim(white, white)) == 1.0


def test_fused_kernel_equals_the_torch_operators(monkeypatch):
    """Maps, means and masked means (binary, soft, empty within the valid area) agree."""
    pred, gt = photo_pairs(n=3)
    mask = box_masks(3)
    soft = mask * 0.5 + torch.rand(mask.shape, generator=torch.Generator().manual_seed(1)) * 0.25
    border = torch.zeros_like(mask)
    border[:, :, :4] = 1
    cases = {'map': lambda: F.ssim_map(pred, gt), 'mean': lambda: F.ssim(pred, gt),
             'hole': lambda: F.ssim(pred, gt, mask), 'soft': lambda: F.ssim(pred, gt, soft),
             'bool': lambda: F.ssim(pred, gt, mask.bool()),
             'border': lambda: F.ssim(pred, gt, border),
             'y': lambda: F.ssim(pred, gt, mask, y_channel=True)}
    fused = {name: fn() for name, fn in cases.items()}
    monkeypatch.setattr(F, '_kernels', lambda t: None)
    for name, fn in cases.items():
        ref = fn()
        assert fused[name].dtype == ref.dtype == torch.float64, name
        assert fused[name].shape == ref.shape, name
        # per position up to a few 1e-13 (rounding of var against C2), means far less
        tol = 1e-11 if name == 'map' else 1e-13
        assert torch.allclose(fused[name], ref, rtol=0, atol=tol, equal_nan=True), name
    assert torch.isnan(fused['border']).all()


def test_psnr_and_ssim_equal_scikit_image_on_photos(pairs):
    pred, gt = pairs
    ours_psnr, ours_ssim = F.psnr(pred, gt), F.ssim(pred, gt)
    assert ours_psnr.dtype == ours_ssim.dtype == torch.float64
    assert ours_psnr.shape == ours_ssim.shape == (pred.shape[0],)
    for i in range(pred.shape[0]):
        ref_psnr = peak_signal_noise_ratio(_hwc(gt[i]), _hwc(pred[i]), data_range=1)
        assert abs(float(ours_psnr[i]) - ref_psnr) < 1e-4
        assert abs(float(ours_ssim[i]) - _sk_ssim(pred[i], gt[i])) < 1e-4


def test_ssim_in_float64_matches_to_rounding(pairs):
    pred, gt = pairs
    ours = F.ssim(pred.double(), gt.double())
    ref = [_sk_ssim(pred[i], gt[i]) for i in range(pred.shape[0])]
    assert np.allclose(ours.numpy(), ref, rtol=0, atol=1e-12)


def flat_bright_pair(seed, level=240, size=48):
    """A flat bright area with one level of 8-bit noise, beside a dark one: where
    ``E[x^2] - E[x]^2`` cancels most."""
    g = torch.Generator().manual_seed(seed)
    base = torch.full((1, 3, size, size), level / 255)
    base[..., : size // 3] = 3 / 255
    noisy = [(base + torch.randint(-1, 2, base.shape, generator=g) / 255).clamp(0, 1)
             for _ in range(2)]
    return noisy[0].float(), noisy[1].float()


def test_ssim_equals_scikit_image_on_flat_bright_areas():
    for seed in range(3):
        pred, gt = flat_bright_pair(seed)
        ref = _sk_ssim(pred[0], gt[0])
        # float64 statistics by default, whatever the input type
        assert abs(float(F.ssim(pred, gt)[0]) - ref) < 1e-11
        assert abs(float(F.ssim(pred.double(), gt.double())[0]) - ref) < 1e-11
        assert F.ssim_map(pred, gt).dtype == torch.float64
        # the documented bound of the faster float32 statistics
        fast = F.ssim(pred, gt, precision='float32')
        assert abs(float(fast[0]) - ref) < 2.5e-5
        assert F.ssim_map(pred, gt, precision='float32').dtype == torch.float32
    with pytest.raises(ValueError, match='precision'):
        F.ssim(pred, gt, precision='half')


def test_ssim_map_and_identity(pairs):
    pred, gt = pairs
    smap = F.ssim_map(pred, gt)
    assert smap.shape == (pred.shape[0], 3, pred.shape[2] - 10, pred.shape[3] - 10)
    assert torch.allclose(smap.double().mean(dim=(1, 2, 3)), F.ssim(pred, gt), atol=1e-6)
    assert torch.allclose(F.ssim(gt, gt), torch.ones(gt.shape[0], dtype=torch.float64),
                          atol=1e-6)
    assert torch.isinf(F.psnr(gt, gt)).all()


def test_batch_size_does_not_change_any_value(pairs):
    pred, gt = pairs
    mask = box_masks(pred.shape[0])
    fns = {
        'psnr': lambda p, g, m: F.psnr(p, g),
        'psnr_hole': lambda p, g, m: F.psnr(p, g, m),
        'psnr_y': lambda p, g, m: F.psnr(p, g, y_channel=True),
        'ssim': lambda p, g, m: F.ssim(p, g),
        'ssim_hole': lambda p, g, m: F.ssim(p, g, m),
        'ssim_y': lambda p, g, m: F.ssim(p, g, y_channel=True),
        'l1': lambda p, g, m: F.l1_error(p, g),
        'l2_hole': lambda p, g, m: F.l2_error(p, g, m),
        'mae': lambda p, g, m: F.mae(p, g),
        'bpe': lambda p, g, m: F.bpe(p, g, m),
    }
    for name, fn in fns.items():
        whole = fn(pred, gt, mask)
        single = torch.cat([fn(pred[i:i + 1], gt[i:i + 1], mask[i:i + 1])
                            for i in range(pred.shape[0])])
        pairs_ = torch.cat([fn(pred[i:i + 2], gt[i:i + 2], mask[i:i + 2])
                            for i in range(0, pred.shape[0], 2)])
        assert torch.equal(whole, single), name
        assert torch.equal(whole, pairs_), name


def test_errors_in_percent_and_hole_only():
    gt = torch.full((2, 3, 16, 16), 0.5)
    pred = gt.clone()
    mask = torch.zeros(2, 1, 16, 16)
    mask[:, :, 4:8, 4:12] = 1
    pred[:, :, 4:8, 4:12] += 0.1                      # error 0.1 inside the hole only
    assert torch.allclose(F.l1_error(pred, gt, mask), torch.full((2,), 10.0, dtype=torch.float64))
    assert torch.allclose(F.l2_error(pred, gt, mask), torch.full((2,), 1.0, dtype=torch.float64))
    hole_fraction = 32 / 256
    assert torch.allclose(F.l1_error(pred, gt), torch.full((2,), 10.0 * hole_fraction,
                                                           dtype=torch.float64))
    assert torch.allclose(F.psnr(pred, gt, mask), torch.full((2,), 20.0, dtype=torch.float64))


def test_bpe_measures_the_band_along_the_holes_edge():
    gt = torch.zeros(1, 3, 20, 20)
    mask = torch.zeros(1, 1, 20, 20)
    mask[:, :, 5:15, 5:15] = 1
    band = F.boundary_band(mask, width=2)
    expected = torch.zeros_like(mask)
    expected[:, :, 5:15, 5:15] = 1
    expected[:, :, 7:13, 7:13] = 0                    # the hole's 2-pixel rim
    assert torch.equal(band, expected)
    pred = gt.clone()
    pred[:, :, 7:13, 7:13] = 1.0                      # errors only deep inside the hole
    assert float(F.bpe(pred, gt, mask, width=2)) == 0.0
    pred[:, :, 5:15, 5:15] = 0.25                     # now also on the rim
    assert float(F.bpe(pred, gt, mask, width=2)) == pytest.approx(25.0)
    # A hole touching the image border: the border is no boundary.
    edge = torch.zeros(1, 1, 20, 20)
    edge[:, :, :, :6] = 1
    assert F.boundary_band(edge, width=1).sum() == 20   # one column next to the known part
    assert math.isnan(float(F.bpe(pred, gt, torch.zeros(1, 1, 20, 20))))


def test_ssim_hole_only():
    gt = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    mask = torch.zeros(1, 1, 32, 32)
    mask[:, :, 12:20, 12:20] = 1
    pred = gt * (1 - mask) + 0.5 * mask
    assert F.ssim(pred, gt, mask) < F.ssim(pred, gt) < 1
    ones = torch.ones_like(mask)
    assert torch.allclose(F.ssim(pred, gt, ones), F.ssim(pred, gt), atol=1e-6)
    border = torch.zeros_like(mask)
    border[:, :, :3] = 1                              # only where the window does not fit
    assert math.isnan(float(F.ssim(pred, gt, border)))


def test_y_channel():
    rgb = torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]).view(2, 3, 1, 1)
    y = F.rgb_to_y(rgb).flatten()
    assert torch.allclose(y, torch.tensor([235 / 255, 16 / 255]), atol=1e-6)


def test_shape_errors_name_the_function():
    a = torch.rand(2, 3, 16, 16)
    with pytest.raises(ValueError, match='ssim'):
        F.ssim(a, a[:1])
    with pytest.raises(ValueError, match='psnr'):
        F.psnr(a, a, torch.ones(2, 3, 16, 16))
    with pytest.raises(ValueError, match='window_size'):
        F.ssim(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))


def test_frechet_distance_equals_scipy_reference():
    from scipy import linalg
    g = torch.Generator().manual_seed(0)
    a = torch.randn(400, 24, generator=g, dtype=torch.float64)
    b = torch.randn(300, 24, generator=g, dtype=torch.float64) @ (
        torch.eye(24, dtype=torch.float64) + 0.3 * torch.randn(24, 24, generator=g,
                                                                 dtype=torch.float64)) + 0.4
    mu1, mu2 = a.mean(0).numpy(), b.mean(0).numpy()
    s1, s2 = np.cov(a.numpy(), rowvar=False), np.cov(b.numpy(), rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2)
    ref = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real)
    assert F.fid_from_features(a, b) == pytest.approx(ref, rel=1e-9)
    assert F.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(ref, rel=1e-9)
    assert F.fid_from_features(a, a) == pytest.approx(0.0, abs=1e-8)


def test_feature_stats_do_not_depend_on_batching():
    feats = torch.randn(50, 8, generator=torch.Generator().manual_seed(1)) * 3 + 5
    whole = F.FeatureStats()
    whole.update(feats)
    parts = F.FeatureStats()
    for i in range(0, 50, 7):
        parts.update(feats[i:i + 7])
    mu_a, cov_a = whole.mean_cov()
    mu_b, cov_b = parts.mean_cov()
    assert np.allclose(mu_a, mu_b, rtol=1e-12) and np.allclose(cov_a, cov_b, rtol=1e-12)
    assert np.allclose(cov_a, np.cov(feats.double().numpy(), rowvar=False), rtol=1e-10)
    merged = F.FeatureStats().merge(parts)
    assert merged.n == 50
    with pytest.raises(ValueError, match='at least 2'):
        one = F.FeatureStats()
        one.update(feats[:1])
        one.mean_cov()
