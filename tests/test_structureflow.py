"""StructureFlow (plugins/structureflow): the official parameter counts, the losses against
their formulas by hand, the three training stages (what each trains and what it leaves
alone), RTV smoothing on a real photo, and inference smoothing the masked input."""
import math

import numpy as np
import pytest
import torch

from toolbox.registry import DISCRIMINATORS, GENERATORS, MODELS


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


# -- counts of the official code (RenYurui/StructureFlow 1ac8f55, src/models.py's options) -----
def test_parameter_counts_equal_the_official_code():
    assert _count(GENERATORS.build(dict(type='StructureReconstructor'))) == 36_057_411
    assert _count(GENERATORS.build(dict(type='TextureGenerator'))) == 56_473_475
    d = DISCRIMINATORS.build(dict(type='TwoScaleDiscriminator'))
    # per scale: 4x4 conv 3->64, residual blocks 64->128 and 128->256 (two 3x3 convolutions
    # and a 1x1 shortcut each), a bias-free 1x1 conv 256->1
    one = (3 * 64 * 16 + 64) + (64 * 64 * 9 + 64 + 64 * 128 * 9 + 128 + 64 * 128 + 128) \
        + (128 * 128 * 9 + 128 + 128 * 256 * 9 + 256 + 128 * 256 + 256) + 256
    assert _count(d) == 2 * one == 1_196_544
    both = GENERATORS.build(dict(type='StructureFlowGenerator'))
    assert _count(both) == 36_057_411 + 56_473_475
    assert _count(DISCRIMINATORS.build(dict(type='StructureFlowDiscriminator'))) == 2 * 1_196_544


# -- the losses by hand ------------------------------------------------------------------------
def test_lsgan_terms_of_two_scales_by_hand():
    from toolbox_plugins.structureflow.losses import (lsgan_discriminator_loss,
                                                      lsgan_generator_loss)
    real = [torch.tensor([0.5, 1.0]), torch.tensor([1.0])]
    fake = [torch.tensor([0.0, 1.0]), torch.tensor([0.5])]
    # scale 1: ((0.25 + 0) / 2 + (0 + 1) / 2) / 2 = 0.3125; scale 2: (0 + 0.25) / 2 = 0.125
    assert float(lsgan_discriminator_loss(real, fake)) == pytest.approx((0.3125 + 0.125) / 2)
    # scale 1: (1 + 0) / 2; scale 2: 0.25
    assert float(lsgan_generator_loss(fake)) == pytest.approx((0.5 + 0.25) / 2)


def test_sampling_correctness_by_hand():
    from toolbox_plugins.structureflow.losses import SamplingCorrectnessLoss
    loss = SamplingCorrectnessLoss(pretrained=False)
    # input features: (1, 0) in columns 0-5, (0, 1) in columns 6-11; the ground truth's
    # feature at the one hole position (3, 2) is (0, 1): its best cosine similarity is 1
    inp = torch.zeros(1, 2, 6, 12, dtype=torch.float64)
    inp[0, 0, :, :6] = 1
    inp[0, 1, :, 6:] = 1
    gt = inp.clone()
    gt[0, :, 3, 2] = torch.tensor([0.0, 1.0])
    mask = torch.zeros(1, 1, 6, 12, dtype=torch.float64)
    mask[0, 0, 3, 2] = 1
    flow = torch.zeros(1, 2, 6, 12, dtype=torch.float64)
    # no flow: the 4x4 window (columns 1-4) holds (1, 0) only: cosine 0, exp(0) = 1
    assert float(loss.formula(gt, inp, flow, mask)) == pytest.approx(1.0)
    # 6 to the right: all (0, 1): cosine 1 = the best, exp(-1)
    flow[0, 0, 3, 2] = 6.0
    assert float(loss.formula(gt, inp, flow, mask)) == pytest.approx(math.exp(-1))
    # 3.5: the window (columns 4-7) is symmetric about the boundary: (0.5, 0.5) -> cos 1/sqrt 2
    flow[0, 0, 3, 2] = 3.5
    assert float(loss.formula(gt, inp, flow, mask)) == pytest.approx(math.exp(-2 ** -0.5))
    # the flow receives a gradient
    flow.requires_grad_(True)
    loss.formula(gt, inp, flow, mask).backward()
    assert flow.grad[0, 0, 3, 2] != 0


def test_style_and_perceptual_formulas_by_hand():
    from toolbox_plugins.structureflow.losses import (StructureFlowPerceptualLoss,
                                                      StructureFlowStyleLoss, gram)
    p = torch.full((1, 1, 2, 2), 2.0)
    t = torch.zeros(1, 1, 2, 2)
    assert float(gram(p)) == pytest.approx(4 * 4 / 4)            # sum of 4 products / CHW
    assert float(StructureFlowStyleLoss.formula([p, p], [t, p])) == pytest.approx(4.0)
    assert float(StructureFlowPerceptualLoss.formula([p, p], [t, t + 1])) == pytest.approx(3.0)
    # the style loss looks at the hole only: outside it, anything goes
    loss = StructureFlowStyleLoss(pretrained=False)
    torch.manual_seed(0)
    a, b = torch.rand(1, 3, 32, 32) * 2 - 1, torch.rand(1, 3, 32, 32) * 2 - 1
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    mixed = a * mask + b * (1 - mask)
    assert float(loss(mixed, a, mask)) == 0.0
    assert float(loss(b, a, mask)) > 0


# -- the stages ---------------------------------------------------------------------------------
def _model(stage):
    cfg = dict(MODELS.get('StructureFlowInpaintor').tiny_cfg, stage=stage)
    return MODELS.build(dict(type='StructureFlowInpaintor', **cfg))


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _changed(before, module):
    return {k.split('.')[0] for k, v in module.state_dict().items()
            if not torch.equal(before[k], v)}


@pytest.mark.parametrize('stage, trained, terms', [
    ('structure', 'structure', {'loss_l1', 'loss_g_adv'}),
    ('texture', 'texture', {'loss_l1', 'loss_g_adv', 'loss_correctness'}),
    ('joint', 'texture', {'loss_l1', 'loss_g_adv', 'loss_correctness', 'loss_style',
                          'loss_perceptual'}),
])
def test_each_stage_trains_its_networks_only(stage, trained, terms):
    from toolbox.testing import _packed, tiny_batch, tiny_optimizers
    torch.manual_seed(0)
    model = _model(stage).train()
    optim = tiny_optimizers(model)
    gen, disc = _snapshot(model.generator), _snapshot(model.discriminator)
    log = model.train_step(_packed(tiny_batch(size=64), ()), optim)
    assert set(log) == terms | {'loss_d', 'loss_g'}
    assert all(math.isfinite(v) for v in log.values())
    # the generator and the discriminator of the stage moved, the others did not
    assert _changed(gen, model.generator) == {trained}
    assert _changed(disc, model.discriminator) == {trained}


def test_stage_is_checked():
    with pytest.raises(ValueError, match="stage must be one of"):
        _model('textures')
    with pytest.raises(ValueError, match=r"unknown weights \['l2'\]"):
        MODELS.build(dict(type='StructureFlowInpaintor',
                          **dict(MODELS.get('StructureFlowInpaintor').tiny_cfg, weights={'l2': 1})))


def test_texture_stage_reads_the_true_structure_joint_the_predicted_one(monkeypatch):
    """Stage 2 gets the ground truth's structure; stage 3 the reconstructor's prediction."""
    from toolbox.testing import _packed, tiny_batch, tiny_optimizers
    seen = {}
    for stage in ('texture', 'joint'):
        torch.manual_seed(0)
        model = _model(stage)
        texture = model.generator.texture
        original = texture.forward

        def spy(masked, mask, structure=None, _orig=original, _stage=stage):
            seen[_stage] = structure.detach().clone()
            return _orig(masked, mask, structure)
        monkeypatch.setattr(texture, 'forward', spy)
        smooth = torch.rand(2, 3, 64, 64) * 2 - 1
        monkeypatch.setattr(model, 'smooth', lambda batch, _s=smooth: _s)
        data = _packed(tiny_batch(size=64), ())
        model.train_step(data, tiny_optimizers(model))
        seen[stage + '_smooth'] = smooth
        if stage == 'joint':
            batch = model.data_preprocessor(data, True)
            masked = batch['gt'] * (1 - batch['mask'])
            from toolbox.models.inpaintor import evaluating
            with torch.no_grad(), evaluating(model.generator.structure):
                pred = model.generator.structure(masked, batch['mask'], smooth)['output']
    assert torch.equal(seen['texture'], seen['texture_smooth'])
    assert not torch.equal(seen['joint'], seen['joint_smooth'])
    torch.testing.assert_close(seen['joint'], pred)


def test_inference_smooths_the_masked_input(monkeypatch):
    """At inference the structure comes from the RTV smoothing of the masked image."""
    import toolbox_plugins.structureflow.generator as g
    from toolbox.testing import tiny_batch
    calls = []
    real = g.smooth_masked

    def spy(masked, mask, rtv=None):
        calls.append((masked.clone(), mask.clone()))
        return real(masked, mask, rtv)
    monkeypatch.setattr(g, 'smooth_masked', spy)
    model = _model('joint').eval()
    batch = tiny_batch(size=64)
    with torch.no_grad():
        out = model.inpaint(batch['gt'], batch['mask'])
    assert len(calls) == 1
    torch.testing.assert_close(calls[0][0], batch['gt'] * (1 - batch['mask']))
    known = (batch['mask'] == 0).expand_as(out)
    assert torch.equal(out[known], batch['gt'][known])


# -- RTV smoothing on a real photo -------------------------------------------------------------
@pytest.fixture(scope='module')
def photo():
    from toolbox.datasets.photos import find_photos
    from PIL import Image
    path = find_photos()['coffee.png']
    img = Image.open(path).convert('RGB').resize((96, 64), Image.BICUBIC)
    return np.asarray(img)


def test_rtv_flattens_texture_and_keeps_edges(photo):
    """Against a Gaussian blur (sigma 1): RTV removes more fine detail and yet keeps more
    of the strongest edges, which is what an edge-preserving smoothing is for."""
    from scipy.ndimage import gaussian_filter, sobel, uniform_filter
    from toolbox_plugins.structureflow.rtv import rtv_smooth
    img = photo / 255.0
    out = rtv_smooth(photo)
    assert out.shape == img.shape and np.array_equal(out, rtv_smooth(photo))  # deterministic

    def detail(x):                   # small-scale variation: the image minus its 3x3 mean
        return np.abs(x - uniform_filter(x, (3, 3, 1))).mean()

    def edges(x):
        g = x.mean(2)
        return np.hypot(sobel(g, 0), sobel(g, 1))
    blur = gaussian_filter(img, (1, 1, 0))
    strong = edges(gaussian_filter(img, (2, 2, 0)))
    top = strong >= np.quantile(strong, 0.97)              # the photo's strongest edges
    assert detail(out) < 0.5 * detail(img) and detail(out) < detail(blur)
    assert edges(out)[top].mean() > edges(blur)[top].mean()
    # a flat image stays flat; colours stay in range
    flat = np.full((16, 16, 3), 0.3)
    np.testing.assert_allclose(rtv_smooth(flat), flat, atol=1e-12)
    assert -0.05 < out.min() and out.max() < 1.05


def test_rtv_pcg_is_close_to_the_direct_solve(photo):
    from toolbox_plugins.structureflow.rtv import rtv_smooth
    small = photo[:32, :48]
    direct = rtv_smooth(small, solver='direct')
    pcg = rtv_smooth(small, solver='pcg')
    # the loose tolerance (0.1, as MATLAB's tsmooth) leaves a small difference
    psnr = 10 * np.log10(1 / np.mean((direct - pcg) ** 2))
    assert 30 < psnr < 200
    with pytest.raises(ValueError, match="solver must be one of"):
        rtv_smooth(small, solver='cg')


def test_rtv_mask_removes_the_hole_from_the_weights(photo):
    from toolbox_plugins.structureflow.rtv import rtv_smooth
    img = photo[:32, :48].copy()
    mask = np.zeros(img.shape[:2])
    mask[8:20, 10:30] = 1
    holed = (img * (1 - mask[..., None])).astype(np.uint8)
    assert not np.allclose(rtv_smooth(holed, mask=mask), rtv_smooth(holed))


def test_structure_stage_model_contract_and_its_output_is_the_structure():
    """The joint model's contract is checked with every model (tests/test_contracts.py);
    a model in the structure stage meets it too, and inpaints with the structure."""
    from toolbox.testing import check_model, tiny_batch
    cfg = dict(MODELS.get('StructureFlowInpaintor').tiny_cfg, stage='structure')
    model = check_model('StructureFlowInpaintor', cfg).eval()
    batch = tiny_batch(size=64)
    with torch.no_grad():
        outputs = model.run_generator(batch)
    assert torch.equal(outputs['output'], outputs['structure'])
