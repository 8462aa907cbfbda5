"""Irregular masks read from image files, as the partial-convolution mask set is used.

Paper: G. Liu et al., "Image Inpainting for Irregular Holes Using Partial Convolutions",
ECCV 2018: a set of irregular masks, augmented by dilation, rotation and cropping for
training, and grouped for testing by hole ratio into bins (0.01, 0.1], (0.1, 0.2], ...,
(0.5, 0.6].

Files are binarised like the engine's ``LoadMask`` (``toolbox.datasets.reading.MASK_RULE``):
a pixel with any channel brighter than ``threshold`` is a hole (white = hole), or, in a
mask with transparency, an opaque pixel; ``invert`` swaps holes and known pixels.
"""
from __future__ import annotations

import os
import os.path as osp
import tempfile
from collections.abc import Sequence

import cv2
import numpy as np

from toolbox import BaseMaskGenerator
from toolbox.registry import MASK_GENERATORS

from .checks import check_int, check_prob, check_real

MASK_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.pgm', '.ppm')


def list_mask_files(root: str | None, list_file: str | None) -> list[str]:
    """Sorted mask files under ``root`` (recursive), or those ``list_file`` names (one per
    line, relative to ``root`` or else to the list file's folder; ``#`` lines skipped)."""
    if list_file is not None:
        if not osp.isfile(list_file):
            raise ValueError(f'MaskFiles: list_file {list_file!r} does not exist')
        base = root if root is not None else osp.dirname(osp.abspath(list_file))
        paths, missing = [], []
        with open(list_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                path = line if osp.isabs(line) else osp.join(base, line)
                (paths if osp.isfile(path) else missing).append(path)
        if missing:
            raise ValueError(f'MaskFiles: list_file {list_file!r} names {len(missing)} '
                             f'missing file(s), e.g. {missing[0]!r}')
        if not paths:
            raise ValueError(f'MaskFiles: list_file {list_file!r} names no mask files')
        return paths
    if root is None:
        raise ValueError('MaskFiles: give root (a folder of masks) or list_file')
    if not osp.isdir(root):
        raise ValueError(f'MaskFiles: root {root!r} is not a folder')
    found = []
    for dirpath, _, files in os.walk(root, followlinks=True):
        found += [osp.join(dirpath, f) for f in files if f.lower().endswith(MASK_EXTENSIONS)]
    if not found:
        raise ValueError(f'MaskFiles: root {root!r} holds no mask images '
                         f'({", ".join(MASK_EXTENSIONS)})')
    return sorted(found)


def read_mask(path: str, threshold: int, invert: bool) -> np.ndarray:
    """``path`` as uint8 ``(H, W)``, 1 = hole: the engine's reader (EXIF orientation, any
    non-black channel is a hole)."""
    from toolbox.datasets import ImageLoadError
    from toolbox.datasets import read_mask as read_engine_mask
    try:
        return read_engine_mask(path, threshold, invert)
    except ImageLoadError as exc:
        raise ValueError(f'MaskFiles: cannot read mask file {path!r} (missing, corrupt or '
                         f'not an image): {exc}') from exc


@MASK_GENERATORS.register_module()
class MaskFiles(BaseMaskGenerator):
    """A uniformly chosen mask file, resized to the image, optionally augmented.

    Order of operations: read and binarise, resize to ``(H, W)`` (nearest neighbour,
    ignoring aspect ratio), flip horizontally and vertically (each with ``flip_prob``),
    rotate about the centre by ``U(-max_rotation, max_rotation)`` degrees (corners that
    come from outside count as known), dilate by a square of ``2 k + 1`` pixels with
    ``k ~ randint(max_dilation + 1)``.

    Hole ratio: whatever the files hold, ``[0, 1]``. ``hole_ratio_bin`` keeps only files
    whose own hole ratio lies in ``(low, high]`` (0 included when ``low`` is 0); resizing
    moves a mask's ratio slightly, rotation and dilation more.

    Args:
        root: folder searched recursively for mask images; with ``list_file``, the
            folder its relative paths start from.
        list_file: text file naming one mask file per line; ``None``: every image under
            ``root``.
        hole_ratio_bin: ``(low, high)`` to keep only files with a hole ratio in that bin,
            e.g. ``(0.1, 0.2)``; reads every file once at construction.
        threshold: gray level above which a pixel is a hole.
        invert: for files where black marks the hole.
        flip_prob: probability of each of a horizontal and a vertical flip.
        max_rotation: largest rotation in degrees (0: none).
        max_dilation: largest dilation radius in pixels (0: none).
    """

    min_shape = (1, 1)

    def __init__(self,
                 root: str | None = None,
                 list_file: str | None = None,
                 hole_ratio_bin: Sequence[float] | None = None,
                 threshold: int = 127,
                 invert: bool = False,
                 flip_prob: float = 0.0,
                 max_rotation: float = 0.0,
                 max_dilation: int = 0) -> None:
        name = type(self).__name__
        self.root = None if root is None else os.fspath(root)
        self.list_file = None if list_file is None else os.fspath(list_file)
        self.threshold = check_int(name, 'threshold', threshold, 0)
        if self.threshold > 254:
            raise ValueError(f'{name}: threshold must be in [0, 254], got {threshold!r}')
        self.invert = bool(invert)
        self.flip_prob = check_prob(name, 'flip_prob', flip_prob)
        self.max_rotation = check_real(name, 'max_rotation', max_rotation, 0.0, 180.0)
        self.max_dilation = check_int(name, 'max_dilation', max_dilation, 0)
        self.files = list_mask_files(self.root, self.list_file)
        self.hole_ratio_bin = None
        if hole_ratio_bin is not None:
            self.hole_ratio_bin = self._check_bin(hole_ratio_bin)
            self.files = self._files_in_bin(self.files)
        self.hole_ratio_range = (0.0, 1.0)

    def _check_bin(self, value: object) -> tuple[float, float]:
        if (not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2):
            raise ValueError(f'MaskFiles: hole_ratio_bin must be (low, high), got {value!r}')
        lo = check_real('MaskFiles', 'hole_ratio_bin', value[0], 0.0, 1.0)
        hi = check_real('MaskFiles', 'hole_ratio_bin', value[1], 0.0, 1.0)
        if lo >= hi:
            raise ValueError(f'MaskFiles: hole_ratio_bin needs low < high, got {value!r}')
        return lo, hi

    def _files_in_bin(self, files: list[str]) -> list[str]:
        lo, hi = self.hole_ratio_bin
        kept = []
        for path in files:
            ratio = float(read_mask(path, self.threshold, self.invert).mean())
            if (lo < ratio or (lo == 0 and ratio == 0)) and ratio <= hi:
                kept.append(path)
        if not kept:
            where = self.list_file or self.root
            raise ValueError(f'MaskFiles: no mask in {where!r} has a hole ratio in '
                             f'hole_ratio_bin ({lo}, {hi}]')
        return kept

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        h, w = shape
        mask = read_mask(self.files[int(rng.integers(len(self.files)))], self.threshold,
                         self.invert)
        if mask.shape != shape:
            mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
        flip = rng.random(2) < self.flip_prob
        if flip[0]:
            mask = mask[:, ::-1]
        if flip[1]:
            mask = mask[::-1]
        if self.max_rotation > 0:
            angle = rng.uniform(-self.max_rotation, self.max_rotation)
            rot = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
            mask = cv2.warpAffine(np.ascontiguousarray(mask), rot, (w, h),
                                  flags=cv2.INTER_NEAREST, borderValue=0)
        if self.max_dilation > 0:
            k = int(rng.integers(self.max_dilation + 1))
            if k:
                mask = cv2.dilate(np.ascontiguousarray(mask), np.ones((2 * k + 1,) * 2, np.uint8))
        return np.ascontiguousarray(mask)

    def __repr__(self) -> str:
        return (f'MaskFiles(root={self.root!r}, list_file={self.list_file!r}, '
                f'files={len(self.files)}, hole_ratio_bin={self.hole_ratio_bin}, '
                f'flip_prob={self.flip_prob}, max_rotation={self.max_rotation}, '
                f'max_dilation={self.max_dilation})')


SAMPLE_FOLDER = osp.join(tempfile.gettempdir(), 'toolbox_mask_samples_v1')


def sample_mask_folder(folder: str = SAMPLE_FOLDER, count: int = 8) -> str:
    """A folder of ``count`` small example masks (white = hole), written on first use.

    The contract tests build every registered generator from its ``tiny_cfg``; this gives
    :class:`MaskFiles` files to read without shipping binary data in the package.
    """
    from .brush import FreeFormBrush
    os.makedirs(folder, exist_ok=True)
    gen = FreeFormBrush(min_width=3, max_width=9)
    for i in range(count):
        path = osp.join(folder, f'{i:06d}.png')
        if osp.isfile(path):
            continue
        mask = gen((48, 40), np.random.default_rng(i))
        tmp = f'{path}.{os.getpid()}.part'
        with open(tmp, 'wb') as f:
            f.write(cv2.imencode('.png', mask * 255)[1].tobytes())
        os.replace(tmp, path)  # concurrent test runs never see half-written files
    return folder


class _SampleFolderCfg:
    """``MaskFiles.tiny_cfg``: materialises the sample folder when it is asked for."""

    def __get__(self, obj, owner) -> dict:
        return dict(root=sample_mask_folder(), flip_prob=0.5, max_rotation=10.0,
                    max_dilation=1)


MaskFiles.tiny_cfg = _SampleFolderCfg()
