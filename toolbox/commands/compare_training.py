"""Training steps of the toolbox side by side with the reference trainers'.

    toolbox compare-training [--peer-mmagic MMAGIC] [--peer-lama LAMA] [--steps 5]
                             [--size 128] [--batch 2] [--models deepfillv2 aotgan]
                             [--self-check] [--threads 1] [--dtype float32]
    toolbox compare-training --peer-mmagic MMAGIC --curves [--curve-steps 300] [--every 25]
                             [--seeds 0 1 2] [--recipes mmagic ours paper] [--batch 2]
                             [--held-out 8] [--jobs 1] [--figure PATH.svg]

``MMAGIC`` is a checkout of https://github.com/open-mmlab/mmagic (the folder holding
``mmagic/``), used as it is, offline; nothing of it is copied. For each model, MMagic's own inpaintor and the
toolbox's ``_mmagic`` config start from the same weights (MMagic's initial weights through
the registered converter) and take ``--steps`` training steps on the same batches (real
photos from scikit-image, free-form masks). The table gives, per loss term, the largest
absolute and relative difference over the steps, and the parameter tensor that differs
most after the last step. The rule: relative <= 1e-4 or absolute <= 1e-6.
``--self-check`` also steps MMagic against itself with one more thread, which changes
only the order of float sums: differences of that size are not the toolbox's.

``LAMA`` is a checkout of https://github.com/advimman/lama (the folder holding
``saicinpainting/``): its ``DefaultInpaintingTrainingModule`` as ``lama-fourier.yaml``
configures it, stepped as PyTorch Lightning 1.x steps it (no Lightning needed), beside
``configs/lama/fourier_places_256_lama.py``; LaMa-Fourier at ``--size`` (64 is enough:
the generator's three downsamplings leave 8x8 at the bottleneck, which the Fourier units
see whole). At least one peer is required.

``--dtype float64`` builds both sides' networks, losses (the shared random VGG19 and
ResNet-PL weights too) and optimiser state in float64 and feeds them float64 batches:
rounding then shrinks from about 1e-7 to 1e-16, so a gap that float32 arithmetic makes
shrinks with it, and one that the algorithm makes does not.

``--curves`` trains DeepFill v2's ``--recipes`` (MMagic's trainer; the toolbox's
``places_256_mmagic.py``; the ``places_256.py`` recipe on the same network) from MMagic's
initial weights on the training photos of ``toolbox reproduce`` (random crops, free-form
masks; the seed sets stream, masks and weights), evaluates hole L1 and PSNR on held-out
crops every ``--every`` steps, and calls two recipes equal when at every point each one's
seed mean lies within the other's seed range (toolbox.parity.curves). It writes the
figure and its .json and .csv.

Exit status: 0 when every loss term keeps the rule (with --curves: when every recipe's
curves equal the first's), 1 otherwise, 2 on bad arguments.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys

MODELS = ('deepfillv2', 'aotgan')
#: --dtype: the float type both sides train in
DTYPES = ('float32', 'float64')
#: the smallest side each model trains at (DeepFill v2's dilation-16 reflection padding
#: runs at a quarter of the image)
MIN_SIZE = {'deepfillv2': 128, 'aotgan': 64, 'lama': 64}
#: the file of LaMa's checkout the comparison runs
LAMA_MODULE = 'saicinpainting/training/trainers/default.py'
CURVES_FIGURE = osp.join('work_dirs', 'compare_training', 'deepfillv2_learning_curves.svg')
#: the seed of the held-out crops and masks (fixed: the same set for every run seed)
HELD_OUT_SEED = 20190101


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='toolbox compare-training', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--peer-mmagic', metavar='PATH',
                   help='a checkout of open-mmlab/mmagic (DeepFill v2, AOT-GAN)')
    p.add_argument('--peer-lama', metavar='PATH',
                   help='a checkout of advimman/lama (LaMa-Fourier)')
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--size', type=int, default=128,
                   help='image side, a multiple of 8 (DeepFill v2 needs >= 128, AOT-GAN >= 64)')
    p.add_argument('--batch', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--models', nargs='+', choices=MODELS, default=list(MODELS))
    p.add_argument('--self-check', action='store_true',
                   help='also each peer against itself on threads + 1')
    p.add_argument('--dtype', default='float32',
                   help='float32 (default) or float64: the type both sides train in')
    curves = p.add_argument_group('learning curves (--curves; DeepFill v2)')
    curves.add_argument('--curves', action='store_true',
                        help='learning-curve parity instead of step parity')
    curves.add_argument('--curve-steps', type=int, default=300)
    curves.add_argument('--every', type=int, default=25)
    curves.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    curves.add_argument('--recipes', nargs='+', default=['mmagic', 'ours'],
                        help='of mmagic, ours, paper (the first is the reference)')
    curves.add_argument('--held-out', type=int, default=8, help='held-out crops')
    curves.add_argument('--jobs', type=int, default=1, help='seeds run in parallel')
    curves.add_argument('--figure', default=CURVES_FIGURE,
                        help='.svg/.png/.pdf; its .json and .csv are written beside it')
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.dtype not in DTYPES:
        print(f'error: --dtype {args.dtype}: not one of {", ".join(DTYPES)}', file=sys.stderr)
        return 2
    if not args.peer_mmagic and not args.peer_lama:
        print('error: give at least one peer: --peer-mmagic PATH and/or --peer-lama PATH',
              file=sys.stderr)
        return 2
    if args.peer_mmagic and not osp.isdir(osp.join(args.peer_mmagic, 'mmagic')):
        print(f'error: --peer-mmagic {args.peer_mmagic}: no mmagic/ folder there (expected a '
              'checkout of open-mmlab/mmagic)', file=sys.stderr)
        return 2
    if args.curves:
        if not args.peer_mmagic:
            print('error: --curves: needs --peer-mmagic PATH (the curves are of DeepFill v2 '
                  "against MMagic's trainer)", file=sys.stderr)
            return 2
        if args.dtype != 'float32':
            print(f'error: --dtype {args.dtype}: --curves trains in float32 only',
                  file=sys.stderr)
            return 2
        return run_curves(args)
    if args.peer_lama and not osp.isfile(osp.join(args.peer_lama, LAMA_MODULE)):
        print(f'error: --peer-lama {args.peer_lama}: no {LAMA_MODULE} there (expected a '
              'checkout of advimman/lama)', file=sys.stderr)
        return 2
    models = list(args.models) if args.peer_mmagic else []
    least = max([MIN_SIZE[m] for m in models] + [MIN_SIZE['lama']] * bool(args.peer_lama))
    if args.steps < 1 or args.size < least or args.size % 8 or args.batch < 1:
        print(f'error: --steps and --batch must be >= 1, --size a multiple of 8 >= {least} '
              f'(got --steps {args.steps} --batch {args.batch} --size {args.size})',
              file=sys.stderr)
        return 2
    import torch

    from toolbox.parity.drivers import default_dtype
    with default_dtype(getattr(torch, args.dtype)):
        return _compare(args)


def _compare(args) -> int:
    import torch

    from toolbox.benchmarks.peers import commit_of
    from toolbox.parity import compare_trainers, format_table
    from toolbox.parity import mmagic
    from toolbox.parity.drivers import WithThreads, photo_batches
    torch.set_num_threads(args.threads)
    for name, peer in (('MMagic', args.peer_mmagic), ('LaMa', args.peer_lama)):
        if peer:
            print(f'{name} {commit_of(peer)} from {peer}')
    print(f'{args.steps} steps, batch {args.batch}, {args.size}x{args.size}, {args.dtype} '
          f'on the CPU, {args.threads} thread(s), seed {args.seed}')
    models = list(args.models) if args.peer_mmagic else []
    pairs = {'deepfillv2': ('DeepFill v2', mmagic.deepfillv2_pair),
             'aotgan': ('AOT-GAN', mmagic.aotgan_pair)}
    reports = []
    if args.peer_lama:
        from toolbox.parity import lama
        batches = photo_batches(args.steps, args.batch, args.size, seed=args.seed)
        ours, theirs = lama.lama_pair(args.peer_lama, seed=args.seed)
        reports.append(compare_trainers(ours, theirs, batches,
                                        name='LaMa-Fourier: ours vs LaMa'))
        if args.self_check:
            _, again = lama.lama_pair(args.peer_lama, seed=args.seed)
            _, other = lama.lama_pair(args.peer_lama, seed=args.seed)
            reports.append(compare_trainers(
                again, WithThreads(other, args.threads + 1), batches,
                name=f'LaMa-Fourier: LaMa vs LaMa on {args.threads + 1} threads'))
    for key in models:
        title, make = pairs[key]
        batches = photo_batches(args.steps, args.batch, args.size, seed=args.seed)
        ours, theirs = make(args.peer_mmagic, seed=args.seed)
        reports.append(compare_trainers(ours, theirs, batches, name=f'{title}: ours vs MMagic'))
        if args.self_check:
            _, again = make(args.peer_mmagic, seed=args.seed)
            _, other = make(args.peer_mmagic, seed=args.seed)
            reports.append(compare_trainers(
                again, WithThreads(other, args.threads + 1), batches,
                name=f'{title}: MMagic vs MMagic on {args.threads + 1} threads'))
    print(format_table(reports))
    for report in reports:
        outside = [d.name for d in report.params.values() if not d.ok]
        if outside:
            more = f' and {len(outside) - 4} more' if len(outside) > 4 else ''
            print(f'{report.name}: {len(outside)} parameter tensors outside the rule: '
                  f'{", ".join(outside[:4])}{more}')
        first = report.per_step[0] if report.per_step else {}
        apart = [k for k, (a, b) in first.items() if a != b]
        print(f'{report.name}: step 1 terms ' + ('all equal' if not apart else
                                                 'apart: ' + ', '.join(apart)))
    # the rule applies to the loss terms; parameters are reported (docs/training-parity.md)
    return 0 if all(d.ok for r in reports for d in r.terms.values()) else 1


# -- learning curves ----------------------------------------------------------------------

RECIPE_NAMES = {'mmagic': 'MMagic TwoStageInpaintor',
                'ours': 'toolbox places_256_mmagic',
                'paper': 'toolbox places_256 recipe'}


def _curves_args_error(args) -> str | None:
    from toolbox.parity.mmagic import DEEPFILL_RECIPES
    if args.curve_steps < 1 or args.every < 1 or args.every > args.curve_steps:
        return (f'--curve-steps and --every must be >= 1 and --every <= --curve-steps (got '
                f'--curve-steps {args.curve_steps} --every {args.every})')
    if len(set(args.seeds)) != len(args.seeds):
        return f'--seeds must differ, got {args.seeds}'
    bad = [r for r in args.recipes if r not in DEEPFILL_RECIPES]
    if bad or len(set(args.recipes)) != len(args.recipes) or len(args.recipes) < 2:
        return (f'--recipes: two or more of {", ".join(DEEPFILL_RECIPES)}, each once '
                f'(got {" ".join(args.recipes)})')
    if args.size < MIN_SIZE['deepfillv2'] or args.size % 8 or args.batch < 1 \
            or args.held_out < 1 or args.jobs < 1:
        return (f'--size must be a multiple of 8 >= 128, --batch, --held-out and --jobs '
                f'>= 1 (got --size {args.size} --batch {args.batch} --held-out '
                f'{args.held_out} --jobs {args.jobs})')
    if osp.splitext(args.figure)[1].lower() not in ('.svg', '.png', '.pdf'):
        return f'--figure {args.figure}: give a .svg, .png or .pdf path'
    return None


def run_curves(args) -> int:
    """``--curves``: train the ``--recipes`` from MMagic's initial weights on the
    reproduce tool's training photos, evaluate on its held-out photos, and judge."""
    error = _curves_args_error(args)
    if error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    import json
    import os
    import time

    import numpy as np
    import torch

    from toolbox.benchmarks.peers import commit_of
    from toolbox.parity import curves as lc
    from toolbox.parity import mmagic
    from toolbox.parity.drivers import crops_with_masks, split_photos
    torch.set_num_threads(args.threads)
    out_dir = osp.dirname(osp.abspath(args.figure))
    os.makedirs(out_dir, exist_ok=True)
    photos = split_photos(osp.join('work_dirs', 'compare_training', 'photos'), args.size)
    held_out = crops_with_masks(photos['held_out'], args.held_out, args.size,
                                np.random.default_rng(HELD_OUT_SEED))
    names = [RECIPE_NAMES[r] for r in args.recipes]

    def make_trainers(seed):
        built = mmagic.deepfillv2_trainers(args.peer_mmagic, seed, args.recipes)
        return {RECIPE_NAMES[r]: t for r, t in built.items()}

    def stream(seed, steps):
        rng = np.random.default_rng(seed)
        for _ in range(steps):
            yield crops_with_masks(photos['train'], args.batch, args.size, rng)

    print(f'MMagic {commit_of(args.peer_mmagic)} from {args.peer_mmagic}; learning curves of '
          f'DeepFill v2: {", ".join(names)}; {args.curve_steps} steps of batch {args.batch} '
          f'at {args.size}x{args.size} on {len(photos["train"])} training photos, evaluated '
          f'every {args.every} steps on {args.held_out} held-out crops '
          f'({len(photos["held_out"])} photos); seeds {args.seeds}; float32 on the CPU, '
          f'{args.threads} thread(s) x {args.jobs} job(s)', flush=True)
    start = time.time()
    curves = lc.learning_curves(make_trainers, stream, held_out, steps=args.curve_steps,
                                every=args.every, seeds=args.seeds, jobs=args.jobs,
                                progress=lambda line: print(line, flush=True))
    took = time.time() - start
    print(lc.format_curve_table(curves))
    verdicts = [lc.judge(curves, name, names[0]) for name in names[1:]]
    for verdict in verdicts:
        print(verdict.line())
        if not verdict.equal:       # the weaker rule, for the record
            print('  weaker rule: ' + lc.judge(curves, verdict.trainer, names[0],
                                               rule='overlap').line())
    for name, per in curves.diverged.items():
        for seed, where in per.items():
            print(f'{name} seed {seed} stopped at {where}')
    for name in names:
        per_step = np.mean(list(curves.seconds[name].values())) / args.curve_steps
        print(f'{name}: {per_step:.2f} s per training step')
    print(f'took {took / 60:.1f} min')
    stem = osp.splitext(args.figure)[0]
    record = dict(mmagic_commit=commit_of(args.peer_mmagic), size=args.size,
                  batch=args.batch, held_out=args.held_out, held_out_seed=HELD_OUT_SEED,
                  recipes=dict(zip(args.recipes, names)), minutes=took / 60,
                  verdicts={v.trainer: v.line() for v in verdicts},
                  overlap={v.trainer: lc.judge(curves, v.trainer, names[0],
                                               rule='overlap').line() for v in verdicts},
                  **curves.to_json())
    with open(stem + '.json', 'w') as f:
        json.dump(record, f, indent=1)
    lc.write_csv(curves, stem + '.csv')
    lc.plot(curves, args.figure, title=f'DeepFill v2, {args.size}x{args.size}, batch '
                                       f'{args.batch}, seeds {args.seeds}: mean and range')
    print(f'wrote {args.figure}, {stem}.json, {stem}.csv')
    return 0 if all(v.equal for v in verdicts) else 1
