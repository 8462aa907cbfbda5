"""LBAM (plugins/lbam): counts, the attention maps and losses against the paper's formulas
by hand, the official key layout, the configs, and the demo through the tools."""
import math
import os.path as osp
import time

import pytest
import torch
import torch.nn.functional as F

from toolbox.registry import DISCRIMINATORS, GENERATORS, LOSSES, MODELS
from tests.utils import REPO

PAPER = osp.join(REPO, 'configs/lbam/paris_256.py')
RELEASED = osp.join(REPO, 'configs/lbam/paris_256_released.py')
DEMO = 'configs/lbam/demo.py'


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


# -- the counts of the official code (Vious/LBAM_Pytorch b929244, default options) ----------
def test_parameter_counts_equal_the_official_code():
    assert _count(GENERATORS.build(dict(type='LBAMGenerator'))) == 68_304_948
    assert _count(DISCRIMINATORS.build(dict(type='LBAMDiscriminator'))) == 22_316_417
    # the paper's batch norm: 2 x (128 + 256 + 4 x 512) in the encoder and 2 x (2 x 64 +
    # 2 x 128 + 2 x 256 + 3 x 2 x 512) in the decoder (each over skip + up-sampled channels)
    bn = _count(GENERATORS.build(dict(type='LBAMGenerator', batch_norm=True)))
    assert bn - 68_304_948 == 2 * (128 + 256 + 4 * 512) + 2 * (128 + 256 + 512 + 3 * 1024)


# -- the attention maps, by hand --------------------------------------------------------------
def test_asymmetric_gaussian_is_the_papers_formula():
    from toolbox_plugins.lbam.attention import AsymmetricGaussian
    g = AsymmetricGaussian()                         # a, mu, gamma_l, gamma_r = 1.1, 2, 1, 1
    x = torch.tensor([1.0, 2.0, 3.0, 0.0])
    expected = [1.1 * math.exp(-1), 1.1, 1 + 0.1 * math.exp(-1), 1.1 * math.exp(-4)]
    assert torch.allclose(g(x), torch.tensor(expected))
    # the left branch (a exp) below mu, the right one (1 + (a - 1) exp) from mu on
    g2 = AsymmetricGaussian(init=(2.0, 1.0, 0.5, 2.0))
    assert torch.allclose(g2(torch.tensor([0.0, 2.0])),
                          torch.tensor([2 * math.exp(-0.5), 1 + math.exp(-2)]))
    assert {n for n, _ in g.named_parameters()} == {'a', 'mu', 'gamma_l', 'gamma_r'}


def test_clamp_modes_and_reverse_init():
    from toolbox_plugins.lbam.attention import AsymmetricGaussian
    x = torch.tensor([2.5])
    outputs = {}
    for mode in ('values', 'inplace', 'none'):
        g = AsymmetricGaussian(init=(7.5, 2.0, 1.0, 1.0), clamp=mode)   # a beyond 6
        outputs[mode] = g(x)
        outputs[mode + '_a'] = g.a.item()
    bounded = 1 + 5.0 * math.exp(-0.25)
    assert outputs['values'].item() == pytest.approx(bounded)
    assert outputs['values_a'] == 7.5                          # the parameter is untouched
    assert outputs['inplace'].item() == pytest.approx(bounded)
    assert outputs['inplace_a'] == 6.0                         # the official projection
    assert outputs['none'].item() == pytest.approx(1 + 6.5 * math.exp(-0.25))
    with pytest.raises(ValueError, match='clamp'):
        AsymmetricGaussian(clamp='sometimes')
    paper = GENERATORS.build(dict(type='LBAMGenerator', base_channels=4, num_layers=3))
    released = GENERATORS.build(dict(type='LBAMGenerator', base_channels=4, num_layers=3,
                                     reverse_init='released'))
    for net, reverse in ((paper, (1.1, 2.0, 1.0, 1.0)), (released, (1.1, 1.0, 0.5, 0.5))):
        for layer, init in ((net.encoder[1], (1.1, 2.0, 1.0, 1.0)), (net.reverse[1], reverse)):
            att = layer.attention
            assert [float(p) for p in (att.a, att.mu, att.gamma_l, att.gamma_r)] == \
                pytest.approx(init)


def test_forward_attention_layer_and_mask_update_by_hand():
    from toolbox_plugins.lbam.attention import ForwardAttentionConv, mask_update
    assert torch.allclose(mask_update(torch.tensor([-1.0, 0.0, 0.5, 2.0]), 0.8),
                          torch.tensor([0.0, 0.0, 0.5 ** 0.8, 2 ** 0.8]))
    torch.manual_seed(0)
    layer = ForwardAttentionConv(2, 3, 2, alpha=0.8, batch_norm=False)
    x, m = torch.randn(1, 2, 8, 8), (torch.rand(1, 2, 8, 8) > 0.3).float()
    out, m_next, pre, attention = layer(x, m)
    conv = F.conv2d(x, layer.conv.weight, stride=2, padding=1)
    mc = F.conv2d(m, layer.mask_conv.weight, stride=2, padding=1)
    bell = torch.exp(-(mc - 2) ** 2)
    g_a = torch.where(mc < 2.0, 1.1 * bell, 1 + 0.1 * bell)
    assert torch.allclose(pre, conv) and torch.allclose(attention, g_a)
    assert torch.allclose(out, F.leaky_relu(conv * g_a, 0.2))
    assert torch.allclose(m_next, mc.clamp(min=0) ** 0.8)


def test_decoder_weights_skip_and_upsampled_features_by_forward_and_reverse_maps():
    from toolbox_plugins.lbam.attention import ReverseAttentionDeconv
    torch.manual_seed(0)
    layer = ReverseAttentionDeconv(4, 2, 3, batch_norm=False)
    skip, x = torch.randn(1, 3, 8, 8), torch.randn(1, 4, 4, 4)
    forward_map, reverse_map = torch.rand(1, 3, 8, 8) * 2, torch.rand(1, 2, 8, 8) * 2
    out = layer(skip, x, torch.cat([forward_map, reverse_map], 1))
    up = F.conv_transpose2d(x, layer.deconv.weight, stride=2, padding=1)
    assert torch.allclose(out, F.leaky_relu(torch.cat([skip * forward_map, up * reverse_map], 1),
                                            0.2))


def test_generator_reads_the_hole_offset_and_checks_sizes():
    torch.manual_seed(0)
    gen = GENERATORS.build(dict(type='LBAMGenerator', base_channels=4, num_layers=3)).eval()
    black = GENERATORS.build(dict(type='LBAMGenerator', base_channels=4, num_layers=3,
                                  hole_offset=-1.0)).eval()
    black.load_state_dict(gen.state_dict())
    image, mask = torch.rand(1, 3, 16, 16) * 2 - 1, torch.zeros(1, 1, 16, 16)
    mask[..., 4:12, 4:12] = 1
    with torch.no_grad():
        assert torch.equal(black(image * (1 - mask), mask)['output'],
                           gen(image * (1 - mask) - mask, mask)['output'])
    with pytest.raises(ValueError, match='multiples of 8'):
        gen(torch.zeros(1, 3, 12, 12), torch.zeros(1, 1, 12, 12))


def test_discriminator_columns_read_the_known_region_and_the_hole():
    torch.manual_seed(0)
    disc = DISCRIMINATORS.build(dict(type='LBAMDiscriminator', base_channels=4,
                                     num_layers=4)).eval()
    image, mask = torch.rand(2, 3, 64, 64) * 2 - 1, torch.zeros(2, 1, 64, 64)
    mask[..., 16:48, 16:48] = 1
    other = image + mask * torch.randn_like(image)          # only the hole changes
    with torch.no_grad():
        assert torch.equal(disc.known_column(image * (1 - mask)),
                           disc.known_column(other * (1 - mask)))
        assert not torch.equal(disc(image, mask), disc(other, mask))
        scores = disc(image, mask)
    assert scores.shape == (2, 1) and bool(((scores > 0) & (scores < 1)).all())   # sigmoid
    with pytest.raises(ValueError, match='at least 64x64'):
        disc(torch.zeros(1, 3, 32, 32), torch.zeros(1, 1, 32, 32))


# -- the losses on known inputs ---------------------------------------------------------------
class _Identity(torch.nn.Module):
    """A stand-in 'VGG' with one feature map: the image itself."""

    def forward(self, x):
        return [x]


def test_perceptual_and_style_terms_by_hand():
    gt = torch.zeros(1, 3, 4, 4)
    pred = torch.full((1, 3, 4, 4), 0.5)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :, :2] = 1                                     # half the image is hole
    perc = LOSSES.build(dict(type='LBAMPerceptualLoss', pretrained=False))
    style = LOSSES.build(dict(type='LBAMStyleLoss', pretrained=False))
    for loss in (perc, style):
        object.__setattr__(loss, '_vgg', _Identity())
    # |out - gt| = 0.5 everywhere; the composite differs only in the hole (half)
    assert float(perc(pred, gt, mask)) == pytest.approx(0.5 + 0.25)
    # Gram of the constant 0.5 image: 0.25 * 16 / (3 * 16) in every entry; of the
    # composite: 0.25 * 8 / 48; of the ground truth 0
    assert float(style(pred, gt, mask)) == pytest.approx(0.25 / 3 + 0.25 / 6)


def test_wgan_terms_by_hand_with_the_papers_sign():
    loss = LOSSES.build(dict(type='LBAMWGANLoss', loss_weight=0.1, gp_weight=10.0))
    real_logits, fake_logits = torch.tensor([[0.9], [0.7]]), torch.tensor([[0.2], [0.4]])
    assert float(loss.discriminator_loss(real_logits, fake_logits)) == pytest.approx(0.3 - 0.8)
    # the generator raises D(fake): -mean D(fake) (the official code adds +mean D(fake))
    assert float(loss.generator_loss(fake_logits)) == pytest.approx(-0.3)
    # a linear judge has the gradient w at every interpolate: penalty (|w|_2 - 1)^2
    w = torch.full((1, 3, 2, 2), 0.5)                        # |w|_2 = sqrt(12 * 0.25)
    judge = lambda x: (x * w).flatten(1).sum(1, keepdim=True)   # noqa: E731
    real, fake = torch.randn(2, 3, 2, 2), torch.randn(2, 3, 2, 2)
    terms, log = loss.discriminator_terms(judge, real, fake, {'mask': torch.ones(2, 1, 2, 2)})
    assert float(terms['loss_gp']) == pytest.approx(10 * (math.sqrt(3) - 1) ** 2, rel=1e-5)
    assert float(terms['loss_d']) == pytest.approx(float(judge(fake).mean() - judge(real).mean()))
    g = loss.generator_terms(judge, fake, real, {})
    assert float(g) == pytest.approx(-float(judge(fake).mean()))


def test_pretrained_vgg_fails_fast_offline(empty_caches):
    from toolbox.weights import WeightsNotFoundError
    # built without the file (an inference-only use of the config needs none) ...
    loss = LOSSES.build(dict(type='LBAMStyleLoss', pretrained=True, vgg_weights=None))
    image, mask = torch.zeros(1, 3, 16, 16), torch.ones(1, 1, 16, 16)
    import torchvision.models  # noqa: F401  (imported by any training run already; slow cold)
    start = time.monotonic()
    # ... the first use fails at once, naming the file and where to put it
    with pytest.raises(WeightsNotFoundError, match=r'vgg16-397923af\.pth.*Put it in'):
        loss(image, image, mask)
    assert time.monotonic() - start < 1.0


def test_vgg_input_conventions():
    from toolbox.nn.vgg import FrozenVGG
    unit = FrozenVGG('vgg16', ('pool1',), pretrained=False, vgg_input='unit')
    assert torch.equal(unit.mean, torch.zeros(1, 3, 1, 1)) and torch.equal(unit.std,
                                                                          torch.ones(1, 3, 1, 1))
    # [-1, 1] -> [0, 1] as is: the first convolution sees (x + 1) / 2
    x = torch.rand(1, 3, 8, 8) * 2 - 1
    first = unit[0] if hasattr(unit, '__getitem__') else unit._modules['0']
    torch.testing.assert_close(unit(x, ['conv1_1'])[0], first((x + 1) / 2))
    with pytest.raises(ValueError, match='vgg_input'):
        FrozenVGG('vgg16', ('pool1',), pretrained=False, vgg_input='raw')
    with pytest.raises(ValueError, match='LBAMStyleLoss: vgg_input'):
        LOSSES.build(dict(type='LBAMStyleLoss', pretrained=False, vgg_input='raw'))


# -- the official key layout (tests/fixtures/weights/official_lbam_keys.txt) --------------------
def test_official_layout_maps_onto_every_key_and_shape():
    from tests.apis.test_convert import random_state, recorded_shapes
    from toolbox.apis import load_config
    from toolbox.apis.convert import convert_state_dict
    cfg = load_config(RELEASED)                # its VGG losses need no file until used
    model = MODELS.build(cfg.model)
    shapes = recorded_shapes('official_lbam_keys.txt')
    assert len(shapes) == 79 and sum(math.prod(s) for s in shapes.values()) == 68_304_948
    state = random_state(shapes)
    # the release has no discriminator: the config's own is kept (--no-discriminator)
    converted, notes = convert_state_dict('official-lbam', state, model,
                                          allow_missing_discriminator=True)
    generator = {k for k in model.state_dict() if k.startswith('generator.')}
    assert set(converted) >= generator
    pairs = [('generator.encoder.0.conv.weight', 'ec1.conv.conv.weight'),
             ('generator.encoder.6.attention.gamma_r', 'ec7.conv.activationFuncG_A.sigma2'),
             ('generator.reverse.0.mask_conv.weight', 'reverseConv1.reverseMaskConv.weight'),
             ('generator.reverse.5.attention.gamma_l', 'reverseConv6.activationFuncG_A.sigma1'),
             ('generator.decoder.5.deconv.weight', 'dc1.conv.weight'),     # the deepest
             ('generator.decoder.0.deconv.weight', 'dc6.conv.weight'),
             ('generator.to_rgb.weight', 'dc7.weight')]
    for ours, theirs in pairs:
        assert torch.equal(converted[ours], state[theirs]), ours
    # a DataParallel save ('module.' prefix) converts the same
    again, _ = convert_state_dict('official-lbam', {'module.' + k: v for k, v in state.items()},
                                  model, allow_missing_discriminator=True)
    assert all(torch.equal(again[k], converted[k]) for k in generator)


def test_tiny_gan_trains(one_thread):
    from toolbox.testing import check_model
    check_model('GANInpaintor', dict(
        generator=dict(type='LBAMGenerator', base_channels=4, num_layers=3, batch_norm=True),
        discriminator=dict(type='LBAMDiscriminator', base_channels=4, num_layers=4),
        losses=[dict(type='L1Loss', hole_weight=6.0),
                dict(type='LBAMPerceptualLoss', loss_weight=0.01, pretrained=False),
                dict(type='LBAMStyleLoss', loss_weight=120.0, pretrained=False),
                dict(type='LBAMWGANLoss', loss_weight=0.1)],
        disc_input='output'), size=64)


# -- configs and the demo ---------------------------------------------------------------------
def test_paper_and_released_configs():
    from toolbox.apis import load_config
    paper, released = load_config(PAPER), load_config(RELEASED)
    weights = {(c['type'], c.get('hole_weight')): c.get('loss_weight', 1.0)
               for c in paper.model.losses}
    assert weights == {('L1Loss', 6.0): 1.0, ('LBAMPerceptualLoss', None): 0.01,
                       ('LBAMStyleLoss', None): 120.0, ('LBAMWGANLoss', None): 0.1}
    assert paper.model.disc_input == 'output'
    g = paper.model.generator
    assert (g.batch_norm, g.reverse_init, g.clamp) == (True, 'paper', 'values')
    r = released.model.generator
    assert (r.batch_norm, r.reverse_init, r.hole_offset) == (False, 'released', -1.0)
    assert paper.optim_wrapper.discriminator.optimizer.betas == (0.0, 0.9)
