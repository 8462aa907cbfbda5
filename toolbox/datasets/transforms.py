"""Transforms of the inpainting pipeline (mmcv ``BaseTransform``\\ s).

The image travels under ``results['img']`` (RGB uint8 ``(H, W, 3)``, mmcv's key, so mmcv's
``Resize``, ``RandomFlip`` and ``CenterCrop`` work unchanged and are registered here too),
the mask under ``results['mask']`` (uint8 ``(H, W)``, 1 = hole).
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Sequence

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform, CenterCrop, RandomFlip, RandomResize, Resize
from mmengine.structures import BaseDataElement

from toolbox.builder import build_component
from toolbox.registry import MASK_GENERATORS, TRANSFORMS

from .reading import fit_mask, read_image, read_mask

for _cls in (Resize, RandomResize, RandomFlip, CenterCrop):
    TRANSFORMS.register_module(module=_cls)


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """Read ``results['img_path']`` into ``results['img']`` (see :func:`read_image`)."""

    def transform(self, results: dict) -> dict:
        img = read_image(results['img_path'])
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class RandomCrop(BaseTransform):
    """Crop a random ``size`` window; an image smaller than the window is first scaled up
    (keeping its aspect ratio) so that its short side fits, instead of being padded."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        if len(self.size) != 2 or min(self.size) <= 0:
            raise ValueError(f'RandomCrop: size must be positive (H, W), got {size!r}')

    def transform(self, results: dict) -> dict:
        img = results['img']
        th, tw = self.size
        h, w = img.shape[:2]
        if h < th or w < tw:
            scale = max(th / h, tw / w)
            img = mmcv.imresize(img, (max(tw, round(w * scale)), max(th, round(h * scale))),
                                interpolation='bicubic')
            h, w = img.shape[:2]
        y = np.random.randint(0, h - th + 1)
        x = np.random.randint(0, w - tw + 1)
        results['img'] = img[y:y + th, x:x + tw]
        results['img_shape'] = (th, tw)
        return results


@TRANSFORMS.register_module()
class GenerateMask(BaseTransform):
    """Draw ``results['mask']`` with a ``MASK_GENERATORS`` entry.

    Args:
        generator: config of the mask generator, e.g. ``dict(type='RandomRectangle')``.
        deterministic: seed the mask by ``(seed, sample index)``, so every evaluation of
            a sample sees the same mask (use it for validation); otherwise masks are drawn
            from numpy's global random state, which mmengine seeds per run and worker.
        seed: base seed of the deterministic mode.
    """

    def __init__(self, generator: dict, deterministic: bool = False, seed: int = 0) -> None:
        self.generator = build_component(MASK_GENERATORS, generator, 'generator')
        self.deterministic = deterministic
        self.seed = int(seed)

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        if self.deterministic:
            rng = np.random.default_rng([self.seed, int(results.get('sample_idx', 0))])
        else:
            rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
        results['mask'], results['mask_type'] = self.generator.generate_typed((h, w), rng)
        return results

    def __repr__(self) -> str:
        return f'GenerateMask(generator={self.generator!r}, deterministic={self.deterministic})'


@TRANSFORMS.register_module()
class LoadMask(BaseTransform):
    """Read ``results['mask_path']`` into ``results['mask']`` (1 = hole).

    Pixels with any channel brighter than ``threshold`` are holes (white or any painted
    colour; anti-aliased edges are binarised); in a mask with transparency, the opaque
    pixels are (``reading.MASK_RULE``); a mask without holes, or all hole, warns.
    ``results['mask_type']`` becomes the name of the mask's folder (a frozen mask set made
    by ``tools/make_mask_set.py`` keeps each type in its own folder).
    A mask whose size differs from the image is an error unless ``resize=True``, which
    resizes it with nearest-neighbour interpolation.
    """

    def __init__(self, threshold: int = 127, resize: bool = False, invert: bool = False) -> None:
        self.threshold = threshold
        self.resize = resize
        self.invert = invert

    def transform(self, results: dict) -> dict:
        path = results['mask_path']
        mask = read_mask(path, self.threshold, self.invert)
        mask = fit_mask(mask, results['img'].shape[:2], f'mask {path}',
                        f'image {results.get("img_path")}', self.resize,
                        'set LoadMask(resize=True) to resize masks to their images')
        results['mask'] = mask
        results['mask_type'] = osp.basename(osp.dirname(osp.abspath(path)))
        return results


@TRANSFORMS.register_module()
class PackInpaintingInputs(BaseTransform):
    """Pack image, mask and guidance into ``{'inputs': ..., 'data_samples': ...}``.

    ``inputs['gt']``: uint8 ``[3, H, W]``; ``inputs['mask']``: uint8 ``[1, H, W]``; each key of
    ``guidance_keys`` present in the results (e.g. ``'sketch'``, ``(H, W)``) as uint8
    ``[1, H, W]``. ``data_samples`` is a ``BaseDataElement`` whose metainfo holds ``meta_keys``.
    """

    def __init__(self, guidance_keys: Sequence[str] = ('sketch',),
                 meta_keys: Sequence[str] = ('img_path', 'sample_idx', 'mask_type',
                                             'mask_path', 'ori_shape')) -> None:
        self.guidance_keys = tuple(guidance_keys)
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        if 'mask' not in results:
            raise KeyError('PackInpaintingInputs: no mask in the results; add GenerateMask '
                           'or LoadMask to the pipeline before it')
        img = results['img']
        inputs = {
            'gt': torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))),
            'mask': torch.from_numpy(np.ascontiguousarray(results['mask'][None])),
        }
        for key in self.guidance_keys:
            if key in results:
                value = np.asarray(results[key])
                inputs[key] = torch.from_numpy(np.ascontiguousarray(
                    value[None] if value.ndim == 2 else value.transpose(2, 0, 1)))
        meta = {k: results[k] for k in self.meta_keys if k in results}
        # A data element, not a dict: collate functions keep it whole instead of
        # transposing its tuples.
        return {'inputs': inputs, 'data_samples': BaseDataElement(metainfo=meta)}
