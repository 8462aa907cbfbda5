"""The contract checks themselves fail on the faults they exist for."""
import pytest
import torch
from torch import nn

from toolbox import BaseGenerator, BaseReconstructionLoss, testing
from toolbox.registry import GENERATORS, LOSSES


@pytest.fixture
def registered():
    """Register classes for one test, then remove them again."""
    added = []

    def add(registry, cls):
        registry.register_module(module=cls)
        added.append((registry, cls.__name__))
        return cls.__name__
    yield add
    for registry, name in added:
        registry._module_dict.pop(name)


class ZeroingGenerator(BaseGenerator):
    """Zeroes the holes again, as DeepFill v2 once did."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 3, 3, padding=1)

    def forward(self, masked_image, mask, **guidance):
        x = masked_image * (1 - mask)
        return {'output': torch.tanh(self.conv(torch.cat([x, mask], 1)))}


class UnusedParameterGenerator(BaseGenerator):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 3, 3, padding=1)
        self.unused = nn.Conv2d(3, 3, 1)

    def forward(self, masked_image, mask, **guidance):
        return {'output': torch.tanh(self.conv(torch.cat([masked_image, mask], 1)))}


class ZeroLoss(BaseReconstructionLoss):
    def forward(self, pred, target, mask):
        return (pred * 0).sum()


def test_a_generator_that_zeroes_the_estimate_fails(registered):
    name = registered(GENERATORS, ZeroingGenerator)
    with pytest.raises(AssertionError, match='ignores the estimate'):
        testing.check_generator(name)
    with pytest.raises(AssertionError, match='perturbing stage 1'):
        testing.check_progressive(name)


def test_a_parameter_without_gradient_fails(registered):
    name = registered(GENERATORS, UnusedParameterGenerator)
    with pytest.raises(AssertionError, match='unused.weight'):
        testing.check_generator(name)


def test_a_constantly_zero_loss_fails(registered):
    name = registered(LOSSES, ZeroLoss)
    with pytest.raises(AssertionError, match='zero'):
        testing.check_loss(name)


def test_a_progressive_model_refuses_a_generator_that_reads_only_known_pixels():
    assert testing.check_progressive('TeleaInpaint') is None
