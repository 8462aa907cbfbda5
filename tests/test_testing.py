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


class ScaledOutputsGenerator(BaseGenerator):
    """A full-size output plus a half-size one (as DFNet), or a too-large one."""

    def __init__(self, factor=0.5):
        super().__init__()
        self.conv = nn.Conv2d(4, 3, 3, padding=1)
        self.factor = factor

    def forward(self, masked_image, mask, **guidance):
        out = torch.tanh(self.conv(torch.cat([masked_image, mask], 1)))
        other = nn.functional.interpolate(out, scale_factor=self.factor, mode='bilinear')
        return {'output': out, 'output_other': other}


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


# -- check_model: models that break the BaseInpaintor contract ------------------------------

def _gan_subclass(name, **methods):
    from toolbox.models import GANInpaintor
    return type(name, (GANInpaintor,), {'__module__': __name__, **methods})


def _leaky_inpaint(self, image, mask, **options):
    self.split_options(options)
    return self.run_generator(dict(gt=image, mask=mask))['output']     # not composited


def _lenient_inpaint(self, image, mask, **options):
    out = self.run_generator(dict(gt=image, mask=mask))['output']
    return out * mask + image * (1 - mask)                             # ignores options


def _frozen_train_step(self, data, optim_wrapper):
    return {'loss': 0.0}                                               # trains nothing


@pytest.mark.parametrize('methods, message', [
    (dict(inpaint=_leaky_inpaint), 'changed known pixels'),
    (dict(inpaint=_lenient_inpaint), 'accepted an unknown option'),
    (dict(train_step=_frozen_train_step), 'changed no weight'),
])
def test_a_model_breaking_the_contract_fails(registered, methods, message):
    from toolbox.models import GANInpaintor
    from toolbox.registry import MODELS
    name = registered(MODELS, _gan_subclass('Broken' + next(iter(methods)).title(), **methods))
    with pytest.raises(AssertionError, match=message):
        testing.check_model(name, cfg=GANInpaintor.tiny_cfg)


def test_value_range_round_trips_uint8_exactly():
    from toolbox.value_range import from_model_range, to_model_range
    x = torch.arange(256, dtype=torch.uint8)
    y = to_model_range(x)
    assert float(y.min()) == -1 and float(y.max()) == 1
    assert torch.equal(from_model_range(y, 255).round().byte(), x)
    assert torch.equal(from_model_range(torch.tensor([-3.0, 0.0, 3.0])), torch.tensor([0.0, 0.5, 1.0]))


def test_image_outputs_at_smaller_scales_pass_and_larger_ones_fail(registered):
    name = registered(GENERATORS, ScaledOutputsGenerator)
    testing.check_generator(name, dict(factor=0.5))
    with pytest.raises(AssertionError, match="image output 'output_other'"):
        testing.check_generator(name, dict(factor=2.0))
