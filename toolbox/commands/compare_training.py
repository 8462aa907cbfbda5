"""Training steps of the toolbox side by side with the reference trainers'.

    toolbox compare-training --peer-mmagic MMAGIC [--steps 5] [--size 128] [--batch 2]
                             [--models deepfillv2 aotgan] [--self-check] [--threads 1]

``MMAGIC`` is a checkout of https://github.com/open-mmlab/mmagic (the folder holding
``mmagic/``), used as it is, offline; nothing of it is copied. For each model, MMagic's own inpaintor and the
toolbox's ``_mmagic`` config start from the same weights (MMagic's initial weights through
the registered converter) and take ``--steps`` training steps on the same batches (real
photos from scikit-image, free-form masks). The table gives, per loss term, the largest
absolute and relative difference over the steps, and the parameter tensor that differs
most after the last step. The rule: relative <= 1e-4 or absolute <= 1e-6.
``--self-check`` also steps MMagic against itself with one more thread, which changes
only the order of float sums: differences of that size are not the toolbox's.

Exit status: 0 when every loss term keeps the rule, 1 otherwise, 2 on bad arguments.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys

MODELS = ('deepfillv2', 'aotgan')
#: the smallest side each model trains at (DeepFill v2's dilation-16 reflection padding
#: runs at a quarter of the image)
MIN_SIZE = {'deepfillv2': 128, 'aotgan': 64}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='toolbox compare-training', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--peer-mmagic', metavar='PATH', required=True,
                   help='a checkout of open-mmlab/mmagic')
    p.add_argument('--peer-lama', metavar='PATH',
                   help='a checkout of advimman/lama (LaMa step parity: not implemented yet)')
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--size', type=int, default=128,
                   help='image side, a multiple of 8 (DeepFill v2 needs >= 128, AOT-GAN >= 64)')
    p.add_argument('--batch', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--models', nargs='+', choices=MODELS, default=list(MODELS))
    p.add_argument('--self-check', action='store_true',
                   help='also MMagic against itself on threads + 1')
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if not osp.isdir(osp.join(args.peer_mmagic, 'mmagic')):
        print(f'error: --peer-mmagic {args.peer_mmagic}: no mmagic/ folder there (expected a '
              'checkout of open-mmlab/mmagic)', file=sys.stderr)
        return 2
    if args.peer_lama:
        print('error: --peer-lama: LaMa step parity is not implemented yet; leave the '
              'option out', file=sys.stderr)
        return 2
    least = max(MIN_SIZE[m] for m in args.models)
    if args.steps < 1 or args.size < least or args.size % 8 or args.batch < 1:
        print(f'error: --steps and --batch must be >= 1, --size a multiple of 8 >= {least} '
              f'(got --steps {args.steps} --batch {args.batch} --size {args.size})',
              file=sys.stderr)
        return 2
    import torch

    from toolbox.benchmarks.peers import commit_of
    from toolbox.parity import compare_trainers, format_table
    from toolbox.parity import mmagic
    from toolbox.parity.drivers import WithThreads, photo_batches
    torch.set_num_threads(args.threads)
    print(f'MMagic {commit_of(args.peer_mmagic)} from {args.peer_mmagic}; {args.steps} steps, '
          f'batch {args.batch}, {args.size}x{args.size}, float32 on the CPU, '
          f'{args.threads} thread(s), seed {args.seed}')
    pairs = {'deepfillv2': ('DeepFill v2', mmagic.deepfillv2_pair),
             'aotgan': ('AOT-GAN', mmagic.aotgan_pair)}
    reports = []
    for key in args.models:
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
