"""Frozen mask sets: folders of 0/255 grayscale PNGs (white = hole) named 000000.png, ...,
with a ``mask_set.json`` recording the generator, size, seed and hole-ratio statistics.

``toolbox make-mask-set`` writes them (:func:`write_set`); :mod:`toolbox.evaluation.report`
reads them back (``find_mask_sets``). Mask ``i`` is drawn from
``numpy.random.default_rng([seed, i])``, so the first k masks of a larger set equal a set
of k masks with the same seed.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import re
import shutil
import tempfile

MASK_NAME = re.compile(r'^\d{6}\.png$')


def expand_types(values: list[str]) -> list[str]:
    """Mask generator names from ``values`` (comma-separated too); ``all`` is the paper's
    seven types, as the registered ``Mixture`` draws them by default (looked up by name:
    the engine does not import the masks plugin)."""
    from toolbox.registry import MASK_GENERATORS
    paper = tuple(MASK_GENERATORS.get('Mixture').default_types)
    names: list[str] = []
    for value in values:
        for name in filter(None, (v.strip() for v in value.split(','))):
            for n in (paper if name.lower() == 'all' else (name,)):
                if n not in names:
                    names.append(n)
    return names


def build_mask_generator(name: str, options: dict):
    from mmengine.config import Config

    from toolbox.registry import MASK_GENERATORS
    cfg = Config(dict(type=name))
    cfg.merge_from_dict(options)
    cfg = cfg.to_dict()
    return MASK_GENERATORS.build(cfg), cfg


def _recover(parent: str, base: str) -> None:
    """Undo what a run killed while writing ``parent/base`` left: a half-written set is
    dropped; a previous set moved aside just before the swap goes back in place."""
    folder = osp.join(parent, base)
    for name in sorted(os.listdir(parent)):
        path = osp.join(parent, name)
        if name.startswith(f'.{base}.old-'):
            if not osp.exists(folder) and osp.isdir(osp.join(path, base)):
                os.rename(osp.join(path, base), folder)
            shutil.rmtree(path, ignore_errors=True)
        elif name.startswith(f'.{base}.partial-'):
            shutil.rmtree(path, ignore_errors=True)


def write_set(gen, cfg: dict, folder: str, size: tuple[int, int], num: int, seed: int,
              overwrite: bool) -> dict:
    """Write the set into a hidden sibling folder, then swap it in: an interrupted run
    (an error, Ctrl-C, a kill) leaves the folder's previous set whole."""
    import cv2
    import numpy as np
    from toolbox.fileio import atomic_write_text
    folder = osp.abspath(folder)
    parent, base = osp.split(folder)
    os.makedirs(parent, exist_ok=True)
    _recover(parent, base)
    if osp.isdir(folder):
        entries = sorted(os.listdir(folder))
        old = [f for f in entries if MASK_NAME.match(f)]
        if old and not overwrite:
            raise FileExistsError(f'{folder} already holds {len(old)} masks ({old[0]} ...); '
                                  'pass --overwrite to replace them')
        other = [f for f in entries if f != 'mask_set.json' and not MASK_NAME.match(f)]
        if other:
            raise FileExistsError(f'{folder} holds other files ({other[0]} ...); write the '
                                  'mask set into a new or empty folder')
    tmp = tempfile.mkdtemp(prefix=f'.{base}.partial-', dir=parent)
    try:
        ratios = []
        for i in range(num):
            mask = gen(size, np.random.default_rng([seed, i]))
            ratios.append(float(mask.mean()))
            if not cv2.imwrite(osp.join(tmp, f'{i:06d}.png'), mask * np.uint8(255)):
                raise OSError(f'could not write {osp.join(folder, f"{i:06d}.png")}')
        stats = dict(type=cfg['type'], config=cfg, generator=repr(gen), size=list(size),
                     num=num, seed=seed, seeding='numpy.random.default_rng([seed, index])',
                     hole_ratio=dict(mean=float(np.mean(ratios)), min=min(ratios),
                                     max=max(ratios), documented=list(gen.hole_ratio_range)))
        atomic_write_text(osp.join(tmp, 'mask_set.json'),
                          json.dumps(stats, indent=2, default=repr))
        if osp.isdir(folder):
            retired = tempfile.mkdtemp(prefix=f'.{base}.old-', dir=parent)
            os.rename(folder, osp.join(retired, base))
            os.rename(tmp, folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return stats


def _matches(gen, folder: str, size: tuple[int, int], num: int, seed: int) -> bool:
    """Whether the saved set is what ``gen`` draws now (a preset may have changed)."""
    import cv2
    import numpy as np
    for i in range(num):
        saved = cv2.imread(osp.join(folder, f'{i:06d}.png'), cv2.IMREAD_GRAYSCALE)
        drawn = gen(size, np.random.default_rng([seed, i]))
        if saved is None or saved.shape != drawn.shape or not np.array_equal(saved > 127,
                                                                            drawn > 0):
            return False
    return True


def ensure_set(gen, cfg: dict, folder: str, size: tuple[int, int], num: int,
               seed: int) -> bool:
    """Write the set unless ``folder`` already holds exactly it; a set drawn by another
    version of the generator, at another size or with another seed is redrawn. Returns
    whether it wrote."""
    try:
        with open(osp.join(folder, 'mask_set.json')) as f:
            old = json.load(f)
    except (OSError, ValueError):
        old = {}
    if (old.get('generator'), old.get('size'), old.get('num'), old.get('seed')) == (
            repr(gen), list(size), num, seed) and _matches(gen, folder, size, num, seed):
        return False
    write_set(gen, cfg, folder, size, num, seed, overwrite=True)
    return True
