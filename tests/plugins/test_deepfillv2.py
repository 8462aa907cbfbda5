"""DeepFill v2 plugin: gated convolution, contextual attention, generator, discriminator,
sketch guidance, configs and the inpainting CLI."""
from __future__ import annotations

import os.path as osp
from contextlib import nullcontext

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from toolbox.nn.contextual_attention import contextual_attention, offsets_to_rgb
from toolbox.registry import DISCRIMINATORS, GENERATORS, MODELS, TRANSFORMS
from toolbox_plugins.deepfillv2.gated_conv import GatedConv2d, GatedUpConv2d

from ..utils import REPO, run_python

DEMO_CFG = osp.join(REPO, 'configs', 'deepfillv2', 'demo.py')
SKETCH_CFG = osp.join(REPO, 'configs', 'deepfillv2', 'demo_sketch.py')

pytestmark = pytest.mark.usefixtures('one_thread')


def _tiny_generator(**kw):
    return GENERATORS.build(dict(type='DeepFillv2Generator', cnum=8, **kw))


# -- gated convolution ----------------------------------------------------------------------

@pytest.mark.parametrize('stride,dilation,activation', [(1, 1, 'elu'), (2, 1, 'elu'),
                                                        (1, 4, 'relu'), (1, 2, None),
                                                        (1, 1, 'leaky_relu')])
def test_gated_conv_equals_two_convolutions(stride, dilation, activation):
    torch.manual_seed(0)
    layer = GatedConv2d(5, 7, 3, stride=stride, dilation=dilation, activation=activation)
    assert layer.conv.out_channels == 14            # one convolution, 2 x C outputs
    feat = torch.nn.Conv2d(5, 7, 3, stride=stride, padding=dilation, dilation=dilation)
    gate = torch.nn.Conv2d(5, 7, 3, stride=stride, padding=dilation, dilation=dilation)
    with torch.no_grad():
        feat.weight.copy_(layer.conv.weight[:7]), feat.bias.copy_(layer.conv.bias[:7])
        gate.weight.copy_(layer.conv.weight[7:]), gate.bias.copy_(layer.conv.bias[7:])
    x = torch.randn(2, 5, 12, 16)
    act = {'elu': F.elu, 'relu': F.relu, 'leaky_relu': lambda t: F.leaky_relu(t, 0.2),
           None: lambda t: t}[activation]
    with torch.no_grad():
        expected = act(feat(x)) * torch.sigmoid(gate(x))
    # training (autograd) and inference (gating in place) paths alike
    for context in (nullcontext, torch.no_grad, torch.inference_mode):
        with context():
            torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('channels_last', [False, True])
def test_gated_conv_gradients_equal_the_plain_formula(channels_last):
    """The ELU gate's own backward (output / sigmoid instead of saved activations) gives
    autograd's gradients of ``elu(feature) * sigmoid(gate)``; gates far below zero
    (sigmoid = 0) give zero gradients, not NaN; a double backward raises."""
    torch.manual_seed(0)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    layer = GatedConv2d(5, 7, 3).to(memory_format=fmt)
    with torch.no_grad():
        layer.conv.bias[7:9] = -200.0                  # gate underflows: sigmoid = 0
    x = torch.randn(2, 5, 12, 16).contiguous(memory_format=fmt).requires_grad_()
    w = torch.linspace(-1, 1, 2 * 7 * 12 * 16).view(2, 7, 12, 16)
    grads = []
    for fast in (True, False):
        layer.zero_grad()
        if fast:
            y = layer(x)
        else:
            f, g = layer.conv(x).split(7, dim=1)
            y = F.elu(f) * torch.sigmoid(g)
        gx, = torch.autograd.grad((y * w).sum(), x, create_graph=True)
        if fast:
            with pytest.raises(RuntimeError):
                torch.autograd.grad((gx ** 2).sum(), x, retain_graph=True)
        (y * w).sum().backward()
        grads.append((y.detach(), gx.detach(), layer.conv.weight.grad.clone(),
                      layer.conv.bias.grad.clone()))
    for name, fast, plain in zip(('y', 'dx', 'dw', 'db'), *grads):
        assert torch.isfinite(fast).all(), name
        torch.testing.assert_close(fast, plain, rtol=1e-5, atol=1e-6, msg=name)


def test_inference_elu_keeps_bf16_accuracy_near_zero():
    """The inference gating's ELU (exp - 1, not torch's expm1) on the strided feature half
    of a channels-last bf16 map: within bf16 rounding of the exact ELU, also for the small
    negative values where exp(x) - 1 taken in bf16 cancels."""
    torch.manual_seed(0)
    y = (torch.randn(2, 16, 6, 7) * torch.logspace(-3, 0.5, 16)[:, None, None]).to(
        torch.bfloat16).contiguous(memory_format=torch.channels_last)
    layer = GatedConv2d(3, 8, 3)
    with torch.inference_mode():
        got = layer._gate(y.clone(memory_format=torch.channels_last)).float()
    f, g = y.float().split(8, dim=1)
    expected = F.elu(f) * torch.sigmoid(g)
    torch.testing.assert_close(got, expected, rtol=2e-2, atol=1e-6)


def test_gated_up_conv_resizes_then_gates():
    torch.manual_seed(0)
    layer = GatedUpConv2d(4, 3)
    x = torch.randn(1, 4, 5, 6)
    up = F.interpolate(x, scale_factor=2, mode='nearest')
    y = F.conv2d(up, layer.conv.weight, layer.conv.bias, padding=1)
    torch.testing.assert_close(layer(x), F.elu(y[:, :3]) * torch.sigmoid(y[:, 3:]))
    assert layer(x).shape == (1, 3, 10, 12)


@pytest.mark.parametrize('padding_mode', ['zeros', 'reflect'])
@pytest.mark.parametrize('channels_last', [False, True])
def test_subpixel_up_conv_equals_upsample_then_conv(padding_mode, channels_last):
    """The sub-pixel form (four 2x2 convolutions of the input) gives the literal nearest
    x2 up-sampling + 3x3 convolution, values and gradients, for both padding modes."""
    torch.manual_seed(0)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    layer = GatedUpConv2d(6, 5, padding_mode=padding_mode).to(memory_format=fmt)
    assert layer.subpixel
    x = torch.randn(2, 6, 7, 9).contiguous(memory_format=fmt).requires_grad_()
    results = []
    for subpixel in (True, False):
        layer.subpixel = subpixel
        layer.zero_grad()
        x.grad = None
        y = layer(x)
        (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
        results.append((y.detach(), x.grad.clone(), layer.conv.weight.grad.clone()))
    for fast, literal in zip(*results):   # gradients are sums of many products: relative
        torch.testing.assert_close(fast, literal, rtol=1e-5, atol=1e-5)
    assert results[0][0].shape == (2, 5, 14, 18)
    with torch.inference_mode():
        layer.subpixel = True
        torch.testing.assert_close(layer(x), results[1][0], rtol=0, atol=1e-5)


def test_generator_with_subpixel_up_convs_matches_the_literal_form():
    torch.manual_seed(0)
    gen = _tiny_generator().eval()
    ups = [m for m in gen.modules() if isinstance(m, GatedUpConv2d)]
    assert len(ups) == 4 and all(m.subpixel for m in ups)
    image, mask = torch.rand(1, 3, 32, 32) * 2 - 1, torch.zeros(1, 1, 32, 32)
    mask[..., 8:20, 10:24] = 1
    with torch.inference_mode():
        fast = gen(image * (1 - mask), mask)
        for m in ups:
            m.subpixel = False
        literal = gen(image * (1 - mask), mask)
    for key in ('coarse', 'output'):
        torch.testing.assert_close(fast[key], literal[key], rtol=0, atol=1e-5)


def test_plain_output_layer_has_no_gate_and_no_activation():
    layer = GatedConv2d(6, 3, 3, activation=None, gated=False)
    x = torch.randn(1, 6, 8, 8)
    assert layer.conv.out_channels == 3
    torch.testing.assert_close(layer(x), layer.conv(x))


# -- contextual attention -------------------------------------------------------------------

def _copied_scene(seed: int, size=(32, 40), src=(2, 4), dst=(16, 20), block=12, hole=4):
    """Random features where a block is a copy of another one; the hole lies inside the copy."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, 16, *size, generator=g)
    (sy, sx), (dy, dx) = src, dst
    x[..., dy:dy + block, dx:dx + block] = x[..., sy:sy + block, sx:sx + block]
    mask = torch.zeros(1, 1, *size)
    o = (block - hole) // 2
    mask[..., dy + o:dy + o + hole, dx + o:dx + o + hole] = 1
    return x, mask


def test_contextual_attention_reproduces_a_copied_hole_exactly():
    # Two samples with different sources and offsets, in one batch: no cross-talk.
    x0, m0 = _copied_scene(0, src=(2, 4), dst=(16, 20))
    x1, m1 = _copied_scene(1, src=(18, 2), dst=(4, 24))
    x, mask = torch.cat([x0, x1]), torch.cat([m0, m1])
    out, offsets = contextual_attention(x, x, mask)        # scale 10, 3x3 fuse, rate 2
    assert out.shape == x.shape and offsets.shape == (2, 2, 16, 20)
    hole = mask.bool().expand_as(x)
    assert (out - x)[hole].abs().max() < 1e-4
    # the hole's centre attends to the source: offsets are (src - dst) / rate
    assert offsets[0, :, 10, 12].tolist() == [-7, -8]
    assert offsets[1, :, 4, 15].tolist() == [7, -11]
    # known pixels far from the hole reproduce themselves (their own patch is valid)
    torch.testing.assert_close(out[..., :, :2], x[..., :, :2], atol=1e-4, rtol=0)
    rgb = offsets_to_rgb(offsets)
    assert rgb.shape == (2, 3, 16, 20) and 0 <= rgb.min() and rgb.max() <= 1


def _dense_contextual_attention(f, b, mask, scale, rate=2, k=3, fuse=3):
    """The plain formulation, one sample at a time, as the papers describe it: normalised
    k x k background patches as convolution kernels, propagation as a sum over the 4-D
    score tensor's diagonals, a softmax over the known patches, and a transposed
    convolution with the raw 2r x 2r patches divided by their overlap."""
    outs = []
    for i in range(f.shape[0]):
        fd, bd = f[i:i + 1, :, ::rate, ::rate], b[i:i + 1, :, ::rate, ::rate]
        c, h, w = bd.shape[1:]
        n = h * w
        kern = F.unfold(bd, k, padding=k // 2)[0].t()                  # [L, C*k*k]
        kern = kern / kern.norm(dim=1, keepdim=True).clamp_min(1e-4)
        fnorm = F.unfold(fd, k, padding=k // 2).norm(dim=1).clamp_min(1e-4).view(1, 1, h, w)
        s = F.conv2d(fd, kern.view(n, c, k, k), padding=k // 2) / fnorm * scale  # [1,L,h,w]
        e = fuse // 2
        s4 = F.pad(s.view(h, w, h, w), [e] * 8)
        fused = sum(s4[e + dy:e + dy + h, e + dx:e + dx + w, e + dy:e + dy + h, e + dx:e + dx + w]
                    for dy in range(-e, e + 1) for dx in range(-e, e + 1))
        md = F.max_pool2d(F.max_pool2d(mask[i:i + 1], rate), k, stride=1, padding=k // 2)
        valid = (md == 0).view(n, 1, 1)
        if not valid.any():
            outs.append(torch.zeros_like(b[i:i + 1]))
            continue
        attn = torch.softmax(fused.reshape(n, h, w).masked_fill(~valid, float('-inf')), dim=0)
        raw = F.unfold(b[i:i + 1], 2 * rate, stride=rate, padding=rate // 2)[0].t()
        raw = raw.reshape(n, c, 2 * rate, 2 * rate)
        paste = F.conv_transpose2d(attn[None], raw, stride=rate, padding=rate // 2)
        cover = F.conv_transpose2d(torch.ones(1, 1, h, w), torch.ones(1, 1, 2 * rate, 2 * rate),
                                   stride=rate, padding=rate // 2)
        outs.append(paste / cover)
    return torch.cat(outs)


def test_contextual_attention_equals_the_plain_formulation():
    # A soft softmax (scale 1) so that every patch contributes; four samples: a small hole,
    # no hole, a large hole and no known patch at all (the batch mixes their patch counts).
    torch.manual_seed(0)
    b = torch.randn(4, 6, 20, 24)
    f = torch.randn(4, 6, 20, 24)
    mask = torch.zeros(4, 1, 20, 24)
    mask[0, :, 6:10, 8:14] = 1
    mask[2, :, 2:18, 3:20] = 1
    mask[3] = 1
    for fg, chunk in ((b, 1 << 26), (f, 1 << 26), (f, 700)):
        expected = _dense_contextual_attention(fg, b, mask, scale=1.0)
        out, offsets = contextual_attention(fg, b, mask, softmax_scale=1.0, max_elements=chunk)
        torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)
        assert offsets[3].abs().max() == 0
    # without a mask every patch is used
    out, _ = contextual_attention(f, b, None, softmax_scale=1.0)
    torch.testing.assert_close(out, _dense_contextual_attention(f, b, 0 * mask, scale=1.0),
                               rtol=1e-4, atol=1e-5)


def test_contextual_attention_gradients():
    # training back-propagates through matching, propagation, softmax and pasting
    mask = torch.zeros(1, 1, 8, 8, dtype=torch.float64)
    mask[..., 2:5, 2:6] = 1
    x = torch.randn(1, 2, 8, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t: contextual_attention(t, t, mask, softmax_scale=1.0)[0], (x,))


def test_contextual_attention_uses_only_known_patches():
    torch.manual_seed(0)
    x = torch.rand(2, 8, 24, 16)
    mask = torch.zeros(2, 1, 24, 16)
    mask[..., 8:16, 4:12] = 1
    x = x + 1000.0 * mask                 # hole features would dominate any mixture
    out, _ = contextual_attention(x, x, mask)
    assert out[mask.bool().expand_as(out)].max() < 2.0


def test_contextual_attention_chunked_equals_whole_and_checks_sizes():
    x, mask = _copied_scene(3, size=(24, 40), src=(2, 2), dst=(10, 24))
    whole, off = contextual_attention(x, x, mask)
    chunked, off_c = contextual_attention(x, x, mask, max_elements=3000)
    torch.testing.assert_close(chunked, whole)
    assert torch.equal(off, off_c)
    with pytest.raises(ValueError, match='multiples of rate'):
        contextual_attention(x[..., :23, :], x[..., :23, :], mask[..., :23, :])


def test_contextual_attention_without_known_patches_is_zero():
    x = torch.randn(1, 4, 8, 8)
    out, offsets = contextual_attention(x, x, torch.ones(1, 1, 8, 8))
    assert torch.isfinite(out).all() and out.abs().max() == 0 and offsets.abs().max() == 0


# -- generator and discriminator ------------------------------------------------------------

def test_parameter_counts():
    count = lambda m: sum(p.numel() for p in m.parameters())   # noqa: E731
    # DeepFill v2 at the paper's width (the paper: 4.1M); see plugins/deepfillv2/README.md.
    assert count(GENERATORS.build(dict(type='DeepFillv2Generator'))) == 4_052_478
    assert count(GENERATORS.build(dict(type='DeepFillv2Generator', sketch=True))) == 4_053_678
    assert count(DISCRIMINATORS.build(dict(type='SNPatchGANDiscriminator'))) == 5_946_816
    assert count(DISCRIMINATORS.build(dict(type='SNPatchGANDiscriminator',
                                           sketch=True))) == 5_948_416


def test_generator_outputs_and_attention_map():
    gen = _tiny_generator()
    x = torch.rand(2, 3, 48, 64) * 2 - 1
    mask = torch.zeros(2, 1, 48, 64)
    mask[..., 16:32, 16:40] = 1
    out = gen(x * (1 - mask), mask, return_attention=True)
    assert set(out) == {'coarse', 'output', 'attention_offsets'}
    assert out['coarse'].shape == out['output'].shape == x.shape
    assert out['attention_offsets'].shape == (2, 2, 6, 8)
    assert out['output'].abs().max() <= 1
    with pytest.raises(ValueError, match='multiples of 8'):
        gen(x[..., :44], mask[..., :44])


def test_discriminator_outputs_a_feature_map():
    disc = DISCRIMINATORS.build(dict(type='SNPatchGANDiscriminator', base_channels=8))
    logits = disc(torch.randn(2, 3, 128, 64), torch.zeros(2, 1, 128, 64))
    assert logits.shape == (2, 32, 2, 1)      # six stride-2 layers, 4c channels


def test_generator_l1_falls_on_a_fixed_batch():
    from toolbox.testing import tiny_batch
    torch.manual_seed(0)
    gen = _tiny_generator()
    batch = tiny_batch(batch=2, size=64, seed=1)
    gt, mask = batch['gt'], batch['mask']
    opt = torch.optim.Adam(gen.parameters(), lr=2e-3, betas=(0.5, 0.999))
    losses = []
    for _ in range(30):
        out = gen(gt * (1 - mask), mask)
        loss = (out['coarse'] - gt).abs().mean() + (out['output'] - gt).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5]), losses


def test_sketch_changes_the_output_inside_the_hole_only():
    torch.manual_seed(0)
    gen = _tiny_generator(sketch=True).eval()
    assert gen.guidance == ('sketch',)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    masked = x * (1 - mask)
    lines = torch.zeros_like(mask)
    lines[..., 16, :] = 1                                     # a horizontal stroke
    with torch.no_grad():
        none = gen(masked, mask)
        empty = gen(masked, mask, sketch=torch.zeros_like(mask))
        drawn = gen(masked, mask, sketch=lines)
        outside = gen(masked, mask, sketch=lines * (1 - mask))
    for key in ('coarse', 'output'):
        torch.testing.assert_close(none[key], empty[key], rtol=0, atol=0)
        torch.testing.assert_close(outside[key], empty[key], rtol=0, atol=0)  # ignored
        assert not torch.equal(drawn[key], empty[key])
    # an untrained network's output is small: compare relative to it
    assert (drawn['coarse'] - empty['coarse']).abs().max() > 0.01 * empty['coarse'].abs().max()
    # the gradient reaches the sketch inside the hole, never outside it
    sketch = lines.clone().requires_grad_(True)
    gen(masked, mask, sketch=sketch)['output'].square().sum().backward()
    assert sketch.grad[mask.bool()].abs().max() > 0
    assert sketch.grad[~mask.bool()].abs().max() == 0
    disc = DISCRIMINATORS.build(dict(type='SNPatchGANDiscriminator', base_channels=8,
                                     num_layers=3, sketch=True)).eval()
    assert disc.conditions == ('sketch',)
    assert not torch.equal(disc(x, mask, sketch=lines), disc(x, mask))


def test_canny_sketch_transform():
    img = np.zeros((40, 48, 3), np.uint8)
    img[10:30, 12:36] = 255
    out = TRANSFORMS.build(dict(type='CannySketch', sigma=1.0))(dict(img=img))
    sketch = out['sketch']
    assert sketch.dtype == np.uint8 and sketch.shape == (40, 48)
    assert set(np.unique(sketch).tolist()) == {0, 255}
    assert sketch[20, 10:15].max() == 255 and sketch[20, 20:28].max() == 0
    flat = TRANSFORMS.build(dict(type='CannySketch'))(dict(img=np.full_like(img, 90)))
    assert flat['sketch'].max() == 0


# -- configs, inference API and CLI ---------------------------------------------------------

def _demo_batch(cfg, demo_root, n=2):
    from mmengine.dataset import pseudo_collate
    from toolbox.registry import DATASETS
    ds_cfg = dict(cfg.train_dataloader.dataset)
    ds_cfg['data_root'] = demo_root
    dataset = DATASETS.build(ds_cfg)
    return pseudo_collate([dataset[i] for i in range(n)])


@pytest.mark.parametrize('config', [DEMO_CFG, SKETCH_CFG])
def test_demo_config_train_step(config, demo_root):
    from toolbox.apis import load_config
    from toolbox.models import MultiOptimWrapperConstructor
    cfg = load_config(config)
    model = MODELS.build(cfg.model)
    optim_cfg = {k: v for k, v in cfg.optim_wrapper.items() if k != 'constructor'}
    optim = MultiOptimWrapperConstructor(optim_cfg)(model)
    data = _demo_batch(cfg, demo_root)
    if config == SKETCH_CFG:
        assert max(int(s.max()) for s in data['inputs']['sketch']) == 255
    before = [p.detach().clone() for p in model.generator.parameters()]
    log = model.train_step(data, optim)
    assert {'loss_d', 'loss_g', 'loss_L1Loss_coarse', 'loss_L1Loss_output',
            'loss_g_adv'} <= set(log)
    assert all(np.isfinite(v) for v in log.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.generator.parameters()))


@pytest.fixture(scope='module')
def tiny_checkpoint(tmp_path_factory):
    """A sketch-guided demo model with cnum=8, saved as a plain state dict."""
    from toolbox.apis import init_inpaintor
    folder = tmp_path_factory.mktemp('deepfill_ckpt')
    torch.manual_seed(0)
    model = init_inpaintor(SKETCH_CFG, cfg_options={'model.generator.cnum': 8},
                           random_weights=True)
    path = str(folder / 'tiny.pth')
    torch.save({'state_dict': model.state_dict()}, path)
    return path, model


def test_inpaint_api_large_image_strategies(tiny_checkpoint):
    from toolbox.apis import inpaint
    _, model = tiny_checkpoint
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (100, 164, 3), dtype=np.uint8)
    mask = np.zeros((100, 164), np.uint8)
    mask[10:20, 10:30] = 255
    mask[70:90, 130:150] = 255
    whole = inpaint(model, image, mask)                              # under the limit
    windows = inpaint(model, image, mask, max_side=64)               # two windows
    resized = inpaint(model, image, mask, max_side=64, large_strategy='resize')
    for out in (whole, windows, resized):
        assert out.shape == image.shape and out.dtype == np.uint8
        assert np.array_equal(out[mask == 0], image[mask == 0])      # known pixels kept
    assert not np.array_equal(windows[mask > 0], image[mask > 0])
    # the sketch reaches the generator, cut to the window like the image
    seen = []
    hook = model.generator.register_forward_pre_hook(
        lambda mod, args, kwargs: seen.append(kwargs.get('sketch')), with_kwargs=True)
    try:
        sketch = np.zeros((100, 164), np.uint8)
        sketch[15, :] = sketch[80, :] = 255       # a stroke through each hole
        inpaint(model, image, mask, max_side=64, sketch=sketch)
    finally:
        hook.remove()
    assert len(seen) == 2 and all(s is not None and s.max() == 1 for s in seen)
    assert seen[0].shape[-2:] != (100, 164)
    with pytest.raises(ValueError, match='hd_strategy must be one of'):
        inpaint(model, image, mask, max_side=64, large_strategy='tile')


@pytest.mark.slow
def test_inpaint_cli_pads_and_crops(tiny_checkpoint, tmp_path):
    import cv2
    ckpt, _ = tiny_checkpoint
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (37, 45, 3), dtype=np.uint8)       # not multiples of 8
    mask = np.zeros((37, 45), np.uint8)
    mask[10:25, 12:30] = 255
    sketch = np.zeros((37, 45), np.uint8)
    sketch[18, 12:30] = 255
    for name, array in (('img.png', image), ('mask.png', mask), ('sketch.png', sketch)):
        cv2.imwrite(str(tmp_path / name), array)
    out = tmp_path / 'out' / 'result.png'
    result = run_python(['tools/inpaint.py', '--config', SKETCH_CFG, '--checkpoint', ckpt,
                         '--cfg-options', 'model.generator.cnum=8',
                         '--image', str(tmp_path / 'img.png'),
                         '--mask', str(tmp_path / 'mask.png'),
                         '--sketch', str(tmp_path / 'sketch.png'), '--out', str(out),
                         '--threads', '1'], timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    written = cv2.imread(str(out))
    assert written.shape == (37, 45, 3)
    assert np.array_equal(written[mask == 0], image[mask == 0])
