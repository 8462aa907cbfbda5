"""The trainer comparison catches what it exists to catch: a loss weight changed by 10%
in one of two otherwise identical trainers, and nothing in two identical ones."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from toolbox.parity import compare_trainers, format_table, within


class ToyTrainer:
    """A linear regressor trained with Adam on ``w1 * L1 + w2 * MSE``."""

    def __init__(self, w1: float = 1.0, w2: float = 0.5, lr: float = 1e-2) -> None:
        torch.manual_seed(0)
        self.net = nn.Linear(4, 2)
        self.w1, self.w2 = w1, w2
        self.optim = torch.optim.Adam(self.net.parameters(), lr=lr)

    def step(self, batch):
        x, y = batch
        pred = self.net(x)
        terms = {'loss_l1': (pred - y).abs().mean() * self.w1,
                 'loss_mse': (pred - y).square().mean() * self.w2}
        self.optim.zero_grad()
        sum(terms.values()).backward()
        self.optim.step()
        return {k: float(v.detach()) for k, v in terms.items()}

    def parameters(self):
        return dict(self.net.named_parameters())


def batches(n=5):
    g = torch.Generator().manual_seed(1)
    return [(torch.randn(8, 4, generator=g), torch.randn(8, 2, generator=g))
            for _ in range(n)]


def test_identical_trainers_agree_exactly():
    report = compare_trainers(ToyTrainer(), ToyTrainer(), batches(), name='toy')
    assert report.ok, report.failures()
    assert report.steps == 5
    assert set(report.terms) == {'loss_l1', 'loss_mse'}
    assert set(report.params) == {'weight', 'bias'}
    assert all(d.max_abs == 0.0 for d in [*report.terms.values(), *report.params.values()])


def test_a_changed_loss_weight_is_caught_in_its_term_and_in_the_weights():
    report = compare_trainers(ToyTrainer(), ToyTrainer(w2=0.55), batches(), name='toy')
    assert not report.ok
    # the changed term differs by the change itself from the first step on
    mse = report.terms['loss_mse']
    assert not mse.ok and mse.max_rel == pytest.approx(0.1, rel=0.2)
    # and the weights move apart
    assert not report.params['weight'].ok
    assert any(f.startswith('term loss_mse') for f in report.failures())
    table = format_table([report])
    assert '| toy | loss loss_mse |' in table and '**no**' in table


def test_a_term_or_parameter_only_one_side_has_fails_with_a_note():
    class Extra(ToyTrainer):
        def step(self, batch):
            return {**super().step(batch), 'loss_extra': 0.0}

        def parameters(self):
            return {**super().parameters(), 'scale': torch.ones(1)}

    report = compare_trainers(Extra(), ToyTrainer(), batches(2))
    assert not report.terms['loss_extra'].ok
    assert report.terms['loss_extra'].note == 'logged only by ours'
    assert report.params['scale'].note == 'only in ours'
    assert report.terms['loss_l1'].ok


def test_the_rule_is_relative_or_absolute():
    assert within(1e-5, 1e-5)             # small relative difference
    assert within(5e-7, 0.5)              # near-zero term: absolute difference decides
    assert not within(1e-5, 1e-3)
    assert not within(math.nan, math.nan)
