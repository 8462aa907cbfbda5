"""LaMa plugin: FFC, Fourier unit, generator presets and parameter counts, resolution
robustness, discriminator, R1 / feature-matching / perceptual losses, configs."""
from __future__ import annotations

import os.path as osp
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from toolbox.registry import DISCRIMINATORS, GENERATORS, LOSSES, MASK_GENERATORS, MODELS
from toolbox.weights import WeightsNotFoundError
from toolbox_plugins.lama.ffc import FFC, FourierUnit, SpectralTransform, split_channels

from ..utils import REPO

pytestmark = [pytest.mark.filterwarnings('ignore::UserWarning'),
              pytest.mark.usefixtures('one_thread')]

LAMA_FOURIER_PARAMS = 27_048_835
BIG_LAMA_PARAMS = 50_975_875
DISCRIMINATOR_PARAMS = 6_962_369
CONFIGS = {name: osp.join(REPO, 'configs', name) for name in
           ('lama/fourier_places_256.py', 'lama/big_places_256.py', 'lama/demo.py')}


def _tiny_generator(**kw):
    cfg = dict(type='FFCResNetGenerator', preset=None, base_channels=8, num_blocks=2)
    cfg.update(kw)
    return GENERATORS.build(cfg)


def _count(module):
    return sum(p.numel() for p in module.parameters())


# -- FFC ------------------------------------------------------------------------------------

def test_split_channels():
    assert split_channels(512, 0.75) == (128, 384)
    assert split_channels(64, 0.0) == (64, 0)
    with pytest.raises(ValueError):
        split_channels(8, 1.5)


def test_ffc_is_the_sum_of_its_four_paths():
    torch.manual_seed(0)
    ffc = FFC(16, 16, 3, ratio_in=0.75, ratio_out=0.75, padding=1).eval()
    x_l, x_g = torch.randn(2, 4, 12, 10), torch.randn(2, 12, 12, 10)
    y_l, y_g = ffc((x_l, x_g))
    torch.testing.assert_close(y_l, ffc.l2l(x_l) + ffc.g2l(x_g))
    torch.testing.assert_close(y_g, ffc.l2g(x_l) + ffc.g2g(x_g))
    assert y_l.shape == (2, 4, 12, 10) and y_g.shape == (2, 12, 12, 10)
    # all-local input (the last downsampling): the global output comes from l2g alone
    down = FFC(8, 16, 3, ratio_in=0.0, ratio_out=0.75, stride=2, padding=1)
    assert down.g2l is None and down.g2g is None
    y_l, y_g = down((torch.randn(1, 8, 16, 16), None))
    assert y_l.shape == (1, 4, 8, 8) and y_g.shape == (1, 12, 8, 8)


def test_fourier_unit_matches_a_direct_implementation():
    torch.manual_seed(0)
    fu = FourierUnit(3, 5).eval()
    x = torch.randn(2, 3, 8, 6)
    freq = torch.fft.rfft2(x, norm='ortho')                  # [2, 3, 8, 4]
    stacked = torch.stack([freq.real, freq.imag], dim=2).reshape(2, 6, 8, 4)
    y = F.relu(fu.bn(fu.conv(stacked))).reshape(2, 5, 2, 8, 4)
    expected = torch.fft.irfft2(torch.complex(y[:, :, 0], y[:, :, 1]), s=(8, 6), norm='ortho')
    torch.testing.assert_close(fu(x), expected, rtol=1e-5, atol=1e-6)


def test_fourier_unit_has_an_image_wide_receptive_field():
    torch.manual_seed(0)
    st = SpectralTransform(8, 8).eval()
    x = torch.randn(1, 8, 32, 32)
    y = x.clone()
    y[..., 0, 0] += 5.0                                       # one corner pixel
    diff = (st(x) - st(y)).abs().sum(1)[0]                    # [32, 32]
    assert diff[16:, 16:].max() > 1e-4                        # the far corner changes too


def test_spectral_transform_stride_and_local_fourier_unit():
    torch.manual_seed(0)
    st = SpectralTransform(8, 16, stride=2, enable_lfu=True)
    assert st.lfu is not None
    out = st(torch.randn(2, 8, 16, 12))
    assert out.shape == (2, 16, 8, 6) and torch.isfinite(out).all()
    with pytest.raises(ValueError, match='divisible by 4'):
        SpectralTransform(8, 12, enable_lfu=True)


def test_fourier_unit_under_bf16_autocast_runs_in_float32():
    torch.manual_seed(0)
    fu = FourierUnit(4, 4).eval()
    x = torch.randn(1, 4, 16, 16)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        y = fu(x.bfloat16())
    assert y.dtype == torch.bfloat16
    torch.testing.assert_close(y.float(), fu(x.bfloat16().float()), rtol=2e-2, atol=2e-2)


# -- generator ------------------------------------------------------------------------------

def test_published_parameter_counts():
    # Build only (no forward): the counts the README states.
    fourier = GENERATORS.build(dict(type='FFCResNetGenerator', preset='lama-fourier'))
    assert _count(fourier) == LAMA_FOURIER_PARAMS           # paper: 27.0M
    del fourier
    big = GENERATORS.build(dict(type='FFCResNetGenerator', preset='big-lama'))
    assert _count(big) == BIG_LAMA_PARAMS                   # paper: 51.0M
    assert sum(isinstance(m, torch.nn.Module) and type(m).__name__ == 'FFCResBlock'
               for m in big.modules()) == 18


def test_preset_overrides_and_errors():
    g = GENERATORS.build(dict(type='FFCResNetGenerator', preset='big-lama', base_channels=8))
    assert sum(type(m).__name__ == 'FFCResBlock' for m in g.modules()) == 18
    with pytest.raises(ValueError, match='unknown preset'):
        GENERATORS.build(dict(type='FFCResNetGenerator', preset='huge-lama'))
    with pytest.raises(ValueError, match='multiples of 8'):
        _tiny_generator()(torch.zeros(1, 3, 30, 32), torch.zeros(1, 1, 30, 32))


@pytest.mark.parametrize('size', [(64, 64), (48, 80)])
def test_runs_at_twice_the_training_size_and_non_square(size):
    """A model 'trained' at 32x32 runs unchanged at 2x and at other aspect ratios."""
    torch.manual_seed(0)
    from toolbox.testing import tiny_batch
    model = MODELS.build(dict(type='GANInpaintor', generator=_tiny_generator(),
                              losses=[dict(type='L1Loss')]))
    from mmengine.optim import OptimWrapper
    optim = OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=1e-3))
    batch = tiny_batch(size=32)
    gt = ((batch['gt'] + 1) * 127.5).round().byte()
    model.train_step(dict(inputs=dict(gt=list(gt), mask=list(batch['mask'].byte()))), optim)
    model.eval()
    h, w = size
    image = torch.rand(2, 3, h, w) * 2 - 1
    mask = torch.zeros(2, 1, h, w)
    mask[..., h // 4: 3 * h // 4, w // 3: 2 * w // 3] = 1
    with torch.no_grad():
        out = model.inpaint(image, mask)
    assert out.shape == (2, 3, h, w) and torch.isfinite(out).all()
    torch.testing.assert_close(out * (1 - mask), image * (1 - mask))


def test_inpaint_api_pads_odd_sizes():
    from toolbox.apis import inpaint
    model = MODELS.build(dict(type='GANInpaintor', generator=_tiny_generator(),
                              losses=[dict(type='L1Loss')])).eval()
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    mask = np.zeros((37, 53), np.uint8)
    mask[10:25, 20:40] = 255
    out = inpaint(model, image, mask)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(out[mask == 0], image[mask == 0])


def test_channels_last_gives_the_same_output():
    torch.manual_seed(0)
    a = _tiny_generator().eval()
    b = _tiny_generator(channels_last=True).eval()
    b.load_state_dict(a.state_dict())
    x, m = torch.randn(1, 3, 32, 40), torch.zeros(1, 1, 32, 40)
    torch.testing.assert_close(a(x, m)['output'], b(x, m)['output'], rtol=1e-4, atol=1e-5)


def test_generator_under_bf16_autocast_is_finite():
    g = _tiny_generator().eval()
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        out = g(torch.randn(1, 3, 32, 32), torch.zeros(1, 1, 32, 32))['output']
    assert out.shape == (1, 3, 32, 32) and torch.isfinite(out.float()).all()


# -- discriminator ----------------------------------------------------------------------

def test_discriminator_count_and_features():
    d = DISCRIMINATORS.build(dict(type='NLayerDiscriminator'))
    assert _count(d) == DISCRIMINATOR_PARAMS
    tiny = DISCRIMINATORS.build(dict(type='NLayerDiscriminator', base_channels=4,
                                     num_layers=3, with_mask=True))
    logits, feats = tiny.forward_with_features(torch.randn(2, 3, 64, 64),
                                               torch.zeros(2, 1, 64, 64))
    assert len(feats) == 4 and logits.shape[:2] == (2, 1)
    assert [f.shape[1] for f in feats] == [4, 8, 16, 32]


# -- losses ---------------------------------------------------------------------------------

def test_r1_penalty_of_a_linear_discriminator():
    loss = LOSSES.build(dict(type='NonSaturatingR1Loss', r1_weight=0.5))
    w = torch.randn(3, 4, 4, requires_grad=True)              # D's parameters
    # the loss's own discriminator terms carry the penalty on the real images
    terms, _ = loss.discriminator_terms(lambda x: (x * w).sum(dim=(1, 2, 3)),
                                        torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4),
                                        dict(mask=torch.zeros(2, 1, 4, 4)))
    torch.testing.assert_close(terms['loss_d_penalty'], 0.5 * w.detach().pow(2).sum())
    real = torch.randn(2, 3, 4, 4, requires_grad=True)
    logits = (real * w).sum(dim=(1, 2, 3))                    # dD/dx = w for every sample
    penalty = loss.real_penalty(real, logits)
    torch.testing.assert_close(penalty, 0.5 * w.pow(2).sum())
    penalty.backward()                                        # create_graph: reaches D
    torch.testing.assert_close(w.grad, 2 * 0.5 * w.detach())
    with pytest.raises(ValueError, match='require'):
        loss.real_penalty(real.detach(), logits.detach())
    # the logistic terms are the basic plugin's
    fake = torch.zeros(2, 1)
    torch.testing.assert_close(loss.generator_loss(fake), torch.tensor(np.log(2.0)).float())


@pytest.mark.parametrize('kind', ['l1', 'l2'])
def test_feature_matching_loss(kind):
    loss = LOSSES.build(dict(type='DiscriminatorFeatureMatchingLoss', kind=kind))
    real = [torch.zeros(1, 2, 4, 4), torch.zeros(1, 3, 2, 2)]
    fake = [torch.full((1, 2, 4, 4), 2.0), torch.full((1, 3, 2, 2), 1.0)]
    expected = (4.0 + 1.0) / 2 if kind == 'l2' else (2.0 + 1.0) / 2
    assert float(loss(fake, real)) == pytest.approx(expected)
    with pytest.raises(ValueError):
        loss(fake[:1], real)


@pytest.mark.parametrize('cfg', [
    dict(backbone='timm:resnet18', output_stride=8, layers=(1, 2, 3, 4)),
    dict(backbone='vgg19', layers=(3, 8)),
])
def test_perceptual_loss_with_random_backbones(cfg):
    torch.manual_seed(0)
    loss = LOSSES.build(dict(type='HRFPerceptualLoss', pretrained=False, **cfg)).train()
    assert not loss.net.training and not any(p.requires_grad for p in loss.net.parameters())
    target = torch.rand(1, 3, 32, 32) * 2 - 1
    pred = (target + 0.2 * torch.randn_like(target)).requires_grad_(True)
    mask = torch.zeros(1, 1, 32, 32)
    value = loss(pred, target, mask)
    assert float(loss(target, target, mask)) == 0.0 and float(value) > 0
    value.backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0


def test_perceptual_loss_offline_fails_fast_naming_the_file(empty_caches):
    for backbone, name in (('vgg19', 'vgg19-dcbb9e9d.pth'), ('timm:resnet50', 'resnet50')):
        start = time.monotonic()
        with pytest.raises(WeightsNotFoundError, match=name):
            LOSSES.build(dict(type='HRFPerceptualLoss', backbone=backbone, pretrained=True))
        assert time.monotonic() - start < 10
    with pytest.raises(ValueError, match='backbone must be'):
        LOSSES.build(dict(type='HRFPerceptualLoss', backbone='resnet50', pretrained=False))


def test_full_training_step_with_every_lama_loss():
    torch.manual_seed(0)
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    from toolbox.testing import tiny_batch
    model = MODELS.build(dict(
        type='GANInpaintor', generator=_tiny_generator(),
        discriminator=dict(type='NLayerDiscriminator', base_channels=8, num_layers=2),
        losses=[dict(type='L1Loss', hole_weight=0.0, valid_weight=1.0, loss_weight=10.0),
                dict(type='HRFPerceptualLoss', backbone='timm:resnet18', pretrained=False,
                     layers=(1, 2), loss_weight=30.0),
                dict(type='DiscriminatorFeatureMatchingLoss', loss_weight=100.0),
                dict(type='NonSaturatingR1Loss', loss_weight=10.0, r1_weight=0.001)]))
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=1e-3)),
        discriminator=OptimWrapper(torch.optim.Adam(model.discriminator.parameters(), lr=1e-4)))
    batch = tiny_batch(size=32)
    gt = ((batch['gt'] + 1) * 127.5).round().byte()
    log = model.train_step(dict(inputs=dict(gt=list(gt), mask=list(batch['mask'].byte()))),
                           optim)
    for key in ('loss_d', 'loss_d_penalty', 'loss_L1Loss_output',
                'loss_HRFPerceptualLoss_output', 'loss_DiscriminatorFeatureMatchingLoss',
                'loss_g_adv', 'loss_g'):
        assert key in log and np.isfinite(log[key]), key
    assert log['loss_d_penalty'] > 0



def test_mask_as_fake_target_labels_patches_by_the_hole():
    loss = LOSSES.build(dict(type='NonSaturatingR1Loss', mask_as_fake_target=True))
    real = torch.zeros(1, 1, 2, 2)
    fake = torch.tensor([[[[2.0, -1.0], [0.5, 3.0]]]])
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., 1, 2] = 1                                       # one pixel, top-left cell
    sp = F.softplus
    expected = sp(-real).mean() + (sp(fake[..., 0, 0]) + sp(-fake[..., 0, 1])
                                   + sp(-fake[..., 1, 0]) + sp(-fake[..., 1, 1])).sum() / 4
    torch.testing.assert_close(loss.discriminator_loss(real, fake, mask=mask), expected)
    # without the option every fake patch is fake; the generator's term ignores the mask
    plain = LOSSES.build(dict(type='NonSaturatingR1Loss'))
    torch.testing.assert_close(plain.discriminator_loss(real, fake, mask=mask),
                               sp(-real).mean() + sp(fake).mean())
    torch.testing.assert_close(loss.generator_loss(fake), sp(-fake).mean())
    with pytest.raises(ValueError, match='needs the hole mask'):
        loss.discriminator_loss(real, fake)
    # its discriminator terms read the mask from the batch
    no_r1 = LOSSES.build(dict(type='NonSaturatingR1Loss', mask_as_fake_target=True,
                              r1_weight=0))
    logits = iter([real, fake])                               # D(real), then D(fake)
    terms, _ = no_r1.discriminator_terms(lambda x: next(logits), torch.zeros(1, 3, 8, 8),
                                         torch.zeros(1, 3, 8, 8), dict(mask=mask))
    torch.testing.assert_close(terms['loss_d'], expected)


# -- configs and masks ----------------------------------------------------------------------

def test_configs_load_and_name_registered_components():
    from toolbox.apis.config import load_config
    fourier = load_config(CONFIGS['lama/fourier_places_256.py'])
    big = load_config(CONFIGS['lama/big_places_256.py'])
    assert fourier.model.generator.preset == 'lama-fourier'
    assert big.model.generator.preset == 'big-lama'
    weights = {l['type']: l['loss_weight'] for l in fourier.model.losses}
    assert weights == {'L1Loss': 10.0, 'HRFPerceptualLoss': 30.0,
                       'DiscriminatorFeatureMatchingLoss': 100.0, 'NonSaturatingR1Loss': 10.0}
    assert fourier.model.losses[0].hole_weight == 0.0
    assert fourier.model.losses[3].r1_weight == 0.001
    # as LaMa's training configs: D judges the raw output, known patches labelled real
    assert fourier.model.losses[3].mask_as_fake_target and fourier.model.disc_input == 'output'
    assert big.model.disc_input == 'output'
    assert fourier.train_dataloader.dataset.crop_size == 256


def test_config_mask_mix_draws_strokes_and_boxes():
    from toolbox.apis.config import load_config
    cfg = load_config(CONFIGS['lama/fourier_places_256.py'])
    gen = MASK_GENERATORS.build(cfg.train_dataloader.dataset.mask)
    rng = np.random.default_rng(0)
    masks = [gen((256, 256), rng) for _ in range(20)]
    assert all(m.shape == (256, 256) and m.dtype == np.uint8 for m in masks)
    assert 0.0 < np.mean([m.mean() for m in masks]) <= 0.5


def test_demo_config_builds_without_weights():
    from toolbox.apis.config import load_config
    cfg = load_config(CONFIGS['lama/demo.py'])
    model = MODELS.build(cfg.model)
    assert type(model.generator).__name__ == 'FFCResNetGenerator'
    out = model(dict(gt=torch.zeros(1, 3, 64, 64), mask=torch.zeros(1, 1, 64, 64)),
                mode='tensor')
    assert out['output'].shape == (1, 3, 64, 64)
