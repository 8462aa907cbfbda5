"""The options that make the toolbox's step LaMa's (``configs/lama/fourier_places_256_lama.py``,
measured against LaMa's own trainer by ``toolbox compare-training --peer-lama``): the
update order, the value range of the L1 and R1 terms, the nearest-pixel fake target, and
ResNet-PL's ADE20k backbone with its batch-norm mode."""
from __future__ import annotations

import copy
import os.path as osp
import time

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper, OptimWrapperDict

from toolbox.plugins import load_plugins
from toolbox.registry import LOSSES, MODELS
from toolbox.weights import WeightsNotFoundError

load_plugins()
CONFIGS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')


def _data(size=32, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    gt = torch.randint(0, 256, (batch, 3, size, size), generator=g, dtype=torch.uint8)
    mask = torch.zeros(batch, 1, size, size, dtype=torch.uint8)
    mask[:, :, size // 4:size // 2, size // 4:3 * size // 4] = 1
    return {'inputs': {'gt': list(gt), 'mask': list(mask)}, 'data_samples': None}


def _optim(model, lr=1e-2):
    return OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=lr)),
        discriminator=OptimWrapper(torch.optim.Adam(model.discriminator.parameters(), lr=lr)))


def _gan(update_order):
    from toolbox.models.inpaintor import GANInpaintor
    torch.manual_seed(0)
    return MODELS.build(dict(type='GANInpaintor', **GANInpaintor.tiny_cfg,
                             update_order=update_order)).train()


def _fake(model, batch):
    from toolbox.models.inpaintor import composite
    with torch.no_grad():
        return composite(model.run_generator(batch)['output'], batch['gt'], batch['mask'])


@pytest.mark.parametrize('order', ['discriminator_first', 'generator_first'])
def test_the_update_order_decides_which_generator_output_the_discriminator_judges(order):
    model, data = _gan(order), _data()
    batch = model.data_preprocessor(data, True)
    before = _fake(model, batch)
    seen, calls = [], []
    step, forward = model.discriminator_step, model.generator.forward

    def spy(disc, batch, judged, optim, i):
        seen.append(judged.detach().clone())
        return step(disc, batch, judged, optim, i)
    model.discriminator_step = spy
    model.generator.forward = lambda *a, **k: (calls.append(1), forward(*a, **k))[1]
    log = model.train_step(data, _optim(model))
    model.generator.forward = forward
    after = _fake(model, batch)
    assert not torch.allclose(before, after, atol=1e-4)     # the generator did move
    # LaMa's order: D judges the updated generator's output (a second forward);
    # the default: the output before the generator's update (one forward)
    expected, other = (after, before) if order == 'generator_first' else (before, after)
    assert torch.allclose(seen[0], expected, atol=1e-6)
    assert not torch.allclose(seen[0], other, atol=1e-4)
    assert len(calls) == (2 if order == 'generator_first' else 1)
    assert {'loss_d', 'loss_g'} <= set(log)


def test_an_unknown_update_order_is_refused_naming_the_values():
    with pytest.raises(ValueError, match="update_order must be 'discriminator_first' or "
                                         "'generator_first', got 'lama'"):
        _gan('lama')


def _lama_config():
    cfg = Config.fromfile(osp.join(CONFIGS, 'lama/fourier_places_256_lama.py'))
    model = cfg.model.to_dict()
    model['generator'].update(preset=None, base_channels=8, num_blocks=1)
    model['discriminator'].update(base_channels=8, num_layers=2)
    model['losses'][1]['pretrained'] = False
    return cfg, model


def test_the_lama_config_trains_as_lamas_trainer():
    cfg, model = _lama_config()
    assert model['update_order'] == 'generator_first'
    assert model['generator']['value_range'] == model['discriminator']['value_range'] == '[0,1]'
    adv, pl = model['losses'][3], model['losses'][1]
    assert (adv['mask_sampling'], adv['loss_weight']) == ('nearest', 10.0)
    assert (pl['backbone'], pl['backbone_mode'], pl['loss_weight']) == \
        ('ade20k:resnet50dilated', 'train', 30.0)
    for key in ('generator', 'discriminator'):
        assert cfg.optim_wrapper[key].clip_grad == dict(max_norm=1.0)   # gradient_clip_val 1
    assert (cfg.optim_wrapper.generator.optimizer.lr,
            cfg.optim_wrapper.discriminator.optimizer.lr) == (1e-3, 1e-4)
    built = MODELS.build(model).train()
    assert built.update_order == 'generator_first'
    assert built.objective.rec[1].net.training      # backbone_mode='train' survives .train()
    log = built.train_step(_data(size=32), _optim(built, lr=1e-4))
    assert all(torch.isfinite(torch.tensor(v)) for v in log.values())


def test_the_lama_configs_l1_and_r1_are_lamas_weights_on_0_1_images():
    """LaMa: 10 * mean(|pred - img| * (1 - mask)) and 0.001 * R1 on [0, 1] images; the
    config's 5 and 0.004 on [-1, 1] images must give the same numbers."""
    _, cfg = _lama_config()
    model = MODELS.build(cfg).train()
    batch = model.data_preprocessor(_data(size=32), True)
    gt, mask = batch['gt'], batch['mask']
    torch.manual_seed(1)
    out = torch.rand_like(gt) * 2 - 1
    l1 = model.objective.reconstruction_terms({'output': out}, gt, mask)['loss_L1Loss_output']
    u_out, u_gt = (out + 1) / 2, (gt + 1) / 2
    assert float(l1) == pytest.approx(float(10 * ((u_out - u_gt).abs() * (1 - mask)).mean()),
                                      rel=1e-6)
    disc = model.discriminator
    terms, _ = model.objective.discriminator_terms(disc, gt, out, batch)
    raw = copy.deepcopy(disc)
    raw.value_range = '[-1,1]'                  # the same weights, fed [0, 1] images as is
    u = u_gt.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(raw(u, mask).sum(), u)
    lama_r1 = 0.001 * (grad.flatten(1).norm(dim=1) ** 2).mean()
    assert float(terms['loss_d_penalty'].detach()) == pytest.approx(float(lama_r1), rel=1e-5)


def test_nearest_mask_sampling_labels_each_logit_by_the_pixel_under_it():
    # one hole pixel at (1, 1) of 8x8: nearest sampling to 4x4 reads pixels 0, 2, 4, 6
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., 1, 1] = 1
    real, fake = torch.zeros(1, 1, 4, 4), torch.linspace(-2, 2, 16).view(1, 1, 4, 4)
    nearest = LOSSES.build(dict(type='NonSaturatingR1Loss', mask_as_fake_target=True,
                                mask_sampling='nearest'))
    default = LOSSES.build(dict(type='NonSaturatingR1Loss', mask_as_fake_target=True))
    every_real = F.softplus(-real).mean() + F.softplus(-fake).mean()
    assert torch.allclose(nearest.discriminator_loss(real, fake, mask=mask), every_real)
    hole = torch.zeros(1, 1, 4, 4)
    hole[..., 0, 0] = 1
    any_pixel = F.softplus(-real).mean() + (hole * F.softplus(fake)
                                            + (1 - hole) * F.softplus(-fake)).mean()
    assert torch.allclose(default.discriminator_loss(real, fake, mask=mask), any_pixel)
    with pytest.raises(ValueError, match="mask_sampling must be 'any' or 'nearest'"):
        LOSSES.build(dict(type='NonSaturatingR1Loss', mask_sampling='bilinear'))


def test_the_ade20k_backbone_has_lamas_resnet50dilated_layout():
    torch.manual_seed(0)
    loss = LOSSES.build(dict(type='HRFPerceptualLoss', backbone='ade20k:resnet50dilated',
                             pretrained=False))
    # torchvision's ResNet-50 without fc (23,508,032) with the deep stem (3x3 convolutions
    # 3->64->64->128 and their BNs: +103,296) and 128 channels into layer1 (+20,480)
    assert sum(p.numel() for p in loss.net.parameters()) == 23_631_808
    state = loss.ade20k_state_dict()
    assert [tuple(state[f'conv{i}.weight'].shape) for i in (1, 2, 3)] == \
        [(64, 3, 3, 3), (64, 64, 3, 3), (128, 64, 3, 3)]
    assert tuple(state['bn3.weight'].shape) == (128,)
    assert tuple(state['layer1.0.conv1.weight'].shape) == (64, 128, 1, 1)
    net = loss.net
    assert [net.layer3[0].conv2.dilation, net.layer3[1].conv2.dilation,
            net.layer4[0].conv2.dilation, net.layer4[1].conv2.dilation] == \
        [(1, 1), (2, 2), (2, 2), (4, 4)]
    feats = loss.features(torch.zeros(1, 3, 64, 64))
    assert [tuple(f.shape[1:]) for f in feats] == [(256, 16, 16), (512, 8, 8),
                                                   (1024, 8, 8), (2048, 8, 8)]


def test_the_ade20k_backbone_loads_its_file_and_gives_the_same_weights(tmp_path):
    torch.manual_seed(0)
    source = LOSSES.build(dict(type='HRFPerceptualLoss', backbone='ade20k:resnet50dilated',
                               pretrained=False))
    path = tmp_path / 'encoder_epoch_20.pth'
    torch.save(source.ade20k_state_dict(), path)
    loaded = LOSSES.build(dict(type='HRFPerceptualLoss', backbone='ade20k:resnet50dilated',
                               weights=str(tmp_path)))
    for key, value in source.net.state_dict().items():
        assert torch.equal(value, loaded.net.state_dict()[key]), key
    torch.save({'fc.weight': torch.zeros(1)}, tmp_path / 'other.pth')
    with pytest.raises(ValueError, match='not an ADE20k resnet50dilated encoder'):
        LOSSES.build(dict(type='HRFPerceptualLoss', backbone='ade20k:resnet50dilated',
                          weights=str(tmp_path / 'other.pth')))


def test_the_ade20k_backbone_finds_the_file_where_lamas_readme_puts_it(tmp_path,
                                                                         monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    torch.manual_seed(3)
    source = LOSSES.build(dict(type='HRFPerceptualLoss', backbone='ade20k:resnet50dilated',
                               pretrained=False))
    folder = tmp_path / 'ade20k' / 'ade20k-resnet50dilated-ppm_deepsup'
    folder.mkdir(parents=True)
    torch.save(source.ade20k_state_dict(), folder / 'encoder_epoch_20.pth')
    loaded = LOSSES.build(dict(type='HRFPerceptualLoss', backbone='ade20k:resnet50dilated'))
    assert torch.equal(loaded.net.state_dict()['conv1.0.weight'],
                       source.net.state_dict()['conv1.0.weight'])


def test_the_ade20k_backbone_fails_fast_offline_naming_the_file(empty_caches):
    tmp_path = empty_caches
    start = time.monotonic()
    with pytest.raises(WeightsNotFoundError) as info:
        LOSSES.build(dict(type='HRFPerceptualLoss', backbone='ade20k:resnet50dilated'))
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert 'encoder_epoch_20.pth' in message and str(tmp_path / 'torch') in message
    assert 'ade20k-resnet50dilated-ppm_deepsup/encoder_epoch_20.pth' in message   # the URL
    assert '\n' not in message


@pytest.mark.parametrize('mode', ['eval', 'train'])
def test_backbone_mode_decides_whether_the_loss_network_normalises_per_batch(mode):
    torch.manual_seed(0)
    loss = LOSSES.build(dict(type='HRFPerceptualLoss', backbone='timm:resnet18',
                             pretrained=False, output_stride=None, layers=(1,),
                             backbone_mode=mode)).train()
    assert loss.net.training == (mode == 'train')
    before = loss.net.state_dict()['bn1.running_mean'].clone()
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    loss(x, x.flip(0), torch.zeros(2, 1, 32, 32))
    moved = not torch.equal(before, loss.net.state_dict()['bn1.running_mean'])
    assert moved == (mode == 'train')
