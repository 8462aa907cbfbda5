"""CSA (plugins/csa): counts, the Coherent Semantic Attention layer against a slow reference
loop, the losses against the paper's formulas by hand, the gradients the paper sends (and
the official code does not), the configs, and the demo through the tools."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from toolbox.registry import DISCRIMINATORS, GENERATORS, MODELS
from tests.utils import REPO

PAPER = osp.join(REPO, 'configs/csa/paris_256.py')
DEMO = 'configs/csa/demo.py'


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


# -- the counts of the official code (KumapowerLIU/CSA-inpainting f0b0712, train.ipynb's options)
def test_parameter_counts_equal_the_official_code():
    assert _count(GENERATORS.build(dict(type='CSARefinementNet'))) == 77_692_291
    assert _count(GENERATORS.build(dict(type='CSARoughNet'))) == 54_419_459
    assert _count(DISCRIMINATORS.build(dict(type='CSAPatchDiscriminator'))) == 2_766_529
    feature = DISCRIMINATORS.build(dict(type='CSAFeatureDiscriminator', pretrained=False))
    # 4x4 convolutions 256 -> 512 -> 512 -> 512 with biases; the instance norm has no affine
    assert _count(feature) == 16 * (256 * 512 + 2 * 512 * 512) + 3 * 512 == 10_487_296
    both = DISCRIMINATORS.build(dict(type='CSADiscriminator', feature=dict(pretrained=False)))
    assert _count(both) == 2_766_529 + 10_487_296
    gen = GENERATORS.build(dict(type='CSAGenerator'))
    assert _count(gen) == 77_692_291 + 54_419_459


# -- the CSA layer ----------------------------------------------------------------------------
def _reference(x, hole):
    """The layer written as the paper reads, one position and one known feature at a time."""
    b, c, h, w = x.shape
    out = x.clone()
    for s in range(b):
        feats = [x[s, :, i, j] for i in range(h) for j in range(w)]
        holes = [bool(hole[s, 0, i, j]) for i in range(h) for j in range(w)]
        known = [f for f, is_hole in zip(feats, holes) if not is_hole]
        if not known or all(not v for v in holes):
            continue
        prev = None
        for p, (f, is_hole) in enumerate(zip(feats, holes)):
            if not is_hole:
                continue
            scores = [float(f @ k) / (float(k.norm()) + 1e-8) for k in known]
            best = max(range(len(known)), key=lambda j: scores[j])   # the first maximum
            d_max, nearest = scores[best], known[best]
            if prev is None:
                new = nearest.clone()
            else:
                d_ad = float(prev @ f) / (float(f.norm()) + 1e-8)
                new = (d_ad * prev + d_max * nearest) / (d_ad + d_max)
            out[s, :, p // w, p % w] = new
            prev = new
    return out


def test_layer_equals_a_slow_reference_loop_in_float64():
    from toolbox_plugins.csa.attention import coherent_attention
    torch.manual_seed(0)
    x = torch.randn(2, 6, 7, 5, dtype=torch.float64)
    hole = torch.zeros(2, 1, 7, 5, dtype=torch.bool)
    hole[0, :, 2:5, 1:4] = True                               # a box
    hole[1] = torch.rand(1, 7, 5) > 0.6                       # scattered positions
    for features in (x.abs(), x):                             # convex mixtures, and signed
        ours = coherent_attention(features, hole)
        torch.testing.assert_close(ours, _reference(features, hole), rtol=1e-12, atol=1e-12)
        assert torch.equal(ours[~hole.expand_as(x)], features[~hole.expand_as(x)])
    # no hole, or no known position: nothing to attend to
    assert torch.equal(coherent_attention(x, torch.zeros_like(hole)), x)
    assert torch.equal(coherent_attention(x, torch.ones_like(hole)), x)


def test_layer_by_hand():
    from toolbox_plugins.csa.attention import coherent_attention
    # a 1x3 map: known (2, 0), then two hole positions (1, 1) and (0, 1)
    x = torch.tensor([[2.0, 1.0, 0.0], [0.0, 1.0, 1.0]], dtype=torch.float64).view(1, 2, 1, 3)
    hole = torch.tensor([False, True, True]).view(1, 1, 1, 3)
    out = coherent_attention(x, hole)[0, :, 0]
    # first hole: the only known feature (2, 0); D_max at the second = <(0, 1), (1, 0)> = 0
    # and D_ad = <(2, 0), (0, 1)> = 0: 0 / 0 is not finite, as in the official layer
    assert out[:, 1].tolist() == [2.0, 0.0]
    assert not torch.isfinite(out[:, 2]).all()
    x = torch.tensor([[2.0, 1.0, 1.0], [0.0, 1.0, 3.0]], dtype=torch.float64).view(1, 2, 1, 3)
    out = coherent_attention(x, hole)[0, :, 0]
    # second hole m = (1, 3): D_max = <m, (1, 0)> = 1, D_ad = <(2, 0), m / |m|> = 2 / sqrt(10)
    d_ad = 2 / 10 ** 0.5
    expected = (d_ad * torch.tensor([2.0, 0.0]) + 1 * torch.tensor([2.0, 0.0])) / (d_ad + 1)
    torch.testing.assert_close(out[:, 2], expected.double())


def test_layer_is_differentiable():
    from toolbox_plugins.csa.attention import coherent_attention
    torch.manual_seed(0)
    x = torch.rand(1, 3, 4, 4, dtype=torch.float64, requires_grad=True) + 0.1
    hole = torch.zeros(1, 1, 4, 4, dtype=torch.bool)
    hole[..., 1:3, 1:3] = True
    assert torch.autograd.gradcheck(lambda t: coherent_attention(t, hole), (x,))


def test_feature_hole_is_the_official_mask_downsampling():
    from toolbox_plugins.csa.attention import feature_hole
    mask = torch.zeros(1, 1, 256, 256)
    mask[..., 68:188, 68:188] = 1                              # the official centre hole
    m = mask
    for _ in range(3):                                         # cal_feat_mask: 1/16 convs
        m = F.conv2d(m, torch.full((1, 1, 4, 4), 1 / 16), stride=2, padding=1)
    hole = feature_hole(mask)
    assert torch.equal(hole, m > 5 / 16)
    # 16x16 positions less the four corners (their 4x4 averages stay under 5/16)
    assert hole.shape == (1, 1, 32, 32) and int(hole.sum()) == 16 * 16 - 4
    assert not hole[0, 0, 8, 8] and hole[0, 0, 8, 9] and hole[0, 0, 9, 8]


# -- the generators ---------------------------------------------------------------------------
def test_generator_outputs_and_the_rough_gradient():
    torch.manual_seed(0)
    cfg = dict(type='CSAGenerator', rough=dict(base_channels=4, num_downs=5),
               refinement=dict(base_channels=4, num_downs=5))
    gen = GENERATORS.build(cfg)
    image, mask = torch.rand(2, 3, 64, 64) * 2 - 1, torch.zeros(2, 1, 64, 64)
    mask[0, :, 16:48, 16:48] = 1
    mask[1, :, 8:40, 24:56] = 1
    out = gen(image * (1 - mask), mask)
    assert out['output'].shape == out['rough'].shape == (2, 3, 64, 64)
    assert out['csa'].shape == out['csa_decoder'].shape == (2, 32, 8, 8)
    assert torch.equal(out['csa_hole'].bool(), torch.stack(
        [F.avg_pool2d(F.avg_pool2d(F.avg_pool2d(m[None], 4, 2, 1), 4, 2, 1), 4, 2, 1)[0]
         > 5 / 16 for m in mask]))
    # the rough net learns from its own output only (the official fake_P.data)
    out['output'].sum().backward()
    assert all(p.grad is None for p in gen.rough.parameters())
    joint = GENERATORS.build(dict(cfg, detach_rough=False))
    joint(image * (1 - mask), mask)['output'].sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in joint.rough.parameters())
    # the rough net fills the hole with the official mean colour
    from toolbox_plugins.csa.generator import MEAN_COLOUR
    filled = gen.rough.fill(image * (1 - mask), mask)
    assert torch.allclose(filled[0, :, 30, 30], torch.tensor(MEAN_COLOUR))


# -- the losses on known inputs ---------------------------------------------------------------
def test_consistency_loss_by_hand():
    from toolbox_plugins.csa.losses import CSAConsistencyLoss
    target = torch.zeros(1, 2, 2, 2)
    csa = torch.full((1, 2, 2, 2), 3.0)
    dec = torch.full((1, 2, 2, 2), 1.0)
    hole = torch.tensor([[1.0, 0.0], [0.0, 0.0]]).view(1, 1, 2, 2)
    # one hole position, 2 channels: (2 * 9 + 2 * 1) / (1 * 2 * 2 * 2)
    assert float(CSAConsistencyLoss.formula(csa, dec, hole, target)) == pytest.approx(20 / 8)
    # a narrow net's features are held to the first relu4_3 channels
    wide = torch.cat([target, torch.full((1, 2, 2, 2), 5.0)], 1)
    assert float(CSAConsistencyLoss.formula(csa, dec, hole, wide)) == pytest.approx(20 / 8)


def test_discriminators_weigh_as_the_official_code():
    """``0.5 (L_D + L_F)`` of the official halved RaLSGAN terms, ``0.2 (L_G + L_GF)`` for G."""
    model = MODELS.build(dict(type='CSAInpaintor', **MODELS.get('CSAInpaintor').tiny_cfg))
    adv = model.objective.adv
    real, fake = torch.tensor([0.9, 0.7]), torch.tensor([0.2, 0.4])

    def official(y_fake, y_real, target_is_real):           # networks.GANLoss.__call__
        if target_is_real:
            return (((y_real - y_fake.mean() - 1) ** 2).mean()
                    + ((y_fake - y_real.mean() + 1) ** 2).mean()) / 2
        return (((y_real - y_fake.mean() + 1) ** 2).mean()
                + ((y_fake - y_real.mean() - 1) ** 2).mean()) / 2

    # by hand: real - mean fake - 1 = (-0.4, -0.6); fake - mean real + 1 = (0.4, 0.6)
    assert float(adv.discriminator_loss(real, fake)) == pytest.approx(0.26 + 0.26)
    assert model.disc_loss_scale * 2 * float(adv.discriminator_loss(real, fake)) == \
        pytest.approx(float(0.5 * official(fake, real, True) * 2))
    assert adv.loss_weight * 2 * float(adv.generator_loss(fake, real)) == \
        pytest.approx(float(0.2 * official(fake, real, False) * 2))


def test_consistency_and_feature_discriminator_train_the_generator():
    """The paper's gradients: the official code adds the consistency loss as a constant and
    judges fake_B.data with the feature discriminator; here both reach the generator."""
    from toolbox.testing import tiny_batch
    torch.manual_seed(0)
    model = MODELS.build(dict(type='CSAInpaintor', **MODELS.get('CSAInpaintor').tiny_cfg))
    batch = tiny_batch(size=64)
    outputs = model.run_generator(batch)
    refinement = model.generator.refinement
    loss = model.consistency(outputs['csa'], outputs['csa_decoder'], outputs['csa_hole'],
                             batch['gt'])
    grads = torch.autograd.grad(loss, list(refinement.first.parameters()), allow_unused=True)
    assert all(g is not None and g.abs().sum() > 0 for g in grads)
    feature = model.discriminator.feature
    g_feat = model.objective.adv.generator_terms(feature, outputs['output'], batch['gt'], batch)
    grads = torch.autograd.grad(g_feat, list(refinement.last.parameters()))
    assert all(g.abs().sum() > 0 for g in grads)


def test_tiny_gan_trains(one_thread):
    from toolbox.testing import check_model
    check_model('CSAInpaintor', size=64)


# -- configs and the demo ---------------------------------------------------------------------
def test_paper_config():
    from toolbox.apis import load_config
    cfg = load_config(PAPER)
    weights = {c['type']: c.get('loss_weight', 1.0) for c in cfg.model.losses}
    assert weights == {'L1Loss': 100.0, 'RelativisticAverageLSGANLoss': 0.1}
    assert cfg.model.losses[0].outputs == ('rough', 'output')
    assert cfg.model.consistency.loss_weight == 1.0 and cfg.model.disc_loss_scale == 0.25
    assert cfg.model.disc_input == 'output' and cfg.train_dataloader.batch_size == 1
    assert cfg.optim_wrapper.generator.optimizer.lr == 2e-4



# -- the official key layout (tests/fixtures/weights/official_csa_keys.txt) ---------------------
def test_official_layout_maps_onto_every_key_and_shape():
    import math
    from tests.apis.test_convert import random_state, recorded_shapes
    from toolbox.apis import load_config
    from toolbox.apis.convert import convert_state_dict
    model = MODELS.build(load_config(PAPER).model)     # its VGG is built only when used
    shapes = recorded_shapes('official_csa_keys.txt')
    counts = {n: sum(math.prod(s) for k, s in shapes.items() if k.startswith(n + '.'))
              for n in ('netG', 'netP', 'netD', 'netF')}
    # the state dicts hold exactly the parameters (instance norms keep no statistics)
    assert counts == {'netG': 77_692_291, 'netP': 54_419_459, 'netD': 2_766_529,
                      'netF': 10_487_296}
    state = random_state(shapes)
    converted, _ = convert_state_dict('official-csa', state, model)
    assert set(converted) >= {k for k in model.state_dict() if not k == 'train_steps'}
    pairs = [('generator.refinement.first.weight', 'netG.model.model.0.weight'),
             ('generator.refinement.last.1.weight', 'netG.model.model.3.weight'),
             ('generator.refinement.inner.inner.inner.down_3.1.weight',
              'netG.model.model.1.model.6.model.6.model.4.weight'),         # the CSA level
             ('generator.refinement.inner.inner.inner.norm_3.weight',
              'netG.model.model.1.model.6.model.6.model.7.weight'),
             ('generator.rough.net.down.0.weight', 'netP.model.model.0.weight'),
             ('generator.rough.net.inner.up.2.bias', 'netP.model.model.1.model.6.bias'),
             ('discriminator.patch.net.11.weight', 'netD.model.11.weight'),
             ('discriminator.feature.net.5.weight', 'netF.model.5.weight')]
    for ours, theirs in pairs:
        assert torch.equal(converted[ours], state[theirs]), ours
    # without the discriminators: the config's own are kept
    generators = {k: v for k, v in state.items() if k.startswith(('netG.', 'netP.'))}
    again, notes = convert_state_dict('official-csa', generators, model,
                                      allow_missing_discriminator=True)
    assert 'discriminator' in notes


def test_pretrained_vgg_fails_fast_offline(empty_caches):
    import time
    from toolbox.weights import WeightsNotFoundError
    from toolbox_plugins.csa.losses import CSAConsistencyLoss
    loss = CSAConsistencyLoss(pretrained=True)                # built without the file
    feature = DISCRIMINATORS.build(dict(type='CSAFeatureDiscriminator'))
    import torchvision.models  # noqa: F401  (imported by any training run already; slow cold)
    image = torch.zeros(1, 3, 32, 32)
    for first_use in (lambda: loss.target(image), lambda: feature(image)):
        start = time.monotonic()
        with pytest.raises(WeightsNotFoundError, match=r'vgg16-397923af\.pth.*Put it in'):
            first_use()
        assert time.monotonic() - start < 1.0
