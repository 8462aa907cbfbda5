"""Pluralistic (plugins/pluralistic): the official counts, the attention and the losses
against the paper's formulas by hand, sampling several completions, the official key
layout, the configs, and the demo through the tools."""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from toolbox.registry import LOSSES, MODELS
from tests.utils import REPO

PAPER = osp.join(REPO, 'configs/pluralistic/places2_256.py')
DEMO = 'configs/pluralistic/demo.py'


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _tiny_model(**kw):
    from toolbox_plugins.pluralistic import PluralisticInpaintor
    return MODELS.build(dict(type='PluralisticInpaintor', **PluralisticInpaintor.tiny_cfg, **kw))


# -- the counts of the official code (lyndonzheng/Pluralistic-Inpainting 034a758) ------------
def test_parameter_counts_equal_the_official_code():
    model = MODELS.build(dict(type='PluralisticInpaintor',
                              generator=dict(type='PluralisticGenerator'),
                              discriminator=dict(type='PluralisticDiscriminator')))
    # E: the encoder with its prior head, and the posterior head of the reconstructive path
    assert _count(model.generator.encoder) + _count(model.posterior) == 3_604_224
    assert _count(model.generator.decoder) == 2_374_016                       # G
    assert _count(model.discriminator) == _count(model.discriminator_rec) == 1_575_075
    # the spectral norm's vectors are state, not parameters (the official ones are
    # parameters without gradient); the transposed convolutions are normalised over
    # dim 0 as the official code does
    up = model.generator.decoder.up[0].shortcut
    assert up.weight_u.shape == (up.weight_orig.shape[0],)


# -- the attention, by hand ---------------------------------------------------------------------
def test_short_and_long_term_attention_by_hand():
    from toolbox_plugins.pluralistic.blocks import ShortLongAttention
    torch.manual_seed(0)
    att = ShortLongAttention(4).eval()    # spectral norm: no power iteration per call
    with torch.no_grad():
        att.gamma.fill_(0.5)
        att.alpha.fill_(2.0)
    x, pre = torch.randn(1, 4, 3, 3), torch.randn(1, 4, 3, 3)
    valid = torch.ones(1, 1, 3, 3)
    valid[..., 1, :] = 0                                    # the middle row is hole
    out, attention = att(x, pre, valid)
    q = F.conv2d(x, att.query.weight, att.query.bias).reshape(1, 1, 9)[0]      # [1, 9]
    a = torch.softmax(q.t() @ q, dim=1)                                         # [9, 9]
    assert torch.allclose(attention[0], a, atol=1e-6)
    short = x + 0.5 * (x.reshape(4, 9) @ a.t()).reshape(1, 4, 3, 3)
    flow = (pre.reshape(4, 9) @ a.t()).reshape(1, 4, 3, 3)
    context = 2.0 * (1 - valid) * flow + valid * pre       # copied into the hole only
    assert torch.allclose(out, att.fuse(torch.cat([short, context], 1)), atol=1e-6)
    alone, _ = att(x)                                      # no encoder feature: self-attention
    assert torch.allclose(alone, short, atol=1e-6)


# -- the losses on known inputs -------------------------------------------------------------
def test_kl_terms_are_the_papers_formulas():
    from toolbox_plugins.pluralistic.losses import kl_normal, kl_terms, prior_sigma
    one = torch.ones(1)
    assert float(kl_normal(0 * one, one, 0 * one, one)) == 0
    # KL(N(1, 2^2) || N(0, 1)) = log(1/2) + (4 + 1) / 2 - 1/2
    assert float(kl_normal(one, 2 * one, 0 * one, one)) == pytest.approx(math.log(0.5) + 2)
    mask = torch.zeros(2, 1, 4, 4)
    mask[1, :, :2] = 1                                     # sample 1: half hole
    s = prior_sigma(mask).flatten()
    assert s[0] == pytest.approx(1 / (1 + math.exp(8 * (1 - 1e-5 - 0.8))))
    assert s[1] == pytest.approx(1 / (1 + math.exp(8 * (0.5 - 1e-5 - 0.8))))
    # posterior N(1, 1), prior N(0, 2^2): per sample, averaged over elements and batch
    mu, sig = torch.ones(2, 1, 1, 1), torch.ones(2, 1, 1, 1)
    post, prior = (mu, sig), (mu * 0, sig * 2)
    kl_rec, kl_g = kl_terms(post, prior, mask)
    paper = [math.log(si / 1) + (1 + 1) / (2 * si ** 2) - 0.5 for si in s.tolist()]
    assert float(kl_rec) == pytest.approx(sum(paper) / 2, rel=1e-5)
    assert float(kl_g) == pytest.approx(math.log(2) + 2 / 8 - 0.5)
    code = [math.log(1 / si) + (si ** 2 + 1) / 2 - 0.5 for si in s.tolist()]   # KL(N_m || q)
    assert float(kl_terms(post, prior, mask, 'code')[0]) == pytest.approx(sum(code) / 2,
                                                                           rel=1e-5)
    # the generative KL holds the posterior fixed: no gradient reaches it
    q_mu = mu.clone().requires_grad_(True)
    p_mu = torch.zeros(2, 1, 1, 1, requires_grad=True)
    kl_terms((q_mu, sig), (p_mu, sig * 2), mask)[1].backward()
    assert q_mu.grad is None and p_mu.grad is not None


def test_multiscale_l1_by_hand():
    from toolbox_plugins.pluralistic.losses import multiscale_l1, pyramid
    target = torch.zeros(1, 3, 8, 8)
    images = [torch.full((1, 3, 2, 2), 0.25), torch.full((1, 3, 4, 4), 0.5),
              torch.full((1, 3, 8, 8), 1.0)]
    assert float(multiscale_l1(images, target)) == pytest.approx(1.75)
    weight = torch.zeros(1, 1, 8, 8)
    weight[..., :, :4] = 1                 # visible left half: half of every scale counts
    assert float(multiscale_l1(images, target, weight)) == pytest.approx(1.75 / 2)
    assert [p.shape[-1] for p in pyramid(torch.rand(1, 3, 32, 32), 4)] == [4, 8, 16, 32]


def test_lsgan_terms_by_hand():
    loss = LOSSES.build(dict(type='PluralisticLSGANLoss'))
    real, fake = torch.tensor([1.0, 0.0]), torch.tensor([0.5, 1.0])
    assert float(loss.discriminator_loss(real, fake)) == pytest.approx(0.5 * (0.5 + 0.625))
    assert float(loss.generator_loss(fake)) == pytest.approx(0.125)
    assert float(loss.paired_loss(torch.tensor([1.0, 2.0]), torch.zeros(2))) == 2.5


def test_model_losses_follow_the_two_paths(one_thread):
    torch.manual_seed(0)
    model = _tiny_model()
    gt = torch.rand(2, 3, 32, 32) * 2 - 1
    mask = torch.zeros(2, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    paths = model.two_paths(gt, mask)
    assert len(paths['rec']) == len(paths['fake']) == 2          # output_scales
    terms = model.losses(gt, mask, paths)
    assert set(terms) == {'loss_kl_g', 'loss_app_g', 'loss_ad_g', 'loss_kl_rec',
                          'loss_app_rec', 'loss_ad_rec'}
    from toolbox_plugins.pluralistic.losses import kl_terms, multiscale_l1
    kl_rec, _ = kl_terms(paths['post'], paths['prior'], mask)
    assert float(terms['loss_kl_rec']) == pytest.approx(float(kl_rec) * 20 * 2)
    assert float(terms['loss_app_g']) == pytest.approx(
        20 * float(multiscale_l1(paths['fake'], gt, 1 - mask)))
    one = _tiny_model(train_paths='one')
    assert set(one.losses(gt, mask, one.two_paths(gt, mask))) == {'loss_kl_g', 'loss_app_g',
                                                                  'loss_ad_g'}
    with pytest.raises(ValueError, match='kl_rec_direction'):
        _tiny_model(kl_rec_direction='sideways')


# -- several completions for one input ------------------------------------------------------
def test_inpaint_draws_k_different_completions_reproducibly(one_thread):
    torch.manual_seed(0)
    model = _tiny_model().eval()
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    mask = torch.zeros(2, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    with torch.no_grad():
        many = model.inpaint(image, mask, num_samples=3, seed=7)
        again = model.inpaint(image, mask, num_samples=3, seed=7)
        other = model.inpaint(image, mask, num_samples=3, seed=8)
        single = model.inpaint(image, mask, seed=7)
    assert many.shape == (3, 2, 3, 32, 32) and single.shape == (2, 3, 32, 32)
    assert torch.equal(many, again) and not torch.equal(many, other)
    assert torch.equal(single, many[0])                      # the first draw of that seed
    hole = mask.bool().expand_as(image)
    for a, b in ((0, 1), (0, 2), (1, 2)):
        assert not torch.equal(many[a][hole], many[b][hole])
    for k in range(3):
        assert torch.equal(many[k][~hole], image[~hole])
    with pytest.raises(ValueError, match='num_samples'):
        model.inpaint(image, mask, num_samples=0)


# -- the official key layout (tests/fixtures/weights/official_pluralistic_keys.txt) -------------
def test_official_layout_maps_onto_every_key_and_shape():
    from tests.apis.test_convert import random_state, recorded_shapes
    from toolbox.apis import load_config
    from toolbox.apis.convert import convert_state_dict
    model = MODELS.build(load_config(PAPER).model)
    shapes = recorded_shapes('official_pluralistic_keys.txt')
    # the official D_rec is a second D: its file holds the same keys
    shapes.update({'net_D_rec.' + k[len('net_D.'):]: s for k, s in shapes.items()
                   if k.startswith('net_D.')})
    state = random_state(shapes)
    converted, _ = convert_state_dict('official-pluralistic', state, model)
    assert set(converted) >= {k for k in model.state_dict() if k != 'train_steps'}
    pairs = [('generator.encoder.down.0.main.0.weight_orig',
              'net_E.block0.conv1.module.weight_bar'),
             ('generator.encoder.down.4.shortcut.weight_u',
              'net_E.encoder3.bypass.module.weight_u'),
             ('generator.encoder.infer.5.main.3.bias', 'net_E.infer_prior5.conv2.module.bias'),
             ('posterior.head.main.1.weight_v', 'net_E.posterior.conv1.module.weight_v'),
             ('generator.decoder.up.2.main.0.weight', 'net_G.decoder2.model.0.weight'),
             ('generator.decoder.to_rgb.3.conv.weight_orig', 'net_G.out4.conv1.module.weight_bar'),
             ('generator.decoder.attention.fuse.shortcut.bias',
              'net_G.attn1.model.bypass.module.bias'),
             ('generator.decoder.attention.alpha', 'net_G.attn1.alpha'),
             ('discriminator.score.weight_orig', 'net_D.conv.module.weight_bar'),
             ('discriminator_rec.attention.query.weight', 'net_D_rec.attn2.query_conv.weight')]
    for ours, theirs in pairs:
        assert torch.equal(converted[ours], state[theirs]), ours


def test_tiny_model_trains(one_thread):
    from toolbox.testing import check_model
    check_model('PluralisticInpaintor')


# -- configs and the demo ---------------------------------------------------------------------
def test_paper_config():
    from toolbox.apis import load_config
    cfg = load_config(PAPER)
    m = cfg.model
    assert (m.lambda_rec, m.lambda_kl, m.lambda_g) == (20.0, 20.0, 1.0)
    assert (m.generator.output_scales, m.generator.z_channels, m.generator.layers) == (4, 128, 5)
    assert set(cfg.optim_wrapper) - {'constructor'} == {'generator', 'posterior',
                                                        'discriminator', 'discriminator_rec'}
    assert all(cfg.optim_wrapper[k].optimizer.betas == (0.0, 0.999)
               for k in ('generator', 'discriminator_rec'))
