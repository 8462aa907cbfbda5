"""DMFN plugin: Table 2's parameter counts, the losses on known inputs, a training step."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from tests.utils import REPO
from toolbox.crops import hole_boxes
from toolbox.registry import DISCRIMINATORS, GENERATORS, LOSSES, MODELS
from toolbox_plugins.dmfn.discriminator import crop_boxes
from toolbox_plugins.dmfn.dmfb import DMFB
from toolbox_plugins.dmfn.losses import feature_centres

pytestmark = pytest.mark.filterwarnings('ignore::UserWarning')


def n_params(module):
    return sum(p.numel() for p in module.parameters())


# -- Table 2 -------------------------------------------------------------------------------
@pytest.mark.parametrize('combination, expected', [
    ('dense', 471_808),    # DMFB
    ('sum', 361_024),      # w/o K_i
    ('none', 361_024),     # w/o combination
])
def test_dmfb_parameter_counts_match_table_2(combination, expected):
    assert n_params(DMFB(256, 64, (1, 2, 4, 8), combination)) == expected


def test_dmfb_shape_and_residual():
    block = DMFB(32, 8)
    x = torch.randn(2, 32, 12, 12)
    assert block(x).shape == x.shape
    with torch.no_grad():
        block.fuse.weight.zero_()
        block.fuse.bias.zero_()
    assert torch.equal(block(x), x)     # IN of a zero map is zero: only the residual left


def test_generator_and_discriminator_defaults():
    gen = GENERATORS.build(dict(type='DMFNGenerator'))
    assert n_params(gen.blocks) == 8 * 471_808
    assert n_params(gen) == 5_729_411
    disc = DISCRIMINATORS.build(dict(type='DMFNDiscriminator', sn_init_iters=0))
    assert n_params(disc) == 36_666_113
    assert len(disc.global_layers) == 6 and len(disc.local_layers) == 5


def test_generator_tiny_output():
    gen = GENERATORS.build(dict(type='DMFNGenerator', base_channels=8, num_blocks=1))
    out = gen(torch.zeros(1, 3, 16, 24), torch.zeros(1, 1, 16, 24))['output']
    assert out.shape == (1, 3, 16, 24) and out.abs().max() <= 1
    with pytest.raises(ValueError, match='multiples of 4'):
        gen(torch.zeros(1, 3, 18, 24), torch.zeros(1, 1, 18, 24))


# -- local crop ----------------------------------------------------------------------------
def test_hole_boxes_and_exact_centre_crop():
    mask = torch.zeros(2, 1, 16, 16)
    mask[0, :, 4:12, 4:12] = 1
    mask[1, :, 2:5, 7:15] = 1
    boxes = hole_boxes(mask)
    assert boxes.tolist() == [[4, 4, 12, 12], [7, 2, 15, 5]]
    assert hole_boxes(torch.zeros(1, 1, 8, 6)).tolist() == [[0, 0, 6, 8]]
    image = torch.randn(2, 3, 16, 16)
    crop = crop_boxes(image, boxes, 8)
    assert torch.allclose(crop[0], image[0, :, 4:12, 4:12], atol=1e-6)


def test_discriminator_features_and_size_check():
    disc = DISCRIMINATORS.build(dict(type='DMFNDiscriminator', image_size=32, local_size=16,
                                     base_channels=4))
    mask = torch.zeros(2, 1, 32, 32)
    mask[:, :, 8:24, 8:24] = 1
    logits, feats = disc.forward_with_features(torch.randn(2, 3, 32, 32), mask)
    assert logits.shape == (2, 1)
    assert [f.shape[1:] for f in feats] == [(4, 8, 8), (8, 4, 4)]
    with pytest.raises(ValueError, match='built for 32x32'):
        disc(torch.randn(2, 3, 64, 64), torch.zeros(2, 1, 64, 64))


# -- losses ------------------------------------------------------------------------------
def test_self_guided_loss_hand_computed():
    loss = LOSSES.build(dict(type='SelfGuidedRegressionLoss', pretrained=False,
                             layer_weights=(1.0, 1.0)))
    # Known "features": the image itself and its 2x2 average (relu1_1, relu2_1 resolutions).
    loss.features = lambda x: [x, F.avg_pool2d(x, 2)]
    target = torch.zeros(1, 3, 4, 4)
    pred = torch.zeros(1, 3, 4, 4)
    pred[..., 0, 0] = 1.0
    pred[..., 0, 1] = 0.5
    mask = torch.ones(1, 1, 4, 4)
    # error map: 1 at (0,0), 0.25 at (0,1), 0 elsewhere; min 0, max 1 -> guidance the same.
    # level 1: per channel 1 * 1 + 0.25 * 0.5 = 1.125; 3 channels over 48 elements.
    # level 2: pooled feature 0.375, pooled guidance 0.3125 in one cell; 3 x 0.1171875 / 12.
    expected = 3 * 1.125 / 48 + 3 * 0.375 * 0.3125 / 12
    assert float(loss(pred, target, mask)) == pytest.approx(expected, rel=1e-6)
    # composite=True: nothing outside the hole counts
    assert float(loss(pred, target, torch.zeros(1, 1, 4, 4))) == 0.0


def test_self_guided_guidance_is_min_max_normalised():
    out = torch.rand(2, 3, 8, 8)
    guide = LOSSES.get('SelfGuidedRegressionLoss').guidance(out, torch.zeros_like(out))
    assert guide.shape == (2, 1, 8, 8)
    assert torch.allclose(guide.amin(dim=(2, 3)), torch.zeros(2, 1))
    assert torch.allclose(guide.amax(dim=(2, 3)), torch.ones(2, 1))


def test_self_guided_real_vgg_zero_for_identical_and_has_gradient():
    loss = LOSSES.build(dict(type='SelfGuidedRegressionLoss', pretrained=False))
    target = torch.rand(1, 3, 16, 16) * 2 - 1
    mask = torch.ones(1, 1, 16, 16)
    assert float(loss(target, target, mask)) == 0.0
    pred = (target + 0.2 * torch.randn_like(target)).requires_grad_(True)
    value = loss(pred, target, mask)
    value.backward()
    assert value > 0 and pred.grad.abs().sum() > 0
    assert not list(loss.parameters()) and not loss.state_dict()   # VGG stays outside


def blob(shift: int, size: int = 64) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing='ij')
    g = torch.exp(-((ys - 24.0) ** 2 + (xs - 24.0 - shift) ** 2) / (2 * 6.0 ** 2))
    return (g * 2 - 1).expand(1, 3, size, size).contiguous()


def test_feature_centres():
    r = torch.zeros(1, 2, 4, 4)
    r[0, 0, 1, 3] = 5.0
    c = feature_centres(r)
    assert torch.allclose(c[0, 0], torch.tensor([1.5 / 4, 3.5 / 4]), atol=1e-5)
    assert torch.allclose(c[0, 1], torch.tensor([0.5, 0.5]))   # no response: the middle


def test_alignment_loss_scale_and_released_y_map_on_known_maps():
    # Channel 0: the response moves 2 columns, channel 1: 3 rows, on 4 x 4 maps.
    fake, real = torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 4)
    fake[0, 0, 1, 2] = real[0, 0, 1, 0] = 1.0
    fake[0, 1, 0, 0] = real[0, 1, 3, 0] = 1.0
    pred, target, mask = torch.zeros(1, 3, 8, 8), torch.ones(1, 3, 8, 8), torch.ones(1, 1, 8, 8)

    def value(**kwargs):
        loss = LOSSES.build(dict(type='GeometricalAlignmentLoss', pretrained=False,
                                 composite=False, **kwargs))
        loss.features = lambda x: [fake] if x is pred else [real]
        return float(loss(pred, target, mask))

    # [0, 1]: column shift 2/4, row shift 3/4 -> mean of (0, 0.25, 0.5625, 0) squared terms
    unit = value()
    assert unit == pytest.approx((0.5 ** 2 + 0.75 ** 2) / 4, rel=1e-4)
    # [-1, 1) as the released code: shifts doubled, the loss 4x
    signed = value(coordinates='signed')
    assert signed == pytest.approx((1.0 ** 2 + 1.5 ** 2) / 4, rel=1e-4)
    assert signed / unit == pytest.approx(4.0, rel=1e-6)
    # The released y-map is its x-map: the column shift counts twice, the row shift not at all
    assert value(coordinates='signed', columns_twice=True) == pytest.approx(2 * 1.0 / 4,
                                                                            rel=1e-4)
    assert value(reduction='sum', coordinates='signed') == pytest.approx(4 * signed, rel=1e-6)
    with pytest.raises(ValueError, match='coordinates'):
        value(coordinates='pixels')
    with pytest.raises(ValueError, match='columns_twice'):
        value(columns_twice='yes')


def test_paris_config_weighs_alignment_as_the_authors():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'dmfn', 'paris_256.py'))
    align = [l for l in cfg.model.losses if l.type == 'GeometricalAlignmentLoss']
    assert len(align) == 1
    assert align[0].loss_weight == 1.0 and align[0].coordinates == 'signed'
    assert not align[0].get('columns_twice', False)
    assert [l.type for l in cfg.model.losses].count('RelativisticAverageGANLoss') == 1


def test_alignment_loss_zero_for_identical_and_grows_with_shift():
    torch.manual_seed(0)
    loss = LOSSES.build(dict(type='GeometricalAlignmentLoss', pretrained=False,
                             layer='relu3_1'))
    mask = torch.ones(1, 1, 64, 64)
    assert float(loss(blob(0), blob(0), mask)) == 0.0
    values = [float(loss(blob(s), blob(0), mask)) for s in (2, 6, 12)]
    assert 0 < values[0] < values[1] < values[2]


def test_vgg_feature_matching_and_disc_feature_matching():
    loss = LOSSES.build(dict(type='VGGFeatureMatchingLoss', pretrained=False))
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    mask = torch.ones(1, 1, 32, 32)
    assert float(loss(x, x, mask)) == 0.0 and float(loss(-x, x, mask)) > 0
    fm = LOSSES.build(dict(type='DMFNFeatureMatchingLoss'))
    real = [torch.zeros(1, 10, 2, 2)]
    fake = [torch.ones(1, 10, 2, 2)]
    assert float(fm(fake, real)) == pytest.approx(1e3 / 100)


def test_pretrained_vgg_fails_fast_offline(empty_caches):
    from toolbox.weights import WeightsNotFoundError
    with pytest.raises(WeightsNotFoundError, match='vgg19-dcbb9e9d.pth'):
        LOSSES.build(dict(type='VGGFeatureMatchingLoss', pretrained=True,
                          vgg_weights=None))


# -- training ----------------------------------------------------------------------------
def test_train_step_64():
    from mmengine.optim import OptimWrapper, OptimWrapperDict
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='DMFNGenerator', base_channels=8, num_blocks=1),
        discriminator=dict(type='DMFNDiscriminator', image_size=64, local_size=32,
                           base_channels=8),
        losses=[dict(type='L1Loss', hole_weight=1.0, valid_weight=0.0),
                dict(type='SelfGuidedRegressionLoss', loss_weight=25.0, pretrained=False),
                dict(type='VGGFeatureMatchingLoss', loss_weight=25.0, pretrained=False),
                dict(type='GeometricalAlignmentLoss', loss_weight=1.0, pretrained=False),
                dict(type='DMFNFeatureMatchingLoss', loss_weight=5.0),
                dict(type='NonSaturatingGANLoss', loss_weight=0.003)])).train()
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=1e-4)),
        discriminator=OptimWrapper(torch.optim.Adam(model.discriminator.parameters(),
                                                    lr=1e-4)))
    gt = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)
    mask = torch.zeros(2, 1, 64, 64, dtype=torch.uint8)
    mask[..., 16:48, 16:48] = 1
    before = [p.detach().clone() for p in model.generator.parameters()]
    log = model.train_step(dict(inputs=dict(gt=list(gt), mask=list(mask))), optim)
    for key in ('loss_d', 'loss_g', 'loss_SelfGuidedRegressionLoss_output',
                'loss_GeometricalAlignmentLoss_output', 'loss_DMFNFeatureMatchingLoss',
                'loss_g_adv'):
        assert key in log and log[key] == log[key], key      # present and not NaN
    assert any(not torch.equal(a, b) for a, b in zip(before, model.generator.parameters()))
