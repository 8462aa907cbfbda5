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
