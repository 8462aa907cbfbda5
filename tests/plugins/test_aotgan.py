"""AOT-GAN plugin: the authors' parameter counts, the AOT block's gated residual and gate
normalisation, the SM-PatchGAN soft label, and the demo through the tools."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tests.utils import REPO, inpaint_box, train_demo
from toolbox.registry import DISCRIMINATORS, GENERATORS, LOSSES
from toolbox.testing import check_model
from toolbox_plugins.aotgan.aot import AOTBlock, gate_norm
from toolbox_plugins.aotgan.losses import SoftMaskGANLoss, soft_mask_label

pytestmark = pytest.mark.filterwarnings('ignore::UserWarning')


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_parameter_counts_equal_the_authors_code():
    # counted on researchmm/AOT-GAN-for-Inpainting's InpaintGenerator (block_num=8, rates
    # 1+2+4+8) and Discriminator, built side by side (MMagic's port: 15.20M)
    with torch.device('meta'):
        gen = GENERATORS.build(dict(type='AOTGANGenerator'))
        disc = DISCRIMINATORS.build(dict(type='AOTGANDiscriminator'))
    assert len(gen.middle) == 8 and gen.middle[0].rates == (1, 2, 4, 8)
    assert n_params(gen) == 15_200_835
    assert n_params(gen.middle[0]) == 4 * (256 * 64 * 9 + 64) + 2 * (256 * 256 * 9 + 256)
    assert n_params(disc) == 2_763_777


def test_gate_norm_is_the_authors_formula():
    f = torch.randn(2, 3, 5, 7)
    mean = f.mean((2, 3), keepdim=True)
    std = f.std((2, 3), keepdim=True)        # unbiased, as torch.std
    assert torch.allclose(gate_norm(f), 5 * (2 * (f - mean) / (std + 1e-9) - 1), atol=1e-5)
    assert torch.allclose(gate_norm(f).flatten(2).mean(-1), torch.full((2, 3), -5.0), atol=1e-4)
    assert torch.allclose(gate_norm(f).flatten(2).std(-1), torch.full((2, 3), 10.0), atol=1e-4)


def test_aot_block_gated_residual_and_dilated_branches():
    torch.manual_seed(0)
    block = AOTBlock(8, rates=(1, 2, 4, 8)).eval()
    x = torch.randn(1, 8, 20, 20)
    # each branch: reflection pad = rate, 3x3 conv with dilation = rate, dim/4 channels
    for branch, rate in zip(block.branches, (1, 2, 4, 8)):
        assert branch[1].dilation == (rate, rate) and branch[1].out_channels == 2
        assert branch[0].padding == (rate,) * 4
    with torch.no_grad():
        g = torch.sigmoid(gate_norm(block.gate(x)))
        expected = x * (1 - g) + block.transform(x) * g
        assert torch.allclose(block(x), expected, atol=1e-6)
        # the aggregation is the concatenation of the four branches fused
        cat = torch.cat([b(x) for b in block.branches], 1)
        assert torch.allclose(block.transform(x), block.fuse(cat), atol=1e-6)
        # a constant gate map (std 0) normalises to 5 * (2 * 0 - 1) = -5 everywhere
        block.gate[1].weight.zero_()
        block.gate[1].bias.zero_()
        assert torch.allclose(block(x), x * (1 - torch.sigmoid(torch.tensor(-5.0)))
                              + block.transform(x) * torch.sigmoid(torch.tensor(-5.0)),
                              atol=1e-6)


def test_soft_mask_label_is_the_gaussian_blurred_mask():
    mask = torch.zeros(1, 1, 40, 40)
    mask[..., 10:30, 5:25] = 1
    size, sigma = 9, 2.0
    # independent: a 2-D Gaussian with numpy, zero padding, direct correlation
    r = np.arange(size) - size // 2
    k1 = np.exp(-r ** 2 / (2 * sigma ** 2))
    k2 = np.outer(k1, k1) / np.outer(k1, k1).sum()
    m = np.pad(mask[0, 0].numpy().astype(np.float64), size // 2)
    expected = np.zeros((40, 40))
    for i in range(40):
        for j in range(40):
            expected[i, j] = (m[i:i + size, j:j + size] * k2).sum()
    label = soft_mask_label(mask, size, sigma)[0, 0].double().numpy()
    assert np.abs(label - expected).max() < 1e-6
    assert label[20, 15] == pytest.approx(1.0, abs=1e-5) and label[0, 39] == 0
    assert 0.2 < label[10, 15] < 0.8     # the boundary is soft


def test_sm_patchgan_terms_by_hand():
    loss = SoftMaskGANLoss(kernel_size=5, sigma=1.0)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., 2:6, 2:6] = 1
    real_logits = torch.randn(1, 1, 4, 4)
    fake_logits = torch.randn(1, 1, 4, 4)
    judge = lambda image: real_logits if image is real else fake_logits   # noqa: E731
    real, fake = torch.zeros(1, 3, 8, 8), torch.ones(1, 3, 8, 8)
    terms, _ = loss.discriminator_terms(judge, real, fake, {'mask': mask})
    up = lambda t: F.interpolate(t, size=(8, 8), mode='bilinear', align_corners=True)  # noqa
    label = soft_mask_label(mask, 5, 1.0)
    expected = ((up(fake_logits) - label) ** 2).mean() + (up(real_logits) ** 2).mean()
    assert torch.allclose(terms['loss_d'], expected)
    g = loss.generator_terms(judge, fake, real, {'mask': mask})
    assert torch.allclose(g, ((up(fake_logits) - 1) ** 2).mean())
    hole = SoftMaskGANLoss(kernel_size=5, sigma=1.0, hole_only=True)
    g_hole = hole.generator_terms(judge, fake, real, {'mask': mask})
    assert torch.allclose(g_hole, ((up(fake_logits) - 1) ** 2)[mask.bool()].mean())


def test_official_weights_in_the_paper_config():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs/aotgan_places_512.py'))
    weights = {c['type']: c.get('loss_weight', 1.0) for c in cfg.model.losses}
    assert weights == {'L1Loss': 1.0, 'StyleLoss': 250.0, 'VGGFeatureMatchingLoss': 0.1,
                       'SoftMaskGANLoss': 0.01}
    sm = LOSSES.build(cfg.model.losses[-1])
    assert (sm.kernel_size, sm.sigma) == (71, 10.0)


def test_tiny_gan_trains(one_thread):
    check_model('GANInpaintor', dict(
        generator=dict(type='AOTGANGenerator', **GENERATORS.get('AOTGANGenerator').tiny_cfg),
        discriminator=dict(type='AOTGANDiscriminator', base_channels=4),
        losses=[dict(type='L1Loss'), dict(type='SoftMaskGANLoss', kernel_size=7, sigma=2.0,
                                          loss_weight=0.01)]))


@pytest.mark.slow
def test_demo_trains_and_inpaints_through_the_tools(tmp_path, demo_root):
    train_demo('configs/demo/aotgan_demo.py', tmp_path / 'work', 2, data_root=demo_root)
    assert (tmp_path / 'work' / 'iter_2.pth').exists()
    image = sorted(glob.glob(osp.join(demo_root, 'val', '*.png')))[0]
    written, original, mask = inpaint_box('configs/demo/aotgan_demo.py',
                                          tmp_path / 'work' / 'iter_2.pth', image,
                                          np.s_[100:200, 150:300], str(tmp_path))
    assert not np.array_equal(written[mask > 0], original[mask > 0])


def test_hole_offset_gives_the_white_holes_of_the_authors_and_mmagic():
    # MMagic's AOTInpaintor (as the authors) feeds image * (1 - mask) + mask; the engine
    # passes zero-filled holes, which hole_offset=1 turns into the same input
    from toolbox.apis import load_config
    torch.manual_seed(0)
    white = GENERATORS.build(dict(type='AOTGANGenerator', base_channels=4, num_blocks=1,
                                  rates=(1, 2), hole_offset=1.0)).eval()
    plain = GENERATORS.build(dict(type='AOTGANGenerator', base_channels=4, num_blocks=1,
                                  rates=(1, 2))).eval()
    with torch.no_grad():         # fan-in scaled: the authors' N(0, 0.02) gives outputs near 0
        for w in white.parameters():
            w.copy_(torch.randn_like(w) * (2 / w[0].numel()) ** 0.5 if w.ndim > 1
                    else torch.randn_like(w) * 0.1)
    plain.load_state_dict(white.state_dict())
    image = torch.rand(1, 3, 32, 32) * 2 - 1
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 4:20] = 1
    with torch.no_grad():
        ours = white(image * (1 - mask), mask)['output']
        theirs = plain(image * (1 - mask) + mask, mask)['output']
        zeros = plain(image * (1 - mask), mask)['output']
    assert torch.equal(ours, theirs)
    assert (ours - zeros).abs().max() > 1e-3          # the offset matters
    assert load_config(osp.join(REPO, 'configs/aotgan_places_512_mmagic.py')
                       ).model.generator.hole_offset == 1.0
    assert 'hole_offset' not in load_config(osp.join(REPO, 'configs/aotgan_places_512.py')
                                            ).model.generator


def test_mmagic_layout_maps_onto_every_key_and_shape():
    # the source layout, recorded from MMagic's own AOTInpaintor:
    # tests/fixtures/weights/mmagic_aotgan_keys.txt (see its header); shapes only
    from tests.apis.test_convert import random_state, recorded_shapes
    from toolbox.apis import load_config
    from toolbox.apis.convert import convert_state_dict
    from toolbox.registry import MODELS
    cfg = load_config(osp.join(REPO, 'configs/aotgan_places_512_mmagic.py'))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    state = random_state(recorded_shapes('mmagic_aotgan_keys.txt'), device='meta')
    converted, notes = convert_state_dict('mmagic-aotgan', state, model)
    assert set(converted) == set(model.state_dict()) and 'discriminator' not in notes
    vgg = [k for k in state if k.startswith('loss_percep.')]   # the loss's VGG19 copies
    assert len(vgg) == 58 and len(converted) == len(state) - len(vgg) + 1   # + train_steps


def _mmengine_checkpoint(state: dict, path) -> None:
    """A checkpoint as mmengine's Runner writes it for MMagic: meta, state_dict, message_hub
    (HistoryBuffers of numpy arrays), one optimizer per network."""
    from mmengine.logging import HistoryBuffer
    loss = HistoryBuffer()
    loss.update(0.5)
    adam = {'state': {}, 'param_groups': [{'lr': 1e-4, 'betas': (0.0, 0.9), 'params': [0]}]}
    torch.save({'meta': {'mmengine_version': '0.10.7', 'iter': 500000,
                         'experiment_name': 'aot-gan_smpgan_4xb4_places-512x512'},
                'state_dict': state,
                'message_hub': {'log_scalars': {'train/loss': loss},
                                'runtime_info': {'iter': 500000}, 'resumed_keys': {}},
                'optimizer': {'generator': adam, 'disc': adam}, 'param_schedulers': []}, path)


def test_mmagic_checkpoint_converts_and_loads_strictly(tmp_path):
    from tests.apis.test_convert import random_state, recorded_shapes
    from toolbox.apis import convert_weights, init_inpaintor
    shapes = recorded_shapes('mmagic_aotgan_keys.txt')
    state = random_state({k: s for k, s in shapes.items() if not k.startswith('loss_percep.')})
    # the VGG19 copies are not converted: broadcast views keep the file small
    state.update({k: torch.zeros(()).expand(s) for k, s in shapes.items()
                  if k.startswith('loss_percep.')})
    src, dst = tmp_path / 'AOT-GAN_512x512_places.pth', tmp_path / 'converted.pth'
    _mmengine_checkpoint(state, src)
    notes = convert_weights('mmagic-aotgan', str(src), str(dst))
    assert notes['config'] == osp.join('configs', 'aotgan_places_512_mmagic.py')
    model = init_inpaintor(osp.join(REPO, 'configs/aotgan_places_512_mmagic.py'), str(dst))
    assert model.generator.hole_offset == 1.0
    sd = model.state_dict()
    for ours, theirs in [
            ('generator.encoder.1.weight', 'generator.encoder.encoder.1.conv.weight'),
            ('generator.encoder.5.bias', 'generator.encoder.encoder.3.conv.bias'),
            ('generator.middle.7.branches.3.1.weight',
             'generator.dilation_neck.model.7.blocks.3.1.conv.weight'),
            ('generator.middle.2.gate.1.bias', 'generator.dilation_neck.model.2.gate.1.conv.bias'),
            ('generator.middle.0.fuse.1.weight',
             'generator.dilation_neck.model.0.fuse.1.conv.weight'),
            ('generator.decoder.2.conv.weight', 'generator.decoder.decoder.1.conv.weight'),
            ('generator.decoder.4.weight', 'generator.decoder.decoder.2.conv.weight'),
            ('discriminator.conv.0.parametrizations.weight.original',
             'disc.model.0.conv.weight_orig'),
            ('discriminator.conv.6.parametrizations.weight.0._v', 'disc.model.3.conv.weight_v'),
            ('discriminator.conv.4.parametrizations.weight.0._u', 'disc.model.2.conv.weight_u'),
            ('discriminator.conv.8.bias', 'disc.model.4.bias')]:
        assert torch.equal(sd[ours], state[theirs]), ours
    image, mask = torch.rand(1, 3, 64, 64) * 2 - 1, torch.zeros(1, 1, 64, 64)
    mask[..., 16:48, 8:40] = 1
    with torch.no_grad():
        out = model.inpaint(image, mask)
        assert torch.isfinite(out).all()
        assert torch.equal(out[mask.expand_as(out) == 0], image[mask.expand_as(image) == 0])


def test_other_models_checkpoints_are_named():
    from tests.apis.test_convert import random_state, recorded_shapes
    from toolbox.apis.convert import convert_state_dict
    from toolbox.converters import WeightConversionError
    deepfill = random_state(recorded_shapes('mmagic_deepfillv2_keys.txt'), device='meta')
    with pytest.raises(WeightConversionError) as info:
        convert_state_dict('mmagic-aotgan', deepfill, torch.nn.Module(), filename='deepfill.pth')
    msg = str(info.value)
    assert msg.startswith("deepfill.pth is not a 'mmagic-aotgan' checkpoint") and '\n' not in msg
    assert "looks like a 'mmagic-deepfillv2' checkpoint" in msg
    aot = random_state(recorded_shapes('mmagic_aotgan_keys.txt'), device='meta')
    with pytest.raises(WeightConversionError, match="looks like a 'mmagic-aotgan' checkpoint"):
        convert_state_dict('mmagic-deepfillv2', aot, torch.nn.Module())
