"""The driver that steps LaMa's module as PyTorch Lightning 1.x does
(:class:`toolbox.parity.lama.LightningStep`), on a toy module with LaMa's interface (CI
has neither LaMa nor Lightning): the order of the two optimisers, the toggling of the
other optimiser's parameters, one training_step per optimiser, gradient clipping and
``model.train()``. That this order is the real trainer's was measured once against
Lightning 1.9.5 (docs/training-parity.md)."""
from __future__ import annotations

import torch
from torch import nn

from toolbox.parity.lama import LightningStep


class ToyModule(nn.Module):
    """LaMa's interface: ``configure_optimizers`` (generator, discriminator),
    ``training_step(batch, batch_idx, optimizer_idx) -> {'loss', 'log_info'}``,
    ``training_step_end``; records what each call saw."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.generator, self.discriminator = nn.Linear(3, 3), nn.Linear(3, 1)
        self.frozen = nn.BatchNorm1d(3).eval()
        self.global_step = 0
        self.calls = []

    def configure_optimizers(self):
        return [dict(optimizer=torch.optim.SGD(self.generator.parameters(), lr=1.0)),
                dict(optimizer=torch.optim.SGD(self.discriminator.parameters(), lr=1.0))]

    def training_step(self, batch, batch_idx, optimizer_idx):
        self.calls.append((optimizer_idx, batch_idx, self.global_step,
                           self.generator.weight.requires_grad,
                           self.discriminator.weight.requires_grad, self.frozen.training,
                           self.generator.weight.detach().clone()))
        fake = self.generator(batch['image'].flatten(2).mean(2))    # re-run every time
        score = self.discriminator(fake if optimizer_idx == 0 else fake.detach())
        loss = 1000.0 * (score.mean() if optimizer_idx == 0 else -score.mean())
        return dict(loss=loss, log_info={f'train_loss_{optimizer_idx}': loss.detach()})

    def training_step_end(self, out):
        return out['loss'].mean()


def test_the_driver_steps_generator_then_discriminator_each_with_its_own_forward():
    module = ToyModule()
    driver = LightningStep(module, None, None, terms=dict)
    batch = {'gt': torch.full((2, 3, 4, 4), 128, dtype=torch.uint8),
             'mask': torch.zeros(2, 1, 4, 4, dtype=torch.uint8)}
    g0, d0 = module.generator.weight.detach().clone(), module.discriminator.weight.detach().clone()
    logged = driver.step(batch)
    driver.step(batch)
    order = [(c[0], c[1], c[2]) for c in module.calls]
    # per batch: optimiser 0 then 1, the same batch index, Lightning's global step counting
    # every optimiser's step
    assert order == [(0, 0, 0), (1, 0, 1), (0, 1, 2), (1, 1, 3)]
    # toggling: the other optimiser's parameters do not require gradients meanwhile
    assert [(c[3], c[4]) for c in module.calls] == [(True, False), (False, True)] * 2
    assert all(c[5] for c in module.calls)           # model.train() reached every module
    # the discriminator's training_step sees the generator after its update
    assert not torch.equal(module.calls[1][6], g0)
    assert torch.equal(module.calls[1][6], module.calls[2][6])
    # gradients clipped to norm 1 before each step (loss x1000 and lr 1 would move far more)
    assert float((module.calls[1][6] - g0).norm()) <= 1.0 + 1e-5
    assert 0 < float((module.discriminator.weight - d0).norm()) <= 2.0 + 1e-5
    assert set(logged) == {'train_loss_0', 'train_loss_1', 'loss_0', 'loss_1'}
    # parameters are toggled back afterwards
    assert module.generator.weight.requires_grad and module.discriminator.weight.requires_grad
