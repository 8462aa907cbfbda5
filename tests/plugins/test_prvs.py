"""PRVS (plugins/prvs): counts, the VSR layer's ring and the losses against the paper's
formulas by hand, the official key layout, the configs, and the demo through the tools."""
import math
import os.path as osp
import time

import pytest
import torch

from toolbox.registry import DISCRIMINATORS, GENERATORS, LOSSES, MODELS
from tests.utils import REPO

PAPER = osp.join(REPO, 'configs/prvs/paris_256.py')
RELEASED = osp.join(REPO, 'configs/prvs/paris_256_released.py')
FINETUNE = osp.join(REPO, 'configs/prvs/paris_256_finetune.py')
DEMO = 'configs/prvs/demo.py'


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


# -- the counts of the official code (jingyuanli001/PRVS-Image-Inpainting 1a9322c) -----------
def test_parameter_counts_equal_the_official_code():
    g = GENERATORS.build(dict(type='PRVSGenerator'))
    assert _count(g) == 55_543_043
    # an activation has no parameters: the released dec_2 has the same count
    assert _count(GENERATORS.build(dict(type='PRVSGenerator', dec2_activation='none'))) \
        == 55_543_043
    # the edge discriminator: five 4x4 convolutions without bias (spectral norm)
    d = DISCRIMINATORS.build(dict(type='PRVSEdgeDiscriminator'))
    assert _count(d) == 16 * (2 * 64 + 64 * 128 + 128 * 256 + 256 * 512 + 512) == 2_762_752
    # the four VSR layers hold 722,624 of the parameters: edge generator
    # (k^2 (C+1) 64 + bottleneck 17,152 + 64) and feature convolution (k^2 (C+1) C_out + C_out),
    # batch norm 2 C_out where present, a 4x4 transposed convolution in dec_2
    bottleneck = 64 * 16 + 16 * 9 * 16 + 16 * 64 + 2 * (16 + 16 + 64)
    def vsr(k, cin, cout, bn=True, up=False):
        return (k * k * (cin + 1) * 64 + bottleneck + 64 + k * k * (cin + 1) * cout + cout
                + (2 * cout if bn else 0) + (16 * cout * cout + cout if up else 0))
    vsrs = vsr(7, 3, 64) + vsr(5, 64, 128) + vsr(3, 192, 64, up=True) + vsr(3, 67, 64, bn=False)
    assert sum(_count(m) for m in (*g.encoder[:2], *g.decoder[:2])) == vsrs


# -- the VSR layer: new edges only in the newly valid ring ---------------------------------------
def test_vsr_writes_generated_edges_only_into_the_newly_valid_ring():
    from toolbox_plugins.prvs.layers import VSRLayer
    torch.manual_seed(0)
    layer = VSRLayer(4, 6, kernel_size=3, stride=1).eval()
    x = torch.randn(1, 4, 16, 16)
    valid = torch.ones(1, 1, 16, 16)
    valid[..., 4:12, 4:12] = 0                                # an 8x8 hole
    edge_in = (torch.rand(1, 1, 16, 16) > 0.7).float() * valid
    with torch.no_grad():
        generated, grown = layer.edge(torch.cat([x, edge_in], 1),
                                      torch.cat([valid.expand(-1, 4, -1, -1), valid], 1))
        _, mask, edge = layer(x, valid.expand(-1, 4, -1, -1), edge_in)
    # a 3x3 window reaches one pixel into the hole: the hole shrinks to 6x6
    ring = torch.zeros(1, 1, 16, 16, dtype=torch.bool)
    ring[..., 4:12, 4:12] = True
    ring[..., 5:11, 5:11] = False
    assert torch.equal(grown[:, :1].bool(), valid.bool() | ring)
    assert grown.shape[1] == 64                               # one map per edge channel
    known, still_hole = valid.bool(), ~(valid.bool() | ring)
    assert torch.equal(edge[known], edge_in[known])           # known edges kept exactly
    assert torch.equal(edge[ring], generated[ring])           # generated ones in the ring
    assert edge[still_hole].abs().max() == 0                  # nothing deeper in the hole
    # the feature convolution reaches one more pixel, but the layer's mask stays M_pc1
    assert torch.equal(mask[:, :1].bool(), valid.bool() | ring) and mask.shape[1] == 6


def test_generator_edges_come_from_the_known_pixels_and_outputs_have_two_scales():
    from toolbox.testing import tiny_batch
    from toolbox_plugins.prvs.edges import canny_edges
    torch.manual_seed(0)
    g = GENERATORS.build(dict(type='PRVSGenerator', layer_size=4, base_channels=8)).eval()
    batch = tiny_batch(batch=1, size=32)
    gt, mask = batch['gt'], batch['mask']
    with torch.no_grad():
        out = g(gt * (1 - mask), mask)
        other = g(gt * (1 - mask) + mask * 0.7, mask)         # another hole content
        explicit = g(gt * (1 - mask), mask,
                     edge=canny_edges((gt + 1) / 2, 1 - mask))
    assert out['output'].shape == (1, 3, 32, 32)
    assert out['edge'].shape == (1, 1, 32, 32) and out['edge_half'].shape == (1, 1, 16, 16)
    assert all(torch.equal(out[k], other[k]) for k in out)    # the holes are never read
    assert all(torch.equal(out[k], explicit[k]) for k in out)
    with pytest.raises(ValueError, match='multiples of 16'):
        g(torch.zeros(1, 3, 24, 24), torch.zeros(1, 1, 24, 24))
    with pytest.raises(ValueError, match="dec2_activation must be 'leaky' or 'none'"):
        GENERATORS.build(dict(type='PRVSGenerator', dec2_activation='Leaky'))


def test_dec2_activation_option():
    leaky = GENERATORS.build(dict(type='PRVSGenerator', layer_size=4, base_channels=8))
    none = GENERATORS.build(dict(type='PRVSGenerator', layer_size=4, base_channels=8,
                                 dec2_activation='none'))
    assert isinstance(leaky.decoder[1].act, torch.nn.LeakyReLU)
    assert leaky.decoder[1].act.negative_slope == 0.2
    assert isinstance(none.decoder[1].act, torch.nn.Identity)
    assert isinstance(leaky.decoder[0].act, torch.nn.Identity)     # the last layer: none
    assert all(isinstance(d.act, torch.nn.LeakyReLU) for d in leaky.decoder[2:])


def test_fine_tuning_freezes_the_encoder_batch_norms_only():
    g = GENERATORS.build(dict(type='PRVSGenerator', layer_size=4, base_channels=8,
                              freeze_encoder_bn=True)).train()
    enc = [m for m in g.encoder.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    dec = [m for m in g.decoder.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert enc and not any(m.training for m in enc)
    assert dec and all(m.training for m in dec)


# -- the losses, by hand ----------------------------------------------------------------------
class _Unit(torch.nn.Module):
    """A stand-in VGG with FrozenVGG's input convention: its one "feature" is the image
    itself in [0, 1]."""

    def forward(self, x):
        return [(x + 1) / 2]


def test_image_loss_terms_by_hand():
    # in [0, 1]: gt 0 everywhere, output 0.5; the left half is hole
    gt = torch.full((1, 3, 4, 4), -1.0)
    pred = torch.zeros(1, 3, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :, :2] = 1
    loss = LOSSES.build(dict(type='PRVSImageLoss', pretrained=False))
    seen = []
    object.__setattr__(loss, '_vgg', _Unit())
    loss._vgg.register_forward_hook(lambda m, i, o: seen.append(i[0]))
    terms = loss.terms(pred, gt, mask)
    assert float(terms['valid']) == pytest.approx(0.5 * 0.5)       # |0.5| on half the pixels
    assert float(terms['hole']) == pytest.approx(0.5 * 0.5)
    # |out - gt| = 0.5 everywhere; the composite differs in the hole only
    assert float(terms['perceptual']) == pytest.approx(0.5 + 0.25)
    # Gram / (C H W) of the constant 0.5 image: 0.25 * 16 / 48; of the composite 0.25 * 8 / 48
    assert float(terms['style']) == pytest.approx(0.25 / 3 + 0.25 / 6)
    # M * I_comp: 0.5 in columns 0-1, 0 in 2-3: one horizontal step of 0.5 in 3 per row
    assert float(terms['tv']) == pytest.approx(0 + 0.5 / 3)
    total = loss(pred, gt, mask)
    assert float(total) == pytest.approx(50 * 0.25 + 50 * 0.25 + 0.05 * 0.75
                                         + 150 * (0.25 / 3 + 0.25 / 6) + 0.1 * 0.5 / 3)
    # VGG sees the ImageNet convention: the toolbox's [-1, 1] image (FrozenVGG normalises)
    assert torch.equal(seen[0], gt)
    with pytest.raises(ValueError, match=r"unknown weights \['edge'\]"):
        LOSSES.build(dict(type='PRVSImageLoss', pretrained=False, weights=dict(edge=1.0)))


def test_unit_vgg_input_is_what_the_official_code_feeds():
    from toolbox.nn import FrozenVGG
    loss = LOSSES.build(dict(type='PRVSImageLoss', pretrained=False, vgg_input='unit'))
    torch.manual_seed(0)
    vgg = FrozenVGG('vgg16', ('pool1', 'pool2', 'pool3'), pretrained=False)
    object.__setattr__(loss, '_vgg', vgg)
    image01 = torch.rand(1, 3, 16, 16)
    plain = image01
    for i, module in enumerate(vgg._modules.values()):         # no normalisation at all
        plain = module(plain)
        if i == vgg.index('pool1'):
            break
    assert torch.allclose(loss._vgg_features(image01)[0], plain, atol=1e-5)
    with pytest.raises(ValueError, match='vgg_input'):
        LOSSES.build(dict(type='PRVSImageLoss', pretrained=False, vgg_input='raw'))


def test_edge_gan_terms_by_hand():
    loss = LOSSES.build(dict(type='PRVSEdgeGANLoss', loss_weight=0.1))
    real, fake = torch.tensor([[0.0], [2.0]]), torch.tensor([[0.0], [-1.0]])
    sp = lambda v: math.log1p(math.exp(v))                       # noqa: E731  softplus
    # BCE(sigmoid(x), 1) = softplus(-x), BCE(sigmoid(x), 0) = softplus(x)
    expected_d = ((sp(0) + sp(-2)) / 2 + (sp(0) + sp(-1)) / 2) / 2
    assert float(loss.discriminator_loss(real, fake)) == pytest.approx(expected_d)
    assert float(loss.generator_loss(fake)) == pytest.approx((sp(0) + sp(1)) / 2)


def test_pretrained_vgg_fails_fast_offline(empty_caches):
    from toolbox.weights import WeightsNotFoundError
    # built without the file (an inference-only use of the config needs none) ...
    loss = LOSSES.build(dict(type='PRVSImageLoss', pretrained=True))
    image, mask = torch.zeros(1, 3, 16, 16), torch.ones(1, 1, 16, 16)
    import torchvision.models  # noqa: F401  (imported by any training run already; slow cold)
    start = time.monotonic()
    # ... the first use fails at once, naming the file and where to put it
    with pytest.raises(WeightsNotFoundError, match=r'vgg16-397923af\.pth.*Put it in'):
        loss(image, image, mask)
    assert time.monotonic() - start < 1.0


# -- the training step ----------------------------------------------------------------------------
def test_discriminator_judges_the_edge_maps_at_both_scales(one_thread):
    from toolbox.testing import _packed, tiny_batch, tiny_optimizers
    model = MODELS.build(dict(type='PRVSInpaintor', **MODELS.get('PRVSInpaintor').tiny_cfg))
    seen = []
    model.discriminator.layers[0].register_forward_hook(lambda m, i, o: seen.append(i[0]))
    data = _packed(tiny_batch(batch=2, size=64), ())
    log = model.train_step(data, tiny_optimizers(model))
    assert {'loss_g', 'loss_g_adv', 'loss_d', 'd_real', 'd_fake'} <= set(log)
    # G step: fake at 64, then 32; D step (the official order): real and fake at 32, then
    # at 64 -- each an edge map and the grey image
    assert [tuple(x.shape[1:]) for x in seen] == [(2, 64, 64), (2, 32, 32), (2, 32, 32),
                                                  (2, 32, 32), (2, 64, 64), (2, 64, 64)]
    from toolbox_plugins.prvs.edges import canny_edges, grey
    gt01 = (model.data_preprocessor(data, True)['gt'] + 1) / 2     # as the step saw it
    assert torch.equal(seen[4][:, :1], canny_edges(gt01))     # the real structure
    assert torch.allclose(seen[4][:, 1:], grey(gt01))
    # a generator for 16-multiples trained at 32x32: the half-size edges are too small
    cfg = dict(MODELS.get('PRVSInpaintor').tiny_cfg,
               generator=dict(type='PRVSGenerator', layer_size=4, base_channels=4))
    small = MODELS.build(dict(type='PRVSInpaintor', **cfg))
    with pytest.raises(ValueError, match=r"'edge_half' map is \[16, 16\].*at least 64x64"):
        small.train_step(_packed(tiny_batch(batch=2, size=32), ()), tiny_optimizers(small))


# -- the official key layout (tests/fixtures/weights/official_prvs_keys.txt) ----------------------
def test_official_layout_maps_onto_every_key_and_shape():
    from tests.apis.test_convert import random_state, recorded_shapes
    from toolbox.apis import load_config
    from toolbox.apis.convert import convert_state_dict
    cfg = load_config(RELEASED)                # its VGG loss needs no file until used
    model = MODELS.build(cfg.model)
    shapes = recorded_shapes('official_prvs_keys.txt')
    counted = {k: s for k, s in shapes.items() if not k.endswith(
        ('running_mean', 'running_var', 'num_batches_tracked', '_u', '_v'))}
    assert sum(math.prod(s) for k, s in counted.items()
               if k.startswith('generator.')) == 55_543_043
    state = random_state(shapes)
    converted, notes = convert_state_dict('official-prvs', state, model)
    assert set(converted) >= {k for k in model.state_dict() if k != 'train_steps'}
    pairs = [('generator.encoder.0.edge.conv.weight', 'enc_1.edge_generator.p_conv.weight'),
             ('generator.encoder.1.edge.resolver.bn2.running_var',
              'enc_2.edge_generator.edge_resolver.bn2.running_var'),
             ('generator.encoder.0.feature.bias', 'enc_1.feat_rec.bias'),
             ('generator.encoder.7.conv.weight', 'enc_8.conv.weight'),
             ('generator.decoder.1.up.weight', 'dec_2.deconv.weight'),
             ('generator.decoder.1.edge.to_edge.weight', 'dec_2.edge_generator.out_layer.weight'),
             ('generator.decoder.4.up.weight', 'dec_5.deconv.weight'),
             ('generator.decoder.0.feature.weight', 'dec_1.feat_rec.weight'),
             ('generator.bottom_up.bias', 'deconv.bias'),
             ('generator.to_rgb.weight', 'output.weight')]
    for ours, theirs in pairs:
        assert torch.equal(converted[ours], state['generator.' + theirs]), ours
    assert torch.equal(converted['discriminator.layers.4.0.weight_orig'],
                       state['discriminator.conv5.0.weight_orig'])
    # the bare generator state dict (g_N.pth['generator']) converts the same
    bare = {k[len('generator.'):]: v for k, v in state.items() if k.startswith('generator.')}
    again, notes = convert_state_dict('official-prvs', bare, model,
                                      allow_missing_discriminator=True)
    assert all(torch.equal(again[k], converted[k]) for k in again if k.startswith('generator.'))
    assert 'discriminator' in notes
    # the official g_N.pth as saved: the network under 'generator', its optimizer and the
    # iteration beside it, read by the engine without unpacking by hand
    from toolbox.converters import source_state_dict
    saved = {'generator': bare, 'optimizer_G': {'state': {0: {'exp_avg': torch.zeros(3)}},
                                                'param_groups': [{'lr': 2e-4}]},
             'n_iter': 9}
    flat = source_state_dict(saved, 'g_9.pth')
    assert set(flat) == {'generator.' + k for k in bare}
    from_file, _ = convert_state_dict('official-prvs', flat, model,
                                      allow_missing_discriminator=True)
    assert all(torch.equal(from_file[k], converted[k]) for k in from_file
               if k.startswith('generator.'))


# -- configs and the demo ---------------------------------------------------------------------
def test_paper_released_and_finetune_configs():
    from toolbox.apis import load_config
    paper, released, finetune = load_config(PAPER), load_config(RELEASED), load_config(FINETUNE)
    assert paper.model.generator.dec2_activation == 'leaky'
    assert released.model.generator.dec2_activation == 'none'
    assert released.model.losses[0].vgg_input == 'unit'
    assert paper.model.losses[0].weights == dict(valid=50.0, hole=50.0, perceptual=0.05,
                                                 style=150.0, tv=0.1)
    assert paper.model.losses[1] == dict(type='PRVSEdgeGANLoss', loss_weight=0.1)
    assert (paper.optim_wrapper.generator.optimizer.lr,
            paper.optim_wrapper.discriminator.optimizer.lr) == (2e-4, 2e-5)
    assert finetune.model.generator.freeze_encoder_bn is True
    assert (finetune.optim_wrapper.generator.optimizer.lr,
            finetune.optim_wrapper.discriminator.optimizer.lr) == (5e-5, 5e-6)
    assert paper.train_dataloader.batch_size == 6
