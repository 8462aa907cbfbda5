"""The one conversion between files' [0, 255] and the models' [-1, 1]."""
from __future__ import annotations

import torch

from toolbox.value_range import from_model_range, to_model_range


def test_every_uint8_value_maps_to_the_nearest_float32():
    """x / 127.5 - 1 rounds twice and missed the nearest float32 for 128 of the 256 values
    (MMagic's (x - 127.5) / 127.5 does not), so converted models saw other inputs."""
    k = torch.arange(256)
    nearest = (2 * k.double() / 255 - 1).float()
    assert torch.equal(to_model_range(k.to(torch.uint8)), nearest)
    assert torch.equal(to_model_range(k.float()), nearest)


def test_round_trip_back_to_uint8_is_exact():
    k = torch.arange(256, dtype=torch.uint8)
    assert torch.equal(from_model_range(to_model_range(k), 255).round().byte(), k)
    assert from_model_range(torch.tensor([-2.0, 2.0])).tolist() == [0.0, 1.0]   # clamped
