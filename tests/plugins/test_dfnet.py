"""DFNet plugin: the authors' parameter count, the fusion block's alpha composition, the
multi-scale outputs and losses (targets resized by the engine), the TV loss by hand, and
the demo through the tools."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tests.utils import REPO, inpaint_box, train_demo
from toolbox.registry import GENERATORS, MODELS
from toolbox.testing import check_model
from toolbox_plugins.dfnet.fusion import FusionBlock, SameConv
from toolbox_plugins.dfnet.losses import TotalVariationLoss, tv_gradient

pytestmark = pytest.mark.filterwarnings('ignore::UserWarning')


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_parameter_count_equals_the_authors_code():
    # counted on hughplay/DFNet's DFNet() (its config.yaml: en_ksize 7,5,5,3,3,3,3,3,
    # de_ksize 3 x 8, c_alpha 3, blend_layers 0..5), built side by side
    with torch.device('meta'):
        gen = GENERATORS.build(dict(type='DFNetGenerator'))
    assert n_params(gen) == 32_880_504
    assert len(gen.encoder) == 8 and len(gen.fusion) == 6
    # one fusion block on 64 features: 1x1 64->3, blend 6->32 (1x1), BN, 32->3 (3x3), BN, 3->3
    assert n_params(FusionBlock(64, 3)) == (64 * 3 + 3) + (6 * 32 + 32) + 64 + \
        (32 * 3 * 9 + 3) + 6 + (3 * 3 + 3)


def test_same_padding_as_tensorflow():
    conv = SameConv(1, 1, 7, 2)
    assert conv.pad == (2, 3, 2, 3)
    assert conv(torch.zeros(1, 1, 32, 32)).shape[-2:] == (16, 16)
    assert SameConv(1, 1, 3, 1)(torch.zeros(1, 1, 5, 7)).shape[-2:] == (5, 7)


def test_fusion_output_is_the_alpha_composition():
    torch.manual_seed(0)
    block = FusionBlock(8, 3).eval()
    image = torch.rand(2, 3, 16, 16) * 2 - 1
    features = torch.randn(2, 8, 8, 8)
    with torch.no_grad():
        result, alpha, raw = block(image, features)
        small = F.interpolate(image, (8, 8), mode='bilinear', align_corners=False)
        expected_raw = torch.tanh(block.to_image(features))
        expected_alpha = block.blend(torch.cat([small, expected_raw], 1))
    assert torch.allclose(raw, expected_raw) and torch.allclose(alpha, expected_alpha)
    assert torch.allclose(result, alpha * raw + (1 - alpha) * small, atol=1e-6)
    assert alpha.shape == (2, 3, 8, 8) and 0 < float(alpha.min()) and float(alpha.max()) < 1
    # known tensors: alpha forced to 1 gives the raw image, to 0 the resized input
    with torch.no_grad():
        block.blend[-2].conv.weight.zero_()
        block.blend[-2].conv.bias.fill_(50.0)
        assert torch.allclose(block(image, features)[0], raw, atol=1e-6)
        block.blend[-2].conv.bias.fill_(-50.0)
        assert torch.allclose(block(image, features)[0], small, atol=1e-6)


def test_multi_scale_outputs():
    gen = GENERATORS.build(dict(type='DFNetGenerator', base_channels=4,
                                encoder_kernels=(3, 3, 3, 3), num_fusion=3)).eval()
    out = gen(torch.zeros(1, 3, 32, 48), torch.zeros(1, 1, 32, 48))
    assert {k: tuple(v.shape[-2:]) for k, v in out.items()} == {
        'output': (32, 48), 'output_s2': (16, 24), 'output_s4': (8, 12),
        'alpha': (32, 48), 'raw': (32, 48)}
    with pytest.raises(ValueError, match='multiples of 16'):
        gen(torch.zeros(1, 3, 24, 48), torch.zeros(1, 1, 24, 48))


def test_tv_loss_by_hand():
    x = torch.tensor([[1., 2.], [4., 8.]]).view(1, 1, 2, 2)
    # g(i, j) = x(i-1, j) + x(i, j-1) - 2 x(i, j), zeros outside
    g = torch.tensor([[0 + 0 - 2, 0 + 1 - 4], [1 + 0 - 8, 2 + 4 - 16]]).float()
    assert torch.equal(tv_gradient(x)[0, 0], g)
    mask = torch.tensor([[0., 1.], [1., 1.]]).view(1, 1, 2, 2)
    loss = TotalVariationLoss()
    assert float(loss(x, x, mask)) == pytest.approx((3 + 7 + 10) / 4)
    rgb = x.expand(1, 3, 2, 2)
    assert float(loss(rgb, rgb, mask)) == pytest.approx((3 + 7 + 10) / 4)


def _tiny_model(losses):
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='DFNetGenerator', base_channels=4, encoder_kernels=(3, 3),
                       num_fusion=2),
        losses=losses))


def test_losses_at_smaller_scales_use_the_resized_target():
    model = _tiny_model([dict(type='L1Loss', outputs=('output', 'output_s2')),
                         dict(type='TotalVariationLoss', outputs=('output_s2',))])
    gt = torch.rand(1, 3, 8, 8) * 2 - 1
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., 2:6, 2:6] = 1
    outputs = {'output': torch.zeros(1, 3, 8, 8), 'output_s2': torch.zeros(1, 3, 4, 4)}
    losses = model._reconstruction_losses(dict(gt=gt, mask=mask), outputs)
    small_gt = F.interpolate(gt, (4, 4), mode='bilinear', align_corners=False)
    small_mask = F.interpolate(mask, (4, 4), mode='bilinear', align_corners=False)
    assert torch.allclose(losses['loss_L1Loss_output'], gt.abs().mean())
    assert torch.allclose(losses['loss_L1Loss_output_s2'], small_gt.abs().mean())
    assert torch.allclose(losses['loss_TotalVariationLoss_output_s2'],
                          (tv_gradient(outputs['output_s2']) * small_mask).abs().mean())


def test_paper_config_weights():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs/dfnet_places_512.py'))
    by_type = {c['type']: c for c in cfg.model.losses}
    scales = ('output', 'output_s2', 'output_s4')
    assert by_type['L1Loss']['outputs'] == scales + ('output_s8', 'output_s16', 'output_s32')
    # the authors' sums over scales divided by the number of scales, times 6, 0.1, 240, 0.1
    assert by_type['L1Loss']['loss_weight'] == pytest.approx(6 / 6)
    for name, w in (('VGGFeatureMatchingLoss', 0.1), ('StyleLoss', 240.0),
                    ('TotalVariationLoss', 0.1)):
        assert tuple(by_type[name]['outputs']) == scales
        assert by_type[name]['loss_weight'] == pytest.approx(w / 3)


def test_tiny_model_trains(one_thread):
    check_model('GANInpaintor', dict(
        generator=dict(type='DFNetGenerator', **GENERATORS.get('DFNetGenerator').tiny_cfg),
        losses=[dict(type='L1Loss', outputs=('output', 'output_s2')),
                dict(type='TotalVariationLoss', outputs=('output', 'output_s2'))]))


@pytest.mark.slow
def test_demo_trains_and_inpaints_through_the_tools(tmp_path, demo_root):
    train_demo('configs/demo/dfnet_demo.py', tmp_path / 'work', 2, data_root=demo_root)
    image = sorted(glob.glob(osp.join(demo_root, 'val', '*.png')))[0]
    written, original, mask = inpaint_box('configs/demo/dfnet_demo.py',
                                          tmp_path / 'work' / 'iter_2.pth', image,
                                          np.s_[100:200, 150:300], str(tmp_path))
    assert not np.array_equal(written[mask > 0], original[mask > 0])
