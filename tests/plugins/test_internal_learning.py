"""Internal learning (plugin internal_learning): the generator's size and shapes, the
DIP-Vid-Flow losses against hand-computed values, and the per-clip optimisation."""
import pytest
import torch

from toolbox_plugins.internal_learning.generator import SkipEncoderDecoder, min_side


def test_generator_count_matches_the_official_one():
    # 3,072,139 = the official EncoderDecoder2D(1, 15, ...) of DIP_Vid_Flow.py, counted there
    assert sum(p.numel() for p in SkipEncoderDecoder().parameters()) == 3_072_139
    # without the flow head (DIP-Vid): 204 = 16 * 12 + 12 parameters fewer
    assert sum(p.numel() for p in SkipEncoderDecoder(flow_strides=()).parameters()) == 3_071_935


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
