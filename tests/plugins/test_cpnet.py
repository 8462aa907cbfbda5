"""plugins/cpnet: Copy-and-Paste Networks (Lee et al., ICCV 2019).

The inpaint contract on clips is tests/test_contracts.py's (check_model -> the video check);
forward equality with the official code is measured by a local script (README.md)."""
import pytest
import torch
import torch.nn.functional as F

from toolbox.registry import MODELS, WEIGHT_CONVERTERS
from toolbox.testing import tiny_optimizers
from toolbox.video.testing import tiny_clip
from toolbox_plugins.cpnet.losses import (alignment_loss, gram, hole_loss,
                                          total_variation_loss, valid_loss)
from toolbox_plugins.cpnet.networks import context_matching, masked_softmax
from toolbox_plugins.cpnet.protocol import complete_clip, reference_indices

TINY = dict(type='CPNetInpaintor', base_channels=4, align_size=32, vgg=dict(pretrained=False))


def _packed(video, masks):
    return dict(inputs=dict(gt=list(((video + 1) * 127.5).round().byte()),
                            mask=list(masks.byte())))


def test_counts_of_the_released_network():
    """The state dict holds the official 21,631,385 values (conv6a/6b as buffers); the
    parameters are the 16,911,769 the released forward uses."""
    model = MODELS.build(dict(type='CPNetInpaintor'))
    state = model.state_dict()
    assert sum(v.numel() for v in state.values()) == 21_631_385
    assert sum(p.numel() for p in model.parameters()) == 16_911_769
    names = {n for n, _ in model.named_parameters()}
    assert not any('conv6' in n for n in names)
    assert 'net.align_regressor.unused_conv6a_weight' in state
    assert not any(k.endswith(('.mean', '.std')) for k in state)   # constants, not weights


def test_regressor_runs_conv5a_and_conv5b_twice_as_released():
    torch.manual_seed(0)
    reg = MODELS.build(TINY).net.align_regressor
    torch.nn.init.normal_(reg.fc.weight, std=0.1)
    a, b = torch.randn(2, 16, 4, 4), torch.randn(2, 16, 4, 4)
    x = torch.cat([a, b], 1)
    for conv in (reg.conv45, reg.conv5a, reg.conv5b, reg.conv56, reg.conv5a, reg.conv5b):
        x = F.relu(F.conv2d(x, conv.weight, conv.bias, conv.stride, conv.padding))
    expected = reg.fc(x.mean((2, 3))).view(-1, 2, 3)
    with torch.no_grad():
        reg.unused_conv6a_weight.normal_()       # never read
        reg.unused_conv6b_bias.normal_()
        assert torch.allclose(reg(a, b), expected, atol=1e-6)


def test_alignment_starts_at_the_identity():
    model = MODELS.build(TINY)
    g = torch.Generator().manual_seed(0)
    frames, holes = torch.rand(1, 3, 24, 32, generator=g), torch.zeros(1, 1, 24, 32)
    holes[..., 5:10, 5:12] = 1
    feat = model.net.encode(frames, holes)
    aligned, visible, theta = model.net.align(feat, model.net.encode(frames.flip(-1), holes),
                                              frames, holes)
    assert torch.equal(theta, torch.tensor([[[1., 0, 0], [0, 1., 0]]]))
    assert torch.allclose(aligned, frames, atol=1e-5)
    assert torch.equal(visible, 1 - holes)


def test_masked_softmax_and_context_matching_by_hand():
    # one channel, 1 x 2 feature maps; maps at feature size (no resampling)
    t = torch.tensor([[[[1., 2.]]]])
    r = torch.tensor([[[[[1., 0.]], [[3., 1.]]]]])                        # [1, 1, 2, 1, 2]
    t_vis = torch.ones(1, 1, 1, 2)
    r_vis = torch.tensor([[[[[1., 1.]], [[1., 0.]]]]])                   # ref 2 hides px 2
    p_in, c_mask = context_matching(t, r, t_vis, r_vis)
    g1 = (1 * 1 + 2 * 0) / 2                                              # both show 2 px
    g2 = (1 * 3) / 1                                                      # both show 1 px
    w1 = torch.exp(torch.tensor(g1 - g2)) / (1 + torch.exp(torch.tensor(g1 - g2)))
    # pixel 1: both refs weigh in; pixel 2: only ref 1 shows it
    assert torch.allclose(p_in[0, 1, 0], torch.stack([w1 * 1 + (1 - w1) * 3,
                                                      torch.tensor(0.)]))
    assert torch.allclose(c_mask, torch.zeros(1, 1, 1, 2), atol=1e-6)
    # no reference shows a pixel: nothing copied there, c_mask 1
    _, c_mask = context_matching(t, r, t_vis, torch.zeros_like(r_vis))
    assert torch.equal(c_mask, torch.ones(1, 1, 1, 2))
    w = masked_softmax(torch.tensor([2., 5.]), torch.tensor([1., 0.]), 0)
    assert torch.equal(w, torch.tensor([1., 0.]))


@pytest.mark.parametrize('f,t,expected', [
    (0, 6, [2, 4]), (5, 6, [0, 2, 4]),                 # the last frame is never a reference
    (150, 300, [i for i in range(30, 270, 2) if i != 150]),
    (290, 300, [i for i in range(60, 299, 2) if i != 290]),
    (0, 1, [])])
def test_reference_windows_of_the_release(f, t, expected):
    assert reference_indices(f, t) == expected


class _RecordingNet:
    """Fills a hole with 0 in the first pass and 1 in the second and records what each
    call saw."""

    def __init__(self, t):
        self.t, self.calls = t, []

    def encode(self, frame, hole):
        return hole.mean((1, 2, 3)).view(-1, 1, 1, 1)       # features: the hole ratio

    def complete(self, ref_feats, ref_frames, ref_holes, frame, hole, known):
        second = len(self.calls) >= self.t
        self.calls.append((float(ref_holes.sum()), float(ref_feats.sum())))
        return known * (1 - hole) + hole * float(second)


def test_protocol_two_passes_replacing_inputs_and_blending_by_position():
    t = 6
    frames, holes = torch.full((1, t, 3, 4, 4), 0.5), torch.zeros(1, t, 1, 4, 4)
    holes[..., 1:3, 1:3] = 1
    net = _RecordingNet(t)
    out = complete_clip(net, frames, holes)
    # the first pass starts at the last frame; later targets see completed references
    # (fewer hole pixels among their references)
    first_pass = [c[0] for c in net.calls[:t]]
    assert first_pass[0] > first_pass[-1]
    # the second pass restarts from the input holes but keeps the first pass's features
    assert net.calls[t][0] > 0 and net.calls[t][1] == 0
    for f in range(t):
        assert torch.allclose(out[0, f, :, 1, 1], torch.full((3,), f / t))
        assert torch.equal(out[0, f, :, 0, 0], torch.full((3,), 0.5))


def test_reference_map_quirk_and_its_fix():
    """Released: the copy encoder sees a reference's visibility where the target's hole
    goes; fixed: the reference's hole."""
    seen = []
    for fix in (False, True):
        model = MODELS.build(dict(TINY, fix_reference_hole=fix))
        maps = []
        model.net.copy_encoder.register_forward_hook(lambda m, i, o, maps=maps: maps.append(i[1]))
        video, masks = tiny_clip(batch=1, frames=2, size=32)
        with torch.no_grad():
            model.inpaint(video, masks)
        seen.append(maps[1])                     # the first call's reference
    hole_of_ref = seen[1]
    assert hole_of_ref.sum() > 0 and torch.equal(seen[0], 1 - hole_of_ref)


def test_inpaint_ignores_what_the_holes_hold():
    model = MODELS.build(TINY).eval()
    video, masks = tiny_clip(batch=1, frames=3, size=32)
    other = torch.where(masks > 0, -video, video)
    with torch.no_grad():
        assert torch.equal(model.inpaint(video, masks), model.inpaint(other, masks))


def test_training_reaches_every_parameter_and_changes_weights():
    torch.manual_seed(0)
    model = MODELS.build(TINY).train()
    video, masks = tiny_clip(batch=2, frames=3, size=32)
    batch = model.data_preprocessor(_packed(video, masks), True)
    terms, _ = model.losses((batch['gt'] + 1) / 2, batch['mask'])
    assert set(terms) == {'hole', 'valid', 'perceptual', 'style', 'tv', 'align',
                          'synthetic_align'}
    sum(terms.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing
    model.zero_grad()
    optim = tiny_optimizers(model)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    # two steps: the regressor's last layer starts at zero weights, so the first step's
    # gradient reaches only that layer of the alignment network
    for _ in range(2):
        log = model.train_step(_packed(video, masks), optim)
    assert all(torch.isfinite(torch.tensor(v)) for v in log.values()) and 'loss_align' in log
    unchanged = [n for n, p in model.named_parameters() if torch.equal(before[n], p)]
    assert not unchanged
    assert model.last_train_vis['output'].shape == (2, 3, 32, 32)


def test_loss_weights_are_checked():
    with pytest.raises(ValueError, match='unknown loss weight'):
        MODELS.build(dict(TINY, loss_weights=dict(hole_l1=1)))


def test_pixel_losses_by_hand():
    pred = torch.tensor([[[[1., 2.], [3., 4.]]]])
    gt = torch.zeros(1, 1, 2, 2)
    hole = torch.tensor([[[[1., 0.], [0., 1.]]]])
    assert hole_loss(pred, gt, hole) == (1 + 4) / 4
    assert valid_loss(pred, gt, hole) == (2 + 3) / 4
    # TV: the hole dilated by one pixel covers the 2 x 2 image: 2 horizontal, 2 vertical pairs
    assert total_variation_loss(pred, hole) == (1 + 1) / 2 + (2 + 2) / 2
    f = torch.tensor([[[[1., 2.]], [[0., 1.]]]])                       # C=2, 1 x 2
    assert torch.equal(gram(f), torch.tensor([[[5., 2.], [2., 1.]]]) / 4)


def test_perceptual_and_style_by_hand():
    """With the identity as the feature network: L1 of the images and of their Gram
    matrices, summed over the outputs."""
    from toolbox_plugins.cpnet.losses import perceptual_and_style

    def identity(x):
        return [x]                          # fed [-1, 1]: 2 * [0, 1] - 1
    gt = torch.tensor([[[[0.5, 1.0]]]])
    out = torch.tensor([[[[0.0, 1.0]]]])
    perceptual, style = perceptual_and_style(identity, [out, gt], gt)
    assert torch.isclose(perceptual, torch.tensor((1.0 + 0.0) / 2))      # |(-1) - 0| over 2 px
    # Gram of [0, 1] is 1/2, of [-1, 1] is 2/2: one output differs by 1/2, the other by 0
    assert torch.isclose(style, torch.tensor(0.5))


def test_alignment_loss_by_hand():
    target = torch.tensor([[[[1., 2.]]]])                              # [1, 1, 1, 2]
    target_hole = torch.tensor([[[[0., 0.]]]])
    aligned = torch.tensor([[[[[0., 0.]], [[4., 2.]]]]])               # two references
    visible = torch.tensor([[[[[1., 1.]], [[1., 0.]]]]])
    # ref 1: |1| + |2| over 2 px; ref 2: |4 - 1| over 1 px
    assert alignment_loss(target, target_hole, aligned, visible) == ((3 / 2) + 3) / 2
    assert alignment_loss(target, torch.ones_like(target_hole), aligned, visible) == 0


def test_synthetic_pairs_reward_the_true_inverse_warp():
    """The pairs are a warp of the frame: aligning with the inverse warp explains them far
    better than the identity, so the loss teaches the regressor the transform."""
    from toolbox_plugins.cpnet import losses
    model = MODELS.build(TINY)
    g = torch.Generator().manual_seed(0)
    frames = F.interpolate(torch.rand(2, 3, 8, 8, generator=g), size=(48, 48),
                           mode='bilinear', align_corners=False)
    theta = torch.tensor([[[0.95, -0.1, 0.1], [0.1, 0.95, -0.05]]]).repeat(2, 1, 1)
    inverse = torch.linalg.inv(torch.cat([theta, torch.tensor([[[0., 0, 1]]]).repeat(2, 1, 1)],
                                         1))[:, :2]
    results = {}
    orig = losses.random_affine
    try:
        losses.random_affine = lambda b, generator=None, **k: theta
        import toolbox_plugins.cpnet.model as m
        m.random_affine = losses.random_affine
        for name, answer in (('identity', None), ('inverse', inverse)):
            if answer is not None:
                model.net.align_regressor.forward = lambda a, b, ans=answer: ans
            results[name] = float(model.synthetic_alignment_loss(
                frames, torch.Generator().manual_seed(1)))
    finally:
        losses.random_affine = orig
        m.random_affine = orig
    assert results['inverse'] < 0.3 * results['identity']


def test_converter_maps_every_official_tensor():
    conv = WEIGHT_CONVERTERS.get('OfficialCPNetConverter')()
    model = MODELS.build(TINY)
    ours = model.state_dict()
    names = {'align_encoder': 'A_Encoder', 'align_regressor': 'A_Regressor',
             'copy_encoder': 'Encoder', 'decoder': 'Decoder'}
    official = {}
    for key, value in ours.items():
        if '.unused_' in key:         # net.align_regressor.unused_conv6a_weight
            _, net, rest = key.split('.')
            _, layer, leaf = rest.split('_')
        else:
            _, net, layer, leaf = key.split('.')
        sub = '' if layer == 'fc' else '.conv.0'
        official[f'module.{names[net]}.{layer}{sub}.{leaf}'] = torch.randn_like(value)
    official['module.mean3d'] = torch.zeros(1, 3, 1, 1, 1)             # dropped constants
    official['module.Decoder.std'] = torch.ones(1, 3, 1, 1)
    assert conv.matches(official)
    converted = conv.convert(official, model)
    assert set(converted) == set(ours)
    model.load_state_dict(converted, strict=True)
    assert torch.equal(model.net.align_regressor.unused_conv6b_weight,
                       official['module.A_Regressor.conv6b.conv.0.weight'])
    assert torch.equal(model.net.decoder.convA4_4.weight,
                       official['module.Decoder.convA4_4.conv.0.weight'])
