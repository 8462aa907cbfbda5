"""Learning-curve parity: several trainers, each from the same initial weights on the same
stream of batches, evaluated on a fixed held-out set every ``every`` steps (and at step 0),
over several seeds; and the rule that calls two trainers' curves equal.

A curve trainer is a :class:`~toolbox.parity.compare.Trainer` (``step(batch)``) with one
more method, ``infer(gt, mask) -> Tensor``: the composited result ``[B, 3, H, W]`` in
[0, 1] for ``gt`` uint8 ``[B, 3, H, W]`` and ``mask`` uint8 ``[B, 1, H, W]`` (1 = hole),
computed by the trainer's own test-time code (a foreign trainer infers as its own
project's validation does), with the trainer left in training mode afterwards.

The held-out metrics, per image, then averaged over the images:

* hole L1: ``sum |c - g| / (3 * holes)`` over the hole pixels and the three channels,
  ``c`` the composite clamped to [0, 1], ``g`` the ground truth in [0, 1];
* PSNR over the whole image: ``10 * log10(1 / mean((c - g)^2))`` over every pixel and
  channel (the known pixels are ``g`` itself, so they add zero error).

The rule (:func:`judge`): two trainers' curves are *equal* when, at every evaluation
point and for both metrics, the mean over seeds of each lies within the other's range
over seeds (min to max, widened by 1e-5 of its magnitude for float rounding). A NaN
anywhere is never equal.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
from torch import Tensor

from .compare import Trainer

__all__ = ['CurveTrainer', 'Curves', 'Verdict', 'held_out_metrics', 'learning_curves',
           'judge', 'summary_rows', 'METRICS', 'RULES']

#: metric name -> whether larger is better (for the table and the figure)
METRICS = {'hole_l1': False, 'psnr': True}


class CurveTrainer(Trainer, Protocol):
    def infer(self, gt: Tensor, mask: Tensor) -> Tensor: ...


def held_out_metrics(pred: Tensor, gt: Tensor, mask: Tensor) -> dict[str, list[float]]:
    """Per-image ``{'hole_l1': [...], 'psnr': [...]}`` of composites ``pred`` (float,
    clamped to [0, 1] here) against ``gt`` (uint8 or float in [0, 1]) with ``mask``
    (1 = hole). An image without hole pixels has no hole L1 (NaN)."""
    gt = gt.double() / 255.0 if gt.dtype == torch.uint8 else gt.double()
    pred = pred.double().clamp(0.0, 1.0)
    hole = (mask.double() > 0.5).expand_as(gt)
    err = (pred - gt).abs()
    holes = hole.flatten(1).sum(1)
    l1 = (err * hole).flatten(1).sum(1) / holes
    mse = err.square().flatten(1).mean(1)
    psnr = 10.0 * torch.log10(1.0 / mse)            # +inf for a perfect image
    return {'hole_l1': l1.tolist(), 'psnr': psnr.tolist()}


@dataclass
class Curves:
    """``values[trainer][seed][metric]``: the metric at each of ``steps``;
    ``losses[trainer][seed]``: the logged terms of every training step;
    ``seconds[trainer][seed]``: training time (evaluation excluded)."""
    steps: list[int]
    seeds: list[int]
    values: dict[str, dict[int, dict[str, list[float]]]] = field(default_factory=dict)
    losses: dict[str, dict[int, list[dict[str, float]]]] = field(default_factory=dict)
    seconds: dict[str, dict[int, float]] = field(default_factory=dict)
    #: ``diverged[trainer][seed]``: where and why a trainer's own guard stopped it (its
    #: later points are NaN)
    diverged: dict[str, dict[int, str]] = field(default_factory=dict)

    @property
    def trainers(self) -> list[str]:
        return list(self.values)

    def series(self, trainer: str, metric: str) -> np.ndarray:
        """``[seeds, points]`` array of one trainer's metric."""
        return np.array([self.values[trainer][s][metric] for s in self.seeds], dtype=float)

    def to_json(self) -> dict:
        return dict(steps=self.steps, seeds=self.seeds,
                    values={t: {str(s): v for s, v in d.items()} for t, d in self.values.items()},
                    losses={t: {str(s): v for s, v in d.items()} for t, d in self.losses.items()},
                    seconds={t: {str(s): v for s, v in d.items()}
                             for t, d in self.seconds.items()},
                    diverged={t: {str(s): v for s, v in d.items()}
                              for t, d in self.diverged.items()})

    @classmethod
    def from_json(cls, data: Mapping) -> Curves:
        def keyed(d):
            return {t: {int(s): v for s, v in per.items()} for t, per in d.items()}
        return cls(list(data['steps']), list(data['seeds']), keyed(data['values']),
                   keyed(data.get('losses', {})), keyed(data.get('seconds', {})),
                   keyed(data.get('diverged', {})))


def _evaluate(trainer: CurveTrainer, held_out: Mapping[str, Tensor],
              chunk: int) -> dict[str, float]:
    per_image: dict[str, list[float]] = {m: [] for m in METRICS}
    gt, mask = held_out['gt'], held_out['mask']
    with torch.no_grad():
        for i in range(0, len(gt), chunk):
            pred = trainer.infer(gt[i:i + chunk], mask[i:i + chunk])
            for k, v in held_out_metrics(pred, gt[i:i + chunk], mask[i:i + chunk]).items():
                per_image[k].extend(v)
    return {k: float(np.mean(v)) for k, v in per_image.items()}


def _run_seed(make_trainers, stream, held_out, steps: int, every: int, seed: int,
              chunk: int, progress) -> dict:
    """One seed: every trainer trained on the seed's stream, evaluated along the way."""
    trainers = dict(make_trainers(seed))
    values = {name: {m: [] for m in METRICS} for name in trainers}
    losses = {name: [] for name in trainers}
    seconds = dict.fromkeys(trainers, 0.0)
    diverged: dict[str, str] = {}

    def evaluate(step):
        for name, trainer in trainers.items():
            scores = (dict.fromkeys(METRICS, math.nan) if name in diverged
                      else _evaluate(trainer, held_out, chunk))
            for k, v in scores.items():
                values[name][k].append(v)
            if progress:
                progress(f'seed {seed} step {step:4d} {name}: hole L1 '
                         f'{values[name]["hole_l1"][-1]:.4f} PSNR {values[name]["psnr"][-1]:.2f}')

    evaluate(0)
    for index, batch in enumerate(stream(seed, steps)):
        if index >= steps:
            break
        for name, trainer in trainers.items():
            if name in diverged:
                continue
            start = time.perf_counter()
            try:
                terms = {k: float(v) for k, v in trainer.step(batch).items()}
            except FloatingPointError as error:     # a guard that stops on NaN/inf
                diverged[name] = f'step {index + 1}: {error}'
                terms = {'diverged': math.nan}
                if progress:
                    progress(f'seed {seed} {name} stopped at step {index + 1}: {error}')
            losses[name].append(terms)
            seconds[name] += time.perf_counter() - start
        if (index + 1) % every == 0 or index + 1 == steps:
            evaluate(index + 1)
    return dict(values=values, losses=losses, seconds=seconds, diverged=diverged)


def learning_curves(make_trainers: Callable[[int], Mapping[str, CurveTrainer]],
                    stream: Callable[[int, int], Iterable], held_out: Mapping[str, Tensor],
                    *, steps: int, every: int, seeds: Sequence[int], chunk: int = 4,
                    jobs: int = 1, progress: Callable[[str], None] | None = print) -> Curves:
    """Train the trainers ``make_trainers(seed)`` gives (``{name: trainer}``, all from the
    same initial weights for one seed) on ``stream(seed, steps)`` (the same batch object
    to each in turn: a trainer must not change it) for ``steps`` steps; evaluate each on
    ``held_out`` (``{'gt': uint8 [N, 3, H, W], 'mask': uint8 [N, 1, H, W]}``, in chunks of
    ``chunk``) at step 0, every ``every`` steps and after the last. ``jobs > 1`` runs
    seeds in that many forked processes (each on the caller's torch thread count); torch
    refuses to fork once the caller's autograd engine has started its threads, so call
    it so from a fresh process (as ``compare-training --curves --jobs N`` does)."""
    if steps < 1 or every < 1 or not seeds:
        raise ValueError(f'steps and every must be >= 1 and seeds non-empty, got steps '
                         f'{steps}, every {every}, seeds {list(seeds)}')
    points = [0, *range(every, steps + 1, every)]
    if points[-1] != steps:
        points.append(steps)
    args = (make_trainers, stream, held_out, steps, every)
    if jobs > 1 and len(seeds) > 1:
        results = _forked(args, list(seeds), chunk, progress, jobs)
    else:
        results = [_run_seed(*args, seed, chunk, progress) for seed in seeds]
    curves = Curves(points, list(seeds))
    for seed, result in zip(seeds, results):
        for name in result['values']:
            curves.values.setdefault(name, {})[seed] = result['values'][name]
            curves.losses.setdefault(name, {})[seed] = result['losses'][name]
            curves.seconds.setdefault(name, {})[seed] = result['seconds'][name]
            if name in result['diverged']:
                curves.diverged.setdefault(name, {})[seed] = result['diverged'][name]
    return curves


_FORK_ARGS: tuple = ()


def _forked_seed(seed_chunk_progress):
    seed, chunk, progress = seed_chunk_progress
    return _run_seed(*_FORK_ARGS, seed, chunk, print if progress else None)


def _forked(args, seeds, chunk, progress, jobs):
    # the factories are closures (not picklable): forked workers inherit them instead
    import multiprocessing
    global _FORK_ARGS
    _FORK_ARGS = args
    threads = torch.get_num_threads()
    ctx = multiprocessing.get_context('fork')
    with ctx.Pool(min(jobs, len(seeds)), initializer=torch.set_num_threads,
                  initargs=(threads,)) as pool:
        return pool.map(_forked_seed, [(s, chunk, progress is not None) for s in seeds],
                        chunksize=1)


@dataclass
class Verdict:
    """Whether ``trainer``'s curves equal ``reference``'s (:func:`judge`); ``outside``
    lists ``(metric, step, why)`` for every point that breaks the rule."""
    trainer: str
    reference: str
    outside: list[tuple[str, int, str]]
    rule: str = 'means'

    @property
    def equal(self) -> bool:
        return not self.outside

    def line(self) -> str:
        if self.equal:
            why = ('each mean lies within the other\'s seed range' if self.rule == 'means'
                   else 'the seed ranges overlap')
            return f'{self.trainer} vs {self.reference}: EQUAL (at every point, {why})'
        if self.rule == 'overlap':
            return (f'{self.trainer} vs {self.reference}: seed ranges apart at '
                    f'{len(self.outside)} point(s): ' + '; '.join(
                        f'{m} at step {s}: {why}' for m, s, why in self.outside[:3]))
        first = '; '.join(f'{m} at step {s}: {why}' for m, s, why in self.outside[:3])
        more = f' (and {len(self.outside) - 3} more)' if len(self.outside) > 3 else ''
        return (f'{self.trainer} vs {self.reference}: NOT EQUAL at {len(self.outside)} '
                f'point(s): {first}{more}')


RULES = ('means', 'overlap')


def judge(curves: Curves, trainer: str, reference: str, rtol: float = 1e-5,
          rule: str = 'means') -> Verdict:
    """The rule (``'means'``): at every point, for every metric, the seed mean of each
    trainer lies within the other's [min, max] over seeds, widened by ``rtol`` of its
    magnitude (float rounding: two trainers with equal weights infer through different
    code, and with one seed, or seeds that agree, the range is a single value).
    ``'overlap'``, a weaker rule: the two ranges (so widened) share a value."""
    if rule not in RULES:
        raise ValueError(f'rule must be one of {RULES}, got {rule!r}')
    outside = []
    for metric in METRICS:
        a, b = curves.series(trainer, metric), curves.series(reference, metric)
        for i, step in enumerate(curves.steps):
            x, y = a[:, i], b[:, i]
            if np.isnan(x).any() or np.isnan(y).any():
                outside.append((metric, step, 'NaN'))
                continue
            if rule == 'overlap':
                slack = rtol * max(np.abs(x).max(), np.abs(y).max())
                if x.min() > y.max() + slack or y.min() > x.max() + slack:
                    outside.append((metric, step, f'range [{x.min():.4g}, {x.max():.4g}] '
                                                  f'apart from [{y.min():.4g}, {y.max():.4g}]'))
                continue
            if not _inside(x.mean(), y, rtol):
                outside.append((metric, step, f'mean {x.mean():.4g} outside '
                                              f'[{y.min():.4g}, {y.max():.4g}]'))
            elif not _inside(y.mean(), x, rtol):
                outside.append((metric, step, f'reference mean {y.mean():.4g} outside '
                                              f'[{x.min():.4g}, {x.max():.4g}]'))
    return Verdict(trainer, reference, outside, rule)


def _inside(value: float, values: np.ndarray, rtol: float) -> bool:
    slack = rtol * max(abs(values.min()), abs(values.max()))
    return values.min() - slack <= value <= values.max() + slack


def summary_rows(curves: Curves, at: Sequence[int] | None = None) -> list[dict]:
    """One row per (trainer, step): the seed mean, min and max of each metric."""
    rows = []
    for name in curves.trainers:
        for i, step in enumerate(curves.steps):
            if at is not None and step not in at:
                continue
            row = dict(trainer=name, step=step)
            for metric in METRICS:
                v = curves.series(name, metric)[:, i]
                row.update({f'{metric}_mean': float(np.mean(v)),
                            f'{metric}_min': float(np.min(v)),
                            f'{metric}_max': float(np.max(v))})
            rows.append(row)
    return rows


def format_curve_table(curves: Curves, at: Sequence[int] | None = None) -> str:
    """A Markdown table of :func:`summary_rows`."""
    lines = ['| trainer | step | hole L1 mean | hole L1 min–max | PSNR mean (dB) | '
             'PSNR min–max |', '|---|---|---|---|---|---|']
    for r in summary_rows(curves, at):
        lines.append(f'| {r["trainer"]} | {r["step"]} | {r["hole_l1_mean"]:.4f} | '
                     f'{r["hole_l1_min"]:.4f}–{r["hole_l1_max"]:.4f} | {r["psnr_mean"]:.2f} | '
                     f'{r["psnr_min"]:.2f}–{r["psnr_max"]:.2f} |')
    return '\n'.join(lines)


def write_csv(curves: Curves, path: str) -> None:
    import csv
    rows = summary_rows(curves)
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot(curves: Curves, path: str, title: str = '') -> None:
    """Two panels (hole L1, PSNR against step), one line per trainer (the seed mean, a
    dot at each evaluation) with its seed range as a band; an SVG keeps its text as text
    and carries no date."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    with matplotlib.rc_context({'svg.fonttype': 'none', 'svg.hashsalt': 'curves',
                                'font.size': 9}):
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
        for ax, (metric, label) in zip(axes, (('hole_l1', 'held-out hole L1'),
                                              ('psnr', 'held-out PSNR (dB)'))):
            for i, name in enumerate(curves.trainers):
                v = curves.series(name, metric)
                # dashes keep a line visible where it lies on another
                line, = ax.plot(curves.steps, v.mean(0), label=name, lw=1.4,
                                ls=('-', '--', ':', '-.')[i % 4], marker='.', ms=4)
                ax.fill_between(curves.steps, v.min(0), v.max(0), color=line.get_color(),
                                alpha=0.2, lw=0)
            ax.set_xlabel('training step')
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=7)
        if title:
            fig.suptitle(title, fontsize=9)
        fig.tight_layout()
        fig.savefig(path, metadata={'Date': None})
        plt.close(fig)

