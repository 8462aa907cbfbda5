"""Partial Convolutions plugin: the re-normalised partial convolution by hand, the U-Net's
parameter counts, the loss terms on known inputs, frozen encoder batch norm, the binned
irregular masks, and the demo through the tools."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from tests.utils import REPO, inpaint_box, train_demo
from toolbox.registry import GENERATORS, LOSSES, MASK_GENERATORS
from toolbox.testing import check_model, tiny_optimizers, tiny_batch
from toolbox_plugins.pconv.losses import dilated_hole_tv, gram
from toolbox_plugins.pconv.masks import PCONV_BINS
from toolbox_plugins.pconv.partial_conv import PartialConv2d


pytestmark = pytest.mark.filterwarnings('ignore::UserWarning')


def n_params(module):
    return sum(p.numel() for p in module.parameters())


# -- the partial convolution ---------------------------------------------------------------
def test_partial_conv_on_a_half_masked_input_equals_the_formula():
    conv = PartialConv2d(2, 1, 3, padding=1, bias=True)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 2, 4, 6, generator=g)
    mask = torch.zeros(1, 1, 4, 6)
    mask[..., :, :3] = 1                          # left half valid
    out, new = conv(x, mask)
    w, b = conv.weight[0].detach(), float(conv.bias)
    xp, mp = F.pad(x[0], (1, 1, 1, 1)), F.pad(mask[0].expand(2, -1, -1), (1, 1, 1, 1))
    for i in range(4):
        for j in range(6):
            xs, ms = xp[:, i:i + 3, j:j + 3], mp[:, i:i + 3, j:j + 3]
            valid = float(ms.sum())
            if valid == 0:
                expected, m = 0.0, 0.0
            else:                                 # W^T (X * M) * sum(1) / sum(M) + b
                expected, m = float((w * xs * ms).sum()) * 18 / valid + b, 1.0
            assert float(out[0, 0, i, j]) == pytest.approx(expected, abs=1e-5)
            assert float(new[0, 0, i, j]) == m
    # the updated mask: 1 wherever any input of the window was valid
    assert torch.equal(new, F.max_pool2d(mask, 3, stride=1, padding=1))
    assert new[0, 0, :, :4].eq(1).all() and new[0, 0, :, 4:].eq(0).all()


def test_partial_conv_per_channel_mask_and_all_valid_is_plain_conv():
    conv = PartialConv2d(3, 4, 5, stride=2, padding=2, bias=False)
    x = torch.randn(2, 3, 8, 8)
    ones = torch.ones(2, 1, 8, 8)
    out, _ = conv(x, ones)
    # inside, the window is all valid: a plain convolution; at the border the zero
    # padding counts as a hole and the response is scaled up
    plain = F.conv2d(x, conv.weight, stride=2, padding=2)
    assert torch.allclose(out[..., 1:-1, 1:-1], plain[..., 1:-1, 1:-1], atol=1e-5)
    per_channel = torch.ones(2, 3, 8, 8)
    per_channel[:, 0, :4] = 0
    a, ma = conv(x, per_channel)
    b = F.conv2d(x * per_channel, conv.weight, stride=2, padding=2)
    counts = F.conv2d(per_channel, torch.ones(1, 3, 5, 5), stride=2, padding=2)
    assert torch.allclose(a, b * 75 / counts, atol=1e-5) and ma.eq(1).all()


# -- the U-Net -----------------------------------------------------------------------------
@pytest.mark.parametrize('layers, expected', [(7, 25_779_796), (8, 32_859_732)])
def test_unet_parameter_counts_equal_the_reference_reimplementation(layers, expected):
    # naoto0804/pytorch-inpainting-with-partial-conv PConvUNet(layer_size=...), trainable
    gen = GENERATORS.build(dict(type='PConvUNet', layer_size=layers))
    assert n_params(gen) == expected
    kernels = [b.conv.kernel_size[0] for b in gen.encoder]
    assert kernels == [7, 5, 5] + [3] * (layers - 3)
    assert [b.conv.out_channels for b in gen.encoder] == [64, 128, 256] + [512] * (layers - 3)
    assert gen.size_multiple == 2 ** layers
    biased = [b.conv.bias is not None for b in [*gen.encoder, *gen.decoder]]
    assert biased == [False] * layers + [True] + [False] * (layers - 1)   # decoder[0]: RGB
    assert gen.encoder[0].bn is None and gen.decoder[0].bn is None
    assert all(b.bn is not None for b in [*gen.encoder[1:], *gen.decoder[1:]])


# -- the loss ------------------------------------------------------------------------------
def test_tv_on_the_dilated_hole_by_hand():
    image = torch.arange(36, dtype=torch.float32).view(1, 1, 6, 6) ** 2 / 100
    mask = torch.zeros(1, 1, 6, 6)
    mask[..., 2, 2] = 1                    # one hole pixel: P is rows/cols 1..3
    im = image[0, 0]
    total = sum(abs(float(im[i, j + 1] - im[i, j])) for i in range(1, 4) for j in range(1, 3))
    total += sum(abs(float(im[i + 1, j] - im[i, j])) for i in range(1, 3) for j in range(1, 4))
    assert float(dilated_hole_tv(image, mask)) == pytest.approx(total / 36)
    loss = LOSSES.build(dict(type='DilatedHoleTVLoss'))
    # the loss reads the composite: known pixels come from the target
    pred = torch.zeros_like(image)
    comp = image.clone()
    comp[..., 2, 2] = 0
    assert float(loss(pred, image, mask)) == pytest.approx(float(dilated_hole_tv(comp, mask)))


def test_style_and_perceptual_terms_by_hand():
    feat = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, 1.0]]]])
    assert torch.allclose(gram(feat), torch.tensor([[[30.0, 6.0], [6.0, 2.0]]]) / 8)
    style = LOSSES.build(dict(type='PConvStyleLoss', pretrained=False))
    perc = LOSSES.build(dict(type='PConvPerceptualLoss', pretrained=False))
    batch = tiny_batch(size=32)
    gt, mask = batch['gt'], batch['mask']
    assert float(style(gt, gt, mask)) == 0 and float(perc(gt, gt, mask)) == 0
    pred = gt + 0.5 * (1 - mask)           # wrong only outside the hole: I_comp = I_gt
    vgg = perc._vgg
    expected_p = sum(F.l1_loss(o, r) for o, r in zip(vgg(pred), vgg(gt)))
    expected_s = sum(F.l1_loss(gram(o), gram(r)) for o, r in zip(vgg(pred), vgg(gt)))
    assert float(perc(pred, gt, mask)) == pytest.approx(float(expected_p), rel=1e-5)
    assert float(style(pred, gt, mask)) == pytest.approx(float(expected_s), rel=1e-5)
    assert [f.shape[1] for f in vgg(gt)] == [64, 128, 256]        # pool1..pool3


def test_paper_config_loss_weights_and_finetune_phase():
    cfg = Config.fromfile(osp.join(REPO, 'configs/pconv_places_512.py'))
    weights = {(l['type'], l.get('hole_weight')): l.get('loss_weight', 1.0)
               for l in cfg.model.losses}
    assert weights == {('L1Loss', 6.0): 1.0, ('PConvPerceptualLoss', None): 0.05,
                       ('PConvStyleLoss', None): 120.0, ('DilatedHoleTVLoss', None): 0.1}
    assert cfg.model.losses[0]['valid_weight'] == 1.0 and cfg.model.generator.layer_size == 8
    fine = Config.fromfile(osp.join(REPO, 'configs/pconv_places_512_finetune.py'))
    assert fine.model.generator.freeze_encoder_bn is True
    assert fine.optim_wrapper.generator.optimizer.lr == 5e-5
    assert cfg.optim_wrapper.generator.optimizer.lr == 2e-4


def test_frozen_encoder_bn_in_a_finetune_step():
    cfg = dict(generator=dict(type='PConvUNet', layer_size=3, base_channels=4,
                              freeze_encoder_bn=True),
               losses=[dict(type='L1Loss', hole_weight=6.0)])
    model = check_model('GANInpaintor', cfg, size=16)
    model.train()
    gen = model.generator
    enc = [b.bn for b in gen.encoder if b.bn is not None]
    dec = [b.bn for b in gen.decoder if b.bn is not None]
    assert enc and dec and all(not bn.training for bn in enc) and all(bn.training for bn in dec)
    before = {k: v.clone() for k, v in gen.state_dict().items()}
    batch = tiny_batch(size=16)
    from toolbox.testing import _packed
    model.train_step(_packed(batch, ()), tiny_optimizers(model))
    after = gen.state_dict()
    for i, block in enumerate(gen.encoder):
        if block.bn is not None:
            for key in ('running_mean', 'running_var', 'weight', 'bias'):
                name = f'encoder.{i}.bn.{key}'
                assert torch.equal(before[name], after[name]), name
    changed = [f'decoder.{i}.bn.running_mean' for i, b in enumerate(gen.decoder)
               if b.bn is not None
               and not torch.equal(before[f'decoder.{i}.bn.running_mean'],
                                   after[f'decoder.{i}.bn.running_mean'])]
    assert len(changed) == len(dec)
    # without the option the encoder's statistics move
    free = GENERATORS.build(dict(type='PConvUNet', layer_size=3, base_channels=4)).train()
    stats = free.encoder[1].bn.running_mean.clone()
    free(batch['gt'], batch['mask'])
    assert not torch.equal(stats, free.encoder[1].bn.running_mean)


# -- masks ---------------------------------------------------------------------------------
@pytest.mark.parametrize('low, high', PCONV_BINS)
def test_binned_masks_fall_in_their_bin(low, high):
    gen = MASK_GENERATORS.build(dict(type='BinnedIrregularMask', bins=(low, high)))
    rng = np.random.default_rng(1)
    ratios = [float(gen((96, 128), rng).mean()) for _ in range(8)]
    assert all(low < r <= high for r in ratios), ratios
    assert max(ratios) - min(ratios) > 0


def test_border_free_masks_and_bin_choice():
    gen = MASK_GENERATORS.build(dict(type='BinnedIrregularMask', margin=0.1))
    rng = np.random.default_rng(2)
    seen = set()
    for _ in range(30):
        m = gen((100, 100), rng)
        assert m[:10].sum() == m[-10:].sum() == m[:, :10].sum() == m[:, -10:].sum() == 0
        seen.add(next(i for i, (lo, hi) in enumerate(PCONV_BINS) if lo < m.mean() <= hi))
    assert len(seen) >= 4                  # the six bins are drawn uniformly
    with pytest.raises(ValueError, match='bins'):
        MASK_GENERATORS.build(dict(type='BinnedIrregularMask', bins=((0.3, 0.2),)))


# -- the demo ------------------------------------------------------------------------------
@pytest.mark.slow
def test_demo_trains_and_inpaints_through_the_tools(tmp_path, demo_root):
    train_demo('configs/demo/pconv_demo.py', tmp_path / 'work', 3, data_root=demo_root)
    image = sorted(glob.glob(osp.join(demo_root, 'val', '*.png')))[0]
    written, original, mask = inpaint_box('configs/demo/pconv_demo.py',
                                          tmp_path / 'work' / 'iter_3.pth', image,
                                          np.s_[60:140, 80:200], str(tmp_path))
    assert not np.array_equal(written[mask > 0], original[mask > 0])


def test_toolbox_list_shows_the_components(capsys):
    from toolbox.cli import main as toolbox_main
    assert toolbox_main(['list']) == 0
    rows = {tuple(line.split()[:3]) for line in capsys.readouterr().out.splitlines()}
    for kind, name in (('generators', 'PConvUNet'), ('losses', 'PConvPerceptualLoss'),
                       ('losses', 'PConvStyleLoss'), ('losses', 'DilatedHoleTVLoss'),
                       ('mask_generators', 'BinnedIrregularMask')):
        assert (kind, name, 'pconv') in rows
