"""Write one PNG with example masks of every registered mask generator (white = hole) and
a histogram of its hole ratios, with its documented hole-ratio range marked.

Masks whose pattern is too fine to display whole (EveryNLines, NearestNeighbor) are shown
as their top-left 48 x 48 corner. Each generator is built with its default arguments; one
that needs arguments (e.g. MaskFiles, which needs a folder) is built from its ``tiny_cfg``
instead, and the row says so.

Examples:
    toolbox browse-masks --out masks.png
    toolbox browse-masks --size 512 --types ThickStrokes FreeFormBrush --samples 500
"""
from __future__ import annotations

import argparse
import sys

from toolbox.commands.make_mask_set import parse_size, positive_int

#: Side of the corner shown for patterns too fine to display whole.
CROP = 48


def build_generator(name: str):
    """``(generator, how)``: built with defaults, else from its ``tiny_cfg``."""
    from toolbox.registry import MASK_GENERATORS
    try:
        return MASK_GENERATORS.build(dict(type=name)), 'defaults'
    except (TypeError, ValueError):
        cfg = dict(MASK_GENERATORS.get(name).tiny_cfg)
        return MASK_GENERATORS.build(dict(type=name, **cfg)), 'tiny_cfg'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='toolbox browse-masks', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='mask_browser.png', help='PNG file to write')
    parser.add_argument('--size', type=parse_size, default=(256, 256),
                        help='mask size, N or HxW (raised to a generator\'s min_shape)')
    parser.add_argument('--examples', type=positive_int, default=4,
                        help='example masks per generator')
    parser.add_argument('--samples', type=positive_int, default=300,
                        help='masks per generator for the histogram')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--types', nargs='+', metavar='NAME',
                        help='generators to show (default: every registered one)')
    args = parser.parse_args(argv)

    from toolbox.extras import MissingExtraError, require
    try:
        require('plot', 'toolbox browse-masks', 'matplotlib')
    except MissingExtraError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np

    from toolbox.testing import components

    from toolbox.registry import MASK_GENERATORS
    names = args.types or [n for n in components('mask_generators')   # images only: (H, W)
                           if not getattr(MASK_GENERATORS.get(n), 'is_video', False)]
    cols = args.examples + 2  # the histogram spans two columns
    fig = plt.figure(figsize=(1.7 * cols, 1.9 * len(names)))
    grid = fig.add_gridspec(len(names), cols)
    for row, name in enumerate(names):
        gen, how = build_generator(name)
        shape = (max(args.size[0], gen.min_shape[0]), max(args.size[1], gen.min_shape[1]))
        for i in range(args.examples):
            mask = gen(shape, np.random.default_rng([args.seed, i]))
            ax = fig.add_subplot(grid[row, i])
            # A pattern finer than the panel's pixels would alias: show a corner instead.
            fine = (np.abs(np.diff(mask.astype(np.int8), axis=0)).mean()
                    + np.abs(np.diff(mask.astype(np.int8), axis=1)).mean()) > 0.1
            if fine:
                mask = mask[:CROP, :CROP]
                ax.set_xlabel(f'{mask.shape[0]}x{mask.shape[1]} corner', fontsize=6)
            ax.imshow(mask, cmap='gray', vmin=0, vmax=1, interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(name, fontsize=8)
        rng = np.random.default_rng([args.seed, 10**6])
        ratios = np.array([gen(shape, rng).mean() for _ in range(args.samples)])
        ax = fig.add_subplot(grid[row, args.examples:])
        ax.hist(ratios, bins=50, range=(0, 1), color='tab:blue')
        lo, hi = gen.hole_ratio_range
        for edge in (lo, hi):
            ax.axvline(edge, color='tab:red', lw=0.8, ls='--')
        ax.set_title(f'{name} {shape[0]}x{shape[1]} ({how}): mean {ratios.mean():.2f}, '
                     f'documented {lo:.2f}-{hi:.2f}', fontsize=6)
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f'wrote {args.out} ({len(names)} mask generators)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
