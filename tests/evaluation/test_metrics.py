"""The mmengine metrics: values, batch-size independence, LPIPS and FID."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from toolbox.evaluation import functional as F
from toolbox.registry import METRICS

from .conftest import box_masks, photo_pairs


def _samples(pred, gt, mask):
    return [dict(pred=pred[i], gt=gt[i], mask=mask[i], img_path=f'{i}.png')
            for i in range(pred.shape[0])]


def _run(metric, samples, batch_size: int) -> dict:
    for i in range(0, len(samples), batch_size):
        metric.process({}, samples[i:i + batch_size])
    return metric.evaluate(len(samples))


class MeanColour(nn.Module):
    """A cheap feature extractor: per-channel means and standard deviations, [B, 6]."""

    def forward(self, images):
        return torch.cat([images.mean(dim=(2, 3)), images.std(dim=(2, 3))], dim=1)


@pytest.fixture(scope='module')
def data():
    pred, gt = photo_pairs(n=6, size=(40, 48))
    mask = box_masks(6, size=(40, 48))
    return pred, gt, mask


@pytest.fixture(scope='module')
def random_lpips():
    from toolbox.evaluation.metrics import LPIPS
    torch.manual_seed(0)
    return LPIPS(pretrained=False, device='cpu')


def test_registered():
    for name in ('PSNR', 'SSIM', 'MAE', 'L1Error', 'L2Error', 'BPE', 'LPIPS', 'FID'):
        assert name in METRICS


def test_values_are_means_of_the_functions(data):
    pred, gt, mask = data
    samples = _samples(pred, gt, mask)
    cases = [(dict(type='PSNR'), 'PSNR', F.psnr(pred, gt)),
             (dict(type='PSNR', hole_only=True), 'PSNR_hole', F.psnr(pred, gt, mask)),
             (dict(type='SSIM'), 'SSIM', F.ssim(pred, gt)),
             (dict(type='SSIM', y_channel=True), 'SSIM_Y', F.ssim(pred, gt, y_channel=True)),
             (dict(type='L1Error'), 'L1Error', F.l1_error(pred, gt)),
             (dict(type='L2Error', hole_only=True), 'L2Error_hole', F.l2_error(pred, gt, mask)),
             (dict(type='BPE', width=2), 'BPE', F.bpe(pred, gt, mask, width=2)),
             (dict(type='MAE'), 'MAE', F.mae(pred, gt))]
    for cfg, key, expected in cases:
        result = _run(METRICS.build(cfg), samples, 4)
        assert list(result) == [key]
        assert result[key] == pytest.approx(float(expected.mean()), rel=1e-12)


def test_batch_size_does_not_change_results(data, random_lpips):
    pred, gt, mask = data
    samples = _samples(pred, gt, mask)
    cfgs = [dict(type='PSNR'), dict(type='SSIM'), dict(type='SSIM', hole_only=True),
            dict(type='L1Error'), dict(type='L2Error'), dict(type='BPE')]
    for cfg in cfgs:
        a = _run(METRICS.build(cfg), samples, 1)
        b = _run(METRICS.build(cfg), samples, 4)
        assert a == b, cfg
    from toolbox.evaluation.metrics import FID
    fid_1 = _run(FID(feature_extractor=MeanColour(), device='cpu'), samples, 1)['FID']
    fid_4 = _run(FID(feature_extractor=MeanColour(), device='cpu'), samples, 4)['FID']
    assert fid_1 == pytest.approx(fid_4, rel=1e-9, abs=1e-12)
    lp_1 = _run(random_lpips, samples, 1)['LPIPS']
    lp_4 = _run(random_lpips, samples, 4)['LPIPS']
    # float32 convolutions round differently per batch size (oneDNN picks its kernels by
    # shape): the two values of a ~2e-4 LPIPS differed by 1.2e-6 relative on one AVX2 EPYC
    # while passing 1e-6 on another. Averaging the wrong way (a mean of batch means over the
    # unequal batches 4 + 2) is off by far more than 1e-4.
    assert lp_1 == pytest.approx(lp_4, rel=1e-4)


@pytest.mark.filterwarnings('ignore::UserWarning')   # torchvision on lpips' `pretrained=`
def test_lpips_equals_the_lpips_package(data, random_lpips):
    import lpips
    pred, gt, _ = data
    ref = lpips.LPIPS(net='alex', pretrained=False, pnet_rand=True, verbose=False)
    ref.load_state_dict(random_lpips.model.state_dict())
    with torch.no_grad():
        expected = ref(pred * 2 - 1, gt * 2 - 1).flatten().double()
    ours = F.lpips(pred, gt, model=random_lpips.model)
    assert torch.allclose(ours, expected, rtol=1e-6, atol=1e-9)
    result = _run(random_lpips, _samples(pred, gt, torch.zeros(6, 1, 40, 48)), 3)
    assert result['LPIPS'] == pytest.approx(float(expected.mean()), rel=1e-6)


def test_fid_from_float64_sums(data):
    from toolbox.evaluation.metrics import FID
    pred, gt, mask = data
    metric = FID(feature_extractor=MeanColour(), device='cpu')
    result = _run(metric, _samples(pred, gt, mask), 4)
    ext = MeanColour()
    expected = F.fid_from_features(ext(gt).double(), ext(pred).double())
    assert result['FID'] == pytest.approx(expected, rel=1e-9)
    # evaluate() resets: the next evaluation starts from nothing
    same = _run(metric, _samples(gt, gt, mask), 2)
    assert same['FID'] == pytest.approx(0.0, abs=1e-9)


def test_fid_feature_extractor_is_pluggable():
    from toolbox.evaluation.metrics import FID
    from toolbox.registry import MODELS
    assert 'FIDInceptionV3' in MODELS
    with pytest.raises(KeyError, match='NoSuchExtractor'):
        FID(feature_extractor=dict(type='NoSuchExtractor'))
    with pytest.raises(TypeError, match='feature_extractor'):
        FID(feature_extractor=42)
    bad = FID(feature_extractor=lambda x: x.mean(dim=(1, 2, 3)), device='cpu')   # [B], not [B, D]
    with pytest.raises(ValueError, match=r'\[B, D\]'):
        bad.process({}, [dict(pred=torch.rand(3, 8, 8), gt=torch.rand(3, 8, 8))])


def test_fid_inception_architecture(tmp_path):
    """The pytorch-fid Inception variant, built at random (its weights cannot be
    downloaded here): 2048-d features, and a weight file in its format loads."""
    from toolbox.evaluation.fid import FID_INCEPTION_FILE, FIDInceptionV3
    torch.manual_seed(0)
    ext = FIDInceptionV3(pretrained=False)
    images = torch.rand(2, 3, 40, 48)
    feats = ext(images)
    assert feats.shape == (2, 2048) and torch.isfinite(feats).all() and (feats >= 0).all()
    assert not ext.training and not any(p.requires_grad for p in ext.parameters())
    ext.train()
    assert not ext.training                       # batch-norm statistics stay frozen
    # Count-excluding average pools (the FID graph), max pool in Mixed_7c.
    assert type(ext.net.Mixed_7c).pool_kind == 'max'
    torch.save(ext.net.state_dict(), tmp_path / FID_INCEPTION_FILE)
    loaded = FIDInceptionV3(weights=str(tmp_path))
    assert torch.allclose(loaded(images), feats, rtol=1e-5, atol=1e-6)


def test_metric_input_errors():
    metric = METRICS.build(dict(type='PSNR'))
    with pytest.raises(KeyError, match='pred'):
        metric.process({}, [dict(gt=torch.rand(3, 8, 8))])
    nan_case = METRICS.build(dict(type='BPE'))
    pred = torch.rand(2, 3, 8, 8)
    mask = torch.zeros(2, 1, 8, 8)
    mask[0, :, 2:5, 2:5] = 1                       # the second image has no hole: nan, skipped
    result = _run(nan_case, _samples(pred, torch.zeros_like(pred), mask), 2)
    expected = F.bpe(pred[:1], torch.zeros_like(pred[:1]), mask[:1])
    assert result['BPE'] == pytest.approx(float(expected), rel=1e-12)
    assert np.isfinite(result['BPE'])
