"""The exterior Expand of the NTIRE 2022 challenge, as a data transform.

Exterior Expand outpaints *beyond* the image: the image is padded on every side and the
padding is the hole. It changes the image size, so it cannot be a mask generator (those
draw a mask for a given size); it is a transform on ``results['img']``. The challenge pads
each side by half of ``f * short side`` with ``f`` in {1/4, 1/3, 1/2} (the same sizes as
the interior Expand's known square).

There is no ground truth for the padding: ``results['img']`` holds ``pad_val`` there, so
losses and metrics computed on it against ``img`` are meaningless. Use it for inference and
qualitative results; evaluate outpainting with the interior ``Expand`` mask.
"""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform

from toolbox.registry import TRANSFORMS

from .checks import check_fractions, check_int


@TRANSFORMS.register_module()
class ExpandExterior(BaseTransform):
    """Pad ``results['img']`` by ``int(f * short side) // 2`` pixels on every side and mark
    the padding as hole in ``results['mask']`` (uint8, 1 = hole).

    A mask already in the results is padded with holes, so its own holes are kept.
    Also sets ``img_shape``, ``mask_type='ExpandExterior'`` and ``expand_pad`` (pixels
    added per side), with which the original area can be cropped back out.

    Args:
        fractions: the ``f`` to draw from, in ``(0, 1]``.
        pad_val: gray value of the padding in the image, 0-255.
        deterministic: draw ``f`` from ``(seed, sample_idx)``, so every evaluation of a
            sample is padded alike; otherwise from numpy's global state (seeded by
            mmengine per run and worker), as the engine's ``GenerateMask`` does.
        seed: base seed of the deterministic mode.
    """

    def __init__(self,
                 fractions: tuple[float, ...] = (1 / 4, 1 / 3, 1 / 2),
                 pad_val: int = 0,
                 deterministic: bool = False,
                 seed: int = 0) -> None:
        self.fractions = check_fractions('ExpandExterior', 'fractions', fractions)
        self.pad_val = check_int('ExpandExterior', 'pad_val', pad_val, 0)
        if self.pad_val > 255:
            raise ValueError(f'ExpandExterior: pad_val must be in [0, 255], got {pad_val!r}')
        self.deterministic = bool(deterministic)
        self.seed = check_int('ExpandExterior', 'seed', seed, 0)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim not in (2, 3):
            raise ValueError(f'ExpandExterior: img must be (H, W) or (H, W, C), got '
                             f'{img.shape}')
        h, w = img.shape[:2]
        if self.deterministic:
            rng = np.random.default_rng([self.seed, int(results.get('sample_idx', 0))])
        else:
            rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
        f = self.fractions[int(rng.integers(len(self.fractions)))]
        pad = int(f * min(h, w) + 1e-9) // 2
        new_h, new_w = h + 2 * pad, w + 2 * pad
        out = np.full((new_h, new_w) + img.shape[2:], self.pad_val, img.dtype)
        out[pad:pad + h, pad:pad + w] = img
        mask = np.ones((new_h, new_w), np.uint8)
        old = results.get('mask')
        if old is not None:
            if old.shape != (h, w):
                raise ValueError(f'ExpandExterior: mask {old.shape} does not match image '
                                 f'{(h, w)}')
            mask[pad:pad + h, pad:pad + w] = old
        else:
            mask[pad:pad + h, pad:pad + w] = 0
        results['img'] = out
        results['mask'] = mask
        results['img_shape'] = (new_h, new_w)
        results['expand_pad'] = pad
        results['mask_type'] = 'ExpandExterior'
        return results

    def __repr__(self) -> str:
        return (f'ExpandExterior(fractions={self.fractions}, pad_val={self.pad_val}, '
                f'deterministic={self.deterministic}, seed={self.seed})')
