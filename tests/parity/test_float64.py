"""``toolbox compare-training --dtype float64``: the toolbox's side trains in float64 end
to end. A float32 cast anywhere in a step (a ``.float()``, a float32 constant) would round
the comparison back to float32 without an error, and the float64 run would then prove
nothing; so every tensor a step computes, forward, backward and optimiser, is watched."""
from __future__ import annotations

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from toolbox.parity.drivers import ToolboxTrainer, default_dtype
from toolbox.plugins import load_plugins
from toolbox.registry import MODELS
from toolbox.testing import tiny_batch, tiny_optimizers

pytestmark = pytest.mark.usefixtures('one_thread')
load_plugins()

#: tiny GANInpaintors with the parts of the three compared models whose code has dtype
#: casts: DeepFill v2's contextual attention, AOT-GAN's soft-mask GAN label and VGG losses,
#: LaMa's Fourier units, R1 and ResNet-PL
MODELS_UNDER_TEST = {
    'deepfillv2': dict(
        generator=dict(type='DeepFillv2Generator', cnum=8),
        discriminator=dict(type='SNPatchGANDiscriminator', base_channels=8, num_layers=3),
        losses=[dict(type='L1Loss', outputs=('coarse', 'output')),
                dict(type='HingeGANLoss', loss_weight=0.1, fake_first=True)]),
    'aotgan': dict(
        generator=dict(type='AOTGANGenerator', base_channels=4, num_blocks=1, rates=(1, 2)),
        discriminator=dict(type='AOTGANDiscriminator', base_channels=4),
        losses=[dict(type='L1Loss'),
                dict(type='StyleLoss', loss_weight=250.0, region='all', pretrained=False),
                dict(type='SoftMaskGANLoss', loss_weight=0.01, kernel_size=7, sigma=2.0,
                     real_label=1.0)]),
    'lama': dict(
        generator=dict(type='FFCResNetGenerator', preset=None, base_channels=8,
                       num_blocks=1, value_range='[0,1]'),
        discriminator=dict(type='NLayerDiscriminator', base_channels=8, num_layers=2,
                           value_range='[0,1]'),
        losses=[dict(type='L1Loss', hole_weight=0.0, valid_weight=1.0, loss_weight=5.0),
                dict(type='HRFPerceptualLoss', backbone='timm:resnet18', pretrained=False,
                     output_stride=None),
                dict(type='DiscriminatorFeatureMatchingLoss', kind='l2'),
                dict(type='NonSaturatingR1Loss', r1_weight=0.004, mask_as_fake_target=True)],
        update_order='generator_first'),
}


class LowPrecisionOps(TorchDispatchMode):
    """Records every operator that returns a floating tensor of another dtype than
    ``dtype``."""

    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.dtype, self.found = dtype, set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor) and t.is_floating_point() and t.dtype != self.dtype:
                self.found.add(f'{func} -> {t.dtype}')
        return out


def _uint8_batch(size: int = 64) -> dict[str, torch.Tensor]:
    b = tiny_batch(2, size, seed=0)
    return dict(gt=((b['gt'].double() + 1) * 127.5).round().byte(),
                mask=b['mask'].byte())


@pytest.mark.parametrize('name', sorted(MODELS_UNDER_TEST))
def test_the_toolbox_step_runs_in_float64_end_to_end(name):
    cfg = MODELS_UNDER_TEST[name]
    with default_dtype(torch.float64):
        model = MODELS.build(dict(type='GANInpaintor', **cfg))
        trainer = ToolboxTrainer(model, tiny_optimizers(model), lambda log: dict(log))
        batch = _uint8_batch()
        grads = []             # the optimiser wrappers set .grad to None after the update
        for p in (p for p in model.parameters() if p.requires_grad):
            p.register_hook(lambda g: grads.append(g.dtype))
        with LowPrecisionOps(torch.float64) as watch:
            log = trainer.step(batch)
    assert torch.get_default_dtype() == torch.float32          # restored afterwards
    assert log and all(v == v for v in log.values())
    assert not watch.found, f'{name}: computed in another dtype: {sorted(watch.found)}'
    params = dict(model.named_parameters())
    assert all(p.dtype == torch.float64 for p in params.values())
    assert grads and all(dtype == torch.float64 for dtype in grads)
    states = [t for optim in trainer.optim.values() for s in optim.optimizer.state.values()
              for t in s.values() if torch.is_tensor(t) and t.is_floating_point()]
    assert states and all(t.dtype == torch.float64 for t in states)


def test_the_watch_catches_a_float32_cast():
    """The recorder above is what makes the test fail on a silent float32 step."""
    with default_dtype(torch.float64):
        x = torch.ones(3, requires_grad=True)
        with LowPrecisionOps(torch.float64) as watch:
            (x.float() * 2).to(torch.float64).sum().backward()
    assert any('float32' in f for f in watch.found)
