"""Write a frozen set of masks as PNG files, so every evaluation of every model sees the
same masks.

Masks are 0/255 grayscale PNGs (white = hole) named 000000.png, 000001.png, ...; mask i is
drawn from numpy.random.default_rng([seed, i]), so the first k masks of a larger set equal
a set of k masks with the same seed. A ``mask_set.json`` beside them records the
generator, size, seed and hole-ratio statistics. Use a folder as ``mask_dir=`` of
ImageFolderDataset with the LoadMask transform (the i-th sorted image gets mask i mod n).

--type takes one or more registered mask generators (comma-separated, or the option
repeated) or ``all`` for the seven mask types of the paper (ThickStrokes, MediumStrokes,
ThinStrokes, EveryNLines, NearestNeighbor, Completion, Expand). One type writes into OUT
itself; several write one sub-folder per type, OUT/<Type>/, for a per-type evaluation.

--cfg-options sets constructor arguments of the generator(s), e.g.
``--cfg-options max_hole_ratio=0.4`` or ``--cfg-options ns=[2,3] random_offset=True``
(dotted keys build nested configs: ``box.type=RandomBox box.max_shape=0.4``). With
several types, every type gets the same options, so they must suit all of them. Put OUT
before --cfg-options or right after its pairs.

Examples:
    toolbox make-mask-set --type ThickStrokes --size 256 --num 1000 --seed 0 masks/thick
    toolbox make-mask-set --type all --size 512 --num 1000 masks/ntire_512
    toolbox make-mask-set --type EveryNLines,NearestNeighbor --size 256x384 out/
    toolbox make-mask-set --type FreeFormBrush --cfg-options box.type=RandomBox out/
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys

from toolbox.datasets.mask_sets import build_mask_generator, expand_types, write_set

def parse_size(text: str) -> tuple[int, int]:
    try:
        parts = [int(p) for p in text.lower().split('x')]
    except ValueError:
        parts = []
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) <= 0:
        raise argparse.ArgumentTypeError(f'must be N or HxW with positive integers, '
                                         f'got {text!r}')
    return parts[0], parts[1]


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f'must be a positive integer, got {text!r}')
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from mmengine.config import DictAction

    class CfgOptions(DictAction):
        """mmengine's KEY=VALUE parsing; a trailing word without '=' is the OUT folder
        that the greedy ``nargs='+'`` swallowed."""

        def __call__(self, parser, namespace, values, option_string=None):
            namespace.trailing = [v for v in values if '=' not in v]
            super().__call__(parser, namespace, [v for v in values if '=' in v],
                             option_string)

    parser = argparse.ArgumentParser(prog='toolbox make-mask-set', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', metavar='OUT', nargs='?',
                        help='output folder (created if missing)')
    parser.add_argument('--type', action='append', required=True, metavar='TYPE',
                        help='mask generator name(s), comma-separated (the option may also '
                             'repeat), or "all"')
    parser.add_argument('--size', type=parse_size, default=(256, 256),
                        help='mask size: N (square) or HxW; default 256')
    parser.add_argument('--num', type=positive_int, default=1000,
                        help='masks per type; default 1000')
    parser.add_argument('--seed', type=int, default=0, help='base seed; default 0')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptions, default={},
                        metavar='KEY=VALUE', help='constructor arguments of the generator(s)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace the masks of an earlier set in the folder(s)')
    args = parser.parse_args(argv)
    trailing = getattr(args, 'trailing', [])
    if args.out is None and len(trailing) == 1:
        args.out = trailing.pop()
    if trailing:
        parser.error(f'--cfg-options takes KEY=VALUE pairs, got {trailing}')
    if args.out is None:
        parser.error('the output folder OUT is required')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = expand_types(args.type)
    if not names:
        print('error: --type names no mask generator', file=sys.stderr)
        return 2
    # Build every generator before writing anything, so a typo costs no half-written sets.
    try:
        built = [(name, *build_mask_generator(name, args.cfg_options)) for name in names]
    except (KeyError, TypeError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    for name, gen, cfg in built:
        folder = args.out if len(built) == 1 else osp.join(args.out, name)
        try:
            stats = write_set(gen, cfg, folder, args.size, args.num, args.seed,
                              args.overwrite)
        except (FileExistsError, ValueError) as exc:
            print(f'error: {exc}', file=sys.stderr)
            return 2
        ratio = stats['hole_ratio']
        print(f'{name}: {args.num} masks {args.size[0]}x{args.size[1]} -> {folder} '
              f'(hole ratio mean {ratio["mean"]:.3f}, {ratio["min"]:.3f}-{ratio["max"]:.3f})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
