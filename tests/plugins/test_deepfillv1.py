"""DeepFill v1 plugin: parameter counts against the authors' TF layer list, the 'tf'
contextual attention against a direct re-implementation of the TF steps, the WGAN-GP
terms, the spatially discounted weights, and the demo through the tools."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage

from tests.utils import REPO, inpaint_box, train_demo
from toolbox.registry import DISCRIMINATORS, GENERATORS, LOSSES
from toolbox.testing import check_model
from toolbox_plugins.deepfillv2.contextual_attention import contextual_attention
from toolbox_plugins.deepfillv1.discriminator import local_boxes
from toolbox_plugins.deepfillv1.layers import SameConv2d
from toolbox_plugins.deepfillv1.losses import discount_weights, hole_distance


pytestmark = pytest.mark.filterwarnings('ignore::UserWarning')


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def _conv(k, cin, cout):
    return k * k * cin * cout + cout


# -- parameter counts ----------------------------------------------------------------------
def test_generator_parameters_equal_the_tf_layer_list():
    c = 32      # build_inpaint_net of generative_inpainting v1.0.0, layer by layer
    coarse = ([(5, 5, c), (3, c, 2 * c), (3, 2 * c, 2 * c), (3, 2 * c, 4 * c)]
              + [(3, 4 * c, 4 * c)] * 8                 # conv5, 6, 7-10 atrous, 11, 12
              + [(3, 4 * c, 2 * c), (3, 2 * c, 2 * c), (3, 2 * c, c), (3, c, c // 2),
                 (3, c // 2, 3)])
    xconv = ([(5, 5, c), (3, c, c), (3, c, 2 * c), (3, 2 * c, 2 * c), (3, 2 * c, 4 * c)]
             + [(3, 4 * c, 4 * c)] * 5)
    pmconv = ([(5, 5, c), (3, c, c), (3, c, 2 * c), (3, 2 * c, 4 * c)]
              + [(3, 4 * c, 4 * c)] * 4)                # pmconv5, 6, 9, 10
    allconv = [(3, 8 * c, 4 * c), (3, 4 * c, 4 * c), (3, 4 * c, 2 * c), (3, 2 * c, 2 * c),
               (3, 2 * c, c), (3, c, c // 2), (3, c // 2, 3)]
    gen = GENERATORS.build(dict(type='DeepFillv1Generator'))
    assert n_params(gen.coarse) == sum(_conv(*x) for x in coarse) == 1_448_227
    assert n_params(gen) == sum(_conv(*x) for x in coarse + xconv + pmconv + allconv) \
        == 3_601_542


def test_critic_parameters_equal_the_tf_layer_list():
    disc = DISCRIMINATORS.build(dict(type='DeepFillv1Critic'))
    local = (_conv(5, 3, 64) + _conv(5, 64, 128) + _conv(5, 128, 256) + _conv(5, 256, 512)
             + 8 * 8 * 512 + 1)
    glob_ = (_conv(5, 3, 64) + _conv(5, 64, 128) + _conv(5, 128, 256) + _conv(5, 256, 256)
             + 16 * 16 * 256 + 1)
    assert n_params(disc.local_critic) + n_params(disc.local_fc) == local == 4_339_329
    assert n_params(disc) == local + glob_ == 7_072_770


def test_same_conv_pads_like_tensorflow():
    conv = SameConv2d(1, 1, 3, stride=2)
    x = torch.randn(1, 1, 8, 10)
    # TF 'SAME' on an even side with stride 2: no padding before, one pixel after
    assert torch.allclose(conv(x), F.conv2d(F.pad(x, (0, 1, 0, 1)), conv.weight, conv.bias,
                                             stride=2))
    dil = SameConv2d(1, 1, 3, dilation=4)
    assert torch.allclose(dil(x), F.conv2d(x, dil.weight, dil.bias, padding=4, dilation=4))
    assert SameConv2d(1, 1, 5, stride=2)(x).shape[2:] == (4, 5)


# -- contextual attention, TF formulation --------------------------------------------------
def _tf_attention(f, b, mask, scale=10.0):
    """The steps of inpaint_ops.contextual_attention (ksize 3, stride 1, rate 2, fuse 3),
    one sample and one patch at a time."""
    bsz, c, H, W = f.shape
    h, w = H // 2, W // 2
    out = torch.zeros_like(f)
    for s in range(bsz):
        fd, bd, md = f[s, :, ::2, ::2], b[s, :, ::2, ::2], mask[s, :, ::2, ::2]
        fp, bp, mp = F.pad(fd, (1, 1, 1, 1)), F.pad(bd, (1, 1, 1, 1)), F.pad(md, (1, 1, 1, 1))
        raw = F.pad(b[s], (1, 1, 1, 1))                        # 4x4 patches, stride 2
        n = h * w
        score = torch.zeros(n, n, dtype=torch.float64)        # [foreground, background]
        mm = torch.zeros(n, dtype=torch.float64)
        for q in range(n):
            qy, qx = divmod(q, w)
            kern = bp[:, qy:qy + 3, qx:qx + 3].double()
            kern = kern / max(float(kern.pow(2).sum().sqrt()), 1e-4)
            mm[q] = float(mp[:, qy:qy + 3, qx:qx + 3].mean() == 0)
            for p in range(n):
                py, px = divmod(p, w)
                score[p, q] = (fp[:, py:py + 3, px:px + 3].double() * kern).sum()

        def fuse(m):                                           # conv2d with eye(3), SAME
            o = m.clone()
            o[1:, 1:] += m[:-1, :-1]
            o[:-1, :-1] += m[1:, 1:]
            return o
        score = fuse(score)
        col = [x * h + y for y in range(h) for x in range(w)]  # row-major -> column-major
        inv = torch.empty(n, dtype=torch.long)
        inv[torch.tensor(col)] = torch.arange(n)
        colmajor = torch.empty_like(score)
        colmajor[torch.tensor(col)[:, None], torch.tensor(col)[None, :]] = score
        score = fuse(colmajor)[torch.tensor(col)[:, None], torch.tensor(col)[None, :]]
        attn = torch.softmax(score * mm * scale, dim=1) * mm
        acc = torch.zeros(c, H + 2, W + 2, dtype=torch.float64)   # conv2d_transpose
        for p in range(n):
            py, px = divmod(p, w)
            for q in range(n):
                qy, qx = divmod(q, w)
                acc[:, 2 * py:2 * py + 4, 2 * px:2 * px + 4] += (
                    attn[p, q] * raw[:, 2 * qy:2 * qy + 4, 2 * qx:2 * qx + 4].double())
        out[s] = (acc[:, 1:-1, 1:-1] / 4).to(f.dtype)
    return out


def test_tf_formulation_equals_the_tf_steps():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(2, 3, 8, 12, generator=g)
    b = torch.randn(2, 3, 8, 12, generator=g)
    mask = torch.zeros(2, 1, 8, 12)
    mask[0, :, 2:6, 3:8] = 1
    mask[1, :, 0:4, 6:12] = 1
    for fg, bg in ((f, b), (f, f)):
        ours, _ = contextual_attention(fg, bg, mask, formulation='tf', return_offsets=False)
        assert torch.allclose(ours, _tf_attention(fg, bg, mask), atol=1e-5)
    # the two documented differences from 'mmagic': softmax over all patches, paste / 4
    mm, _ = contextual_attention(f, b, mask, formulation='mmagic')
    assert not torch.allclose(mm, _tf_attention(f, b, mask), atol=1e-3)


# -- spatial discounting -------------------------------------------------------------------
def test_discount_weights_equal_the_tf_formula_on_a_rectangle():
    gamma, (top, left, hh, ww) = 0.9, (3, 5, 9, 12)
    mask = torch.zeros(1, 1, 20, 24)
    mask[..., top:top + hh, left:left + ww] = 1
    ours = discount_weights(mask, gamma)[0, 0]
    # spatial_discounting_mask over a (HEIGHT, WIDTH) box: the hole grown by one pixel at
    # its top and left, so the box's index i is the hole's row + 1
    H, W = hh + 1, ww + 1
    tf = np.array([[max(gamma ** min(i, H - i), gamma ** min(j, W - j)) for j in range(W)]
                   for i in range(H)])
    assert np.allclose(ours[top:top + hh, left:left + ww].numpy(), tf[1:, 1:])
    assert float(ours[mask[0, 0] == 0].abs().max()) == 0


def test_discount_weights_are_gamma_to_the_distance_for_any_mask():
    rng = np.random.default_rng(0)
    hole = ndimage.binary_dilation(rng.random((30, 40)) > 0.93, iterations=3)
    mask = torch.from_numpy(hole.astype(np.float32))[None, None]
    # distance to the nearest known pixel; the image border counts as known
    dist = ndimage.distance_transform_cdt(np.pad(hole, 1), metric='chessboard')[1:-1, 1:-1]
    assert np.array_equal(hole_distance(mask)[0, 0].numpy(), dist)
    assert dist.max() >= 3
    expected = np.where(hole, 0.99 ** dist, 0.0)
    assert np.allclose(discount_weights(mask, 0.99)[0, 0].numpy(), expected)


def test_spatially_discounted_l1_by_hand():
    loss = LOSSES.build(dict(type='SpatiallyDiscountedL1Loss', gamma=0.5))
    mask = torch.zeros(1, 1, 5, 5)
    mask[..., 1:4, 1:4] = 1                  # distances 1 on the ring, 2 in the centre
    pred, target = torch.full((1, 3, 5, 5), 0.5), torch.zeros(1, 3, 5, 5)
    expected = 3 * 0.5 * (8 * 0.5 + 0.25) / (3 * 9)
    assert float(loss(pred, target, mask)) == pytest.approx(expected)


# -- WGAN-GP -------------------------------------------------------------------------------
def test_wgan_gp_terms_for_a_linear_critic():
    loss = LOSSES.build(dict(type='WGANGPLoss', gp_weight=10.0))
    weight = torch.randn(2, 3, 8, 8)               # two critics, D_k(x) = <w_k, x>

    def judge(image):
        return torch.einsum('bchw,kchw->bk', image, weight)
    real, fake = torch.randn(4, 3, 8, 8), torch.randn(4, 3, 8, 8)
    mask = torch.zeros(4, 1, 8, 8)
    mask[..., 2:6, 2:6] = 1
    terms, log = loss.discriminator_terms(judge, real, fake, dict(mask=mask))
    d = sum((judge(fake)[:, k].mean() - judge(real)[:, k].mean()) for k in range(2))
    assert float(terms['loss_d']) == pytest.approx(float(d), rel=1e-5)
    # the gradient of a linear critic is w_k wherever it is taken: the penalty is exact
    gp = sum((float((weight[k] ** 2 * mask[0]).sum().sqrt()) - 1) ** 2 for k in range(2))
    assert float(terms['loss_gp']) == pytest.approx(10 * gp, rel=1e-5)
    assert float(loss.generator_terms(judge, fake, real, dict(mask=mask))) == pytest.approx(
        -float(judge(fake).mean(0).sum()), rel=1e-5)


# -- critics -------------------------------------------------------------------------------
def test_local_box_is_the_hole_grown_to_local_size():
    mask = torch.zeros(3, 1, 64, 64)
    mask[0, :, 16:48, 8:40] = 1                  # exactly 32 x 32
    mask[1, :, 20:30, 50:60] = 1                 # small, near the right border
    mask[2, :, 2:60, 4:20] = 1                   # taller than the box
    assert local_boxes(mask, 32).tolist() == [[8, 16, 40, 48], [32, 9, 64, 41],
                                              [0, 2, 32, 60]]
    disc = DISCRIMINATORS.build(dict(type='DeepFillv1Critic', image_size=64, local_size=32,
                                     cnum=4))
    image = torch.randn(3, 3, 64, 64)
    out = disc(image, mask)
    assert out.shape == (3, 2)
    alone = disc.local_fc(disc.local_critic(image[:1, :, 16:48, 8:40]))
    assert torch.allclose(out[:1, :1], alone, atol=1e-5)      # pixel-exact crop
    with pytest.raises(ValueError, match='built for 64x64'):
        disc(torch.randn(1, 3, 32, 32), torch.zeros(1, 1, 32, 32))


def test_paper_config_follows_the_authors_settings():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs/deepfillv1_places_256.py'))
    losses = {(l['type'], l['outputs']): l for l in cfg.model.losses
              if 'outputs' in l}
    assert losses[('SpatiallyDiscountedL1Loss', 'coarse')]['loss_weight'] == 1.44
    assert losses[('SpatiallyDiscountedL1Loss', 'output')]['loss_weight'] == 1.2
    assert losses[('SpatiallyDiscountedL1Loss', 'output')]['gamma'] == 0.99
    assert losses[('L1Loss', 'output')]['hole_weight'] == 0.0
    gan = cfg.model.losses[-1]
    assert (gan['type'], gan['loss_weight'], gan['gp_weight']) == ('WGANGPLoss', 0.001, 10.0)
    assert cfg.model.disc_steps == 5 and cfg.model.generator.attention == 'tf'
    assert cfg.optim_wrapper.generator.optimizer.betas == (0.5, 0.9)
    assert cfg.optim_wrapper.discriminator.optimizer.lr == 1e-4


# -- the model -----------------------------------------------------------------------------
TINY = dict(
    generator=dict(type='DeepFillv1Generator', cnum=4),
    discriminator=dict(type='DeepFillv1Critic', image_size=32, local_size=16, cnum=4),
    losses=[dict(type='SpatiallyDiscountedL1Loss', outputs=('coarse', 'output')),
            dict(type='L1Loss', outputs=('coarse', 'output'), hole_weight=0.0),
            dict(type='WGANGPLoss', loss_weight=0.001)],
    disc_steps=2)


def test_model_contract_and_stage_outputs():
    model = check_model('GANInpaintor', TINY, size=32)
    with torch.no_grad():
        out = model.generator(torch.zeros(1, 3, 32, 32), torch.ones(1, 1, 32, 32))
    assert set(out) == {'coarse', 'output'} and out['output'].abs().max() <= 1
    with pytest.raises(ValueError, match='attention must be one of'):
        GENERATORS.build(dict(type='DeepFillv1Generator', attention='cosine'))


@pytest.mark.slow
def test_demo_trains_and_inpaints_through_the_tools(tmp_path, demo_root):
    train_demo('configs/demo/deepfillv1_demo.py', tmp_path / 'work', 3, data_root=demo_root)
    image = sorted(glob.glob(osp.join(demo_root, 'val', '*.png')))[0]
    written, original, mask = inpaint_box('configs/demo/deepfillv1_demo.py',
                                          tmp_path / 'work' / 'iter_3.pth', image,
                                          np.s_[60:140, 80:200], str(tmp_path))
    assert not np.array_equal(written[mask > 0], original[mask > 0])


def test_toolbox_list_shows_the_components(capsys):
    from toolbox.cli import main as toolbox_main
    assert toolbox_main(['list']) == 0
    rows = {tuple(line.split()[:3]) for line in capsys.readouterr().out.splitlines()}
    for kind, name in (('generators', 'DeepFillv1Generator'),
                       ('discriminators', 'DeepFillv1Critic'),
                       ('losses', 'WGANGPLoss'), ('losses', 'SpatiallyDiscountedL1Loss')):
        assert (kind, name, 'deepfillv1') in rows
