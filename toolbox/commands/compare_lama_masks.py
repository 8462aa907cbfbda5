"""Compare the Thick/Medium/Thin stroke masks with LaMa's own generator, per preset.

    toolbox compare-lama-masks LAMA_CHECKOUT [--num 2000] [--seed 0] [--sets thick_256 ...]

``LAMA_CHECKOUT`` is a checkout of https://github.com/advimman/lama (the folder holding
``saicinpainting/`` and ``configs/data_gen/``). Nothing of it is copied: this script
imports LaMa's ``saicinpainting/training/data/masks.py`` from there, with the two modules it
imports but the random masks never use (segmentation masks, ``LinearRamp``) replaced by
placeholders, builds ``MixedMaskGenerator`` from LaMa's own ``random_<kind>_<size>.yaml``
and keeps, as LaMa's ``gen_mask_dataset.py`` does, only masks whose hole ratio is at most
the config's ``max_tamper_area`` (0.5). It draws ``--num`` accepted masks from each side
and prints the hole-ratio means and a two-sample Kolmogorov-Smirnov test
(``scipy.stats.ks_2samp``). Exit status 1 if some set has p <= ``--alpha``, 2 on bad
arguments.
"""
from __future__ import annotations

import argparse
import importlib.util
import os.path as osp
import sys
import types

import numpy as np

SETS = tuple(f'{kind}_{size}' for kind in ('thick', 'medium', 'thin') for size in (256, 512))
OURS = {'thick': 'ThickStrokes', 'medium': 'MediumStrokes', 'thin': 'ThinStrokes'}


def load_lama_masks(checkout: str):
    """LaMa's ``saicinpainting.training.data.masks`` module, imported from ``checkout``."""
    path = osp.join(checkout, 'saicinpainting', 'training', 'data', 'masks.py')

    def unused(name):
        def fail(*args, **kwargs):
            raise RuntimeError(f'{name} is a placeholder of compare_lama_masks.py')
        return fail

    # Stand-ins for imports that pull in detectron2 / pytorch_lightning: the random stroke
    # and box masks never call them (no segmentation masks, no ramp).
    stubs = {'saicinpainting.evaluation.masks.mask': dict(SegmentationMask=unused('SegmentationMask')),
             'saicinpainting.utils': dict(LinearRamp=unused('LinearRamp'))}
    for name, attrs in stubs.items():
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        sys.modules.setdefault(name, module)
    spec = importlib.util.spec_from_file_location('lama_masks', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lama_ratios(lama, checkout: str, name: str, num: int, seed: int) -> np.ndarray:
    import yaml
    path = osp.join(checkout, 'configs', 'data_gen', f'random_{name}.yaml')
    with open(path) as f:
        config = yaml.safe_load(f)
    kwargs = dict(config['mask_generator_kwargs'])
    kwargs.pop('variants_n', None)  # how many candidates per image; acceptance is what counts
    limit = config.get('max_tamper_area', 1)
    size = config['cropping']['out_min_size']
    gen = lama.MixedMaskGenerator(**kwargs)
    img = np.zeros((3, size, size), np.uint8)
    np.random.seed(seed)
    ratios = []
    while len(ratios) < num:
        ratio = float(gen(img)[0].mean())
        if ratio <= limit:
            ratios.append(ratio)
    return np.array(ratios)


def our_ratios(name: str, num: int, seed: int) -> np.ndarray:
    from toolbox import load_plugins
    from toolbox.registry import MASK_GENERATORS
    load_plugins()
    kind, size = name.split('_')
    gen = MASK_GENERATORS.build(dict(type=OURS[kind]))
    rng = np.random.default_rng(seed)
    shape = (int(size), int(size))
    return np.array([gen(shape, rng).mean() for _ in range(num)], np.float64)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='toolbox compare-lama-masks', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('lama', metavar='LAMA_CHECKOUT', help='checkout of advimman/lama')
    p.add_argument('--num', type=int, default=2000, help='accepted masks per side and set')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--sets', nargs='+', choices=SETS, default=list(SETS))
    p.add_argument('--alpha', type=float, default=0.05, help='significance level')
    args = p.parse_args(argv)
    if args.num < 1:
        p.error(f'--num must be at least 1, got {args.num}')
    for need in [osp.join('saicinpainting', 'training', 'data', 'masks.py')] + [
            osp.join('configs', 'data_gen', f'random_{name}.yaml') for name in args.sets]:
        if not osp.isfile(osp.join(args.lama, need)):
            p.error(f'{osp.join(args.lama, need)} not found; LAMA_CHECKOUT must be a '
                    'checkout of advimman/lama')

    from scipy.stats import ks_2samp
    lama = load_lama_masks(args.lama)
    print(f'{"set":<11} {"n":>5} {"mean ours":>9} {"mean LaMa":>9} {"KS D":>7} {"p":>9}')
    failed = []
    for name in args.sets:
        ours = our_ratios(name, args.num, args.seed)
        ref = lama_ratios(lama, args.lama, name, args.num, args.seed)
        test = ks_2samp(ours, ref)
        print(f'{name:<11} {args.num:>5} {ours.mean():>9.4f} {ref.mean():>9.4f} '
              f'{test.statistic:>7.4f} {test.pvalue:>9.3g}', flush=True)
        if test.pvalue <= args.alpha:
            failed.append(name)
    if failed:
        print(f'different at alpha={args.alpha}: {", ".join(failed)}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
