"""Step-by-step comparison of two trainers: their loss terms at every step and their
parameters after the last step.

A trainer is anything with ``step(batch) -> {term: float}`` (one training step on
``batch``; the loss terms it computed, under names both sides share) and
``parameters() -> {name: Tensor}`` (every trained tensor, under shared names). A driver
that wraps a foreign trainer renames its terms and parameters to the shared names; the
comparison itself knows nothing of either side.

The rule: a value agrees when its relative difference is at most ``rtol``
(1e-4) **or** its absolute difference at most ``atol`` (1e-6; for terms near zero, such
as an R1 penalty, whose relative difference says nothing). A parameter tensor's relative
difference is its largest element difference over its largest reference magnitude: an
element near zero would make an element-wise ratio meaningless.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from torch import Tensor

__all__ = ['Trainer', 'TermDiff', 'ParityReport', 'compare_trainers', 'within',
           'format_table']


class Trainer(Protocol):
    def step(self, batch) -> Mapping[str, float]: ...

    def parameters(self) -> Mapping[str, Tensor]: ...


def within(abs_diff: float, rel_diff: float, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    """The agreement rule: ``rel <= rtol or abs <= atol`` (NaN never agrees)."""
    return (not math.isnan(abs_diff)) and (rel_diff <= rtol or abs_diff <= atol)


def _rel(abs_diff: float, reference: float) -> float:
    if abs_diff == 0.0:
        return 0.0
    return abs_diff / abs(reference) if reference else math.inf


@dataclass
class TermDiff:
    """The largest difference of one quantity (a loss term over the steps, or a parameter
    tensor), and where it was largest."""
    name: str
    max_abs: float = 0.0
    max_rel: float = 0.0
    where: str = ''          # the step ('step 3') or the element count, for the table
    ok: bool = True
    note: str = ''           # why there is no number (a term only one side logs)

    def add(self, abs_diff: float, rel_diff: float, where: str, rtol: float,
            atol: float) -> None:
        if not self.where or math.isnan(abs_diff) or rel_diff > self.max_rel:
            self.where = where
        if math.isnan(abs_diff):
            self.max_abs = self.max_rel = math.nan
        else:
            self.max_abs = max(self.max_abs, abs_diff)
            self.max_rel = max(self.max_rel, rel_diff)
        self.ok = self.ok and within(abs_diff, rel_diff, rtol, atol)


@dataclass
class ParityReport:
    """What :func:`compare_trainers` found. ``terms``: one :class:`TermDiff` per loss term
    (its maximum over all steps); ``params``: one per parameter tensor after the last
    step; ``per_step``: ``[{term: (ours, theirs)}]`` per step, for the record."""
    name: str
    steps: int
    rtol: float
    atol: float
    terms: dict[str, TermDiff] = field(default_factory=dict)
    params: dict[str, TermDiff] = field(default_factory=dict)
    per_step: list[dict[str, tuple[float, float]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.terms.values()) and \
            all(p.ok for p in self.params.values())

    def failures(self) -> list[str]:
        return [f'{kind} {d.name}: {d.note or f"abs {d.max_abs:.3g} rel {d.max_rel:.3g}"}'
                for kind, group in (('term', self.terms), ('parameter', self.params))
                for d in group.values() if not d.ok]

    def worst_param(self) -> TermDiff:
        """The parameter tensor with the largest relative difference."""
        return max(self.params.values(), key=lambda d: (d.max_rel, d.max_abs),
                   default=TermDiff('(none)'))


def compare_trainers(ours: Trainer, theirs: Trainer, batches: Iterable, *,
                     name: str = 'parity', rtol: float = 1e-4,
                     atol: float = 1e-6) -> ParityReport:
    """Step both trainers on each batch of ``batches`` (the same object to both: a
    trainer must not change it) and compare.

    Every term either side logs is compared at every step; a term one side logs and the
    other does not fails with a note. Afterwards every parameter is compared; a parameter
    only one side has, or of another shape, fails likewise.
    """
    report = ParityReport(name, 0, rtol, atol)
    for index, batch in enumerate(batches):
        a, b = dict(ours.step(batch)), dict(theirs.step(batch))
        report.steps = index + 1
        report.per_step.append({k: (a.get(k, math.nan), b.get(k, math.nan))
                                for k in sorted(set(a) | set(b))})
        for key in sorted(set(a) | set(b)):
            diff = report.terms.setdefault(key, TermDiff(key))
            if key not in a or key not in b:
                diff.ok = False
                diff.note = f'logged only by {"ours" if key in a else "the reference"}'
                continue
            abs_diff = abs(float(a[key]) - float(b[key]))
            diff.add(abs_diff, _rel(abs_diff, float(b[key])), f'step {index + 1}', rtol, atol)
    pa, pb = ours.parameters(), theirs.parameters()
    for key in sorted(set(pa) | set(pb)):
        diff = report.params.setdefault(key, TermDiff(key))
        if key not in pa or key not in pb:
            diff.ok = False
            diff.note = f'only in {"ours" if key in pa else "the reference"}'
            continue
        x, y = pa[key].detach().double(), pb[key].detach().double()
        if x.shape != y.shape:
            diff.ok = False
            diff.note = f'shape {list(x.shape)} vs {list(y.shape)}'
            continue
        abs_diff = float((x - y).abs().max()) if x.numel() else 0.0
        scale = float(y.abs().max()) if y.numel() else 0.0
        diff.add(abs_diff, _rel(abs_diff, scale), f'{x.numel()} values', rtol, atol)
    return report


def format_table(reports: Iterable[ParityReport]) -> str:
    """A Markdown table: one row per loss term and one for the worst parameter of each
    report, with max abs / rel differences and whether the rule holds."""
    lines = ['| model | quantity | max abs diff | max rel diff | where | within rule |',
             '|---|---|---|---|---|---|']
    for r in reports:
        for d in r.terms.values():
            lines.append(_row(r.name, f'loss {d.name}', d))
        worst = r.worst_param()
        failing = sum(not p.ok for p in r.params.values())
        lines.append(_row(r.name, f'parameters ({len(r.params)} tensors, {failing} outside '
                                  f'the rule; worst {worst.name})', worst))
    return '\n'.join(lines)


def _row(model: str, what: str, d: TermDiff) -> str:
    if d.note:
        return f'| {model} | {what} | – | – | {d.note} | no |'
    return (f'| {model} | {what} | {d.max_abs:.2e} | {d.max_rel:.2e} | {d.where} | '
            f'{"yes" if d.ok else "**no**"} |')
