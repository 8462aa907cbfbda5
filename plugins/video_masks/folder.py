"""Object masks read from a folder: real objects' shapes and motion (DAVIS' or
YouTube-VOS' annotations, segmentation masks of your own clips) as holes."""
from __future__ import annotations

import os
import os.path as osp
import tempfile

import cv2
import numpy as np

from toolbox.registry import MASK_GENERATORS
from toolbox.video import BaseVideoMaskGenerator, list_frames, read_clip_masks, write_frames

__all__ = ['ObjectMaskFolder', 'sample_object_folder']


@MASK_GENERATORS.register_module()
class ObjectMaskFolder(BaseVideoMaskGenerator):
    """T consecutive mask frames of a random video under ``root``.

    ``root`` holds one folder of mask frames per video (DAVIS/YouTube-VOS
    ``Annotations/<video>/00000.png``), or is itself one such folder. Each frame is read by
    the one mask rule with the mid-grey threshold, so DAVIS' palette annotations (object
    colours on black) count every object as hole. A video shorter than T is played back and
    forth. Frames are resized to (H, W) by nearest neighbour.

    Args:
        root: the folder.
        dilate: grow every hole by this many pixels (object removal usually covers the
            object's edge too); 0: as annotated.
    """

    min_shape = (1, 1, 1)

    def __init__(self, root: str, dilate: int = 0) -> None:
        if not osp.isdir(root):
            raise FileNotFoundError(f'ObjectMaskFolder: root {root} is not a folder')
        subfolders = sorted(osp.join(root, d) for d in os.listdir(root)
                            if osp.isdir(osp.join(root, d)))
        self.videos = [d for d in subfolders if list_frames(d)] or (
            [root] if list_frames(root) else [])
        if not self.videos:
            raise FileNotFoundError(f'ObjectMaskFolder: {root} holds no folder of mask frames')
        self.counts = [len(list_frames(d)) for d in self.videos]
        self.root = root
        self.dilate = int(dilate)

    def generate(self, shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
        t, h, w = shape
        k = int(rng.integers(len(self.videos)))
        n = self.counts[k]
        # back and forth over the video's frames: 0 1 .. n-1 n-2 .. 1 0 1 ...
        period = max(2 * n - 2, 1)
        start = int(rng.integers(period))
        order = [(start + i) % period for i in range(t)]
        order = [i if i < n else period - i for i in order]
        frames = read_clip_masks(self.videos[k])
        masks = frames[order]
        if masks.shape[1:] != (h, w):
            masks = np.stack([cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST)
                              for m in masks])
        if self.dilate > 0:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                               (2 * self.dilate + 1, 2 * self.dilate + 1))
            masks = np.stack([cv2.dilate(m, kernel) for m in masks])
        return np.ascontiguousarray(masks, dtype=np.uint8)

    def __repr__(self) -> str:
        return f'ObjectMaskFolder(root={self.root!r}, dilate={self.dilate})'


SAMPLE_FOLDER = osp.join(tempfile.gettempdir(), 'toolbox_object_mask_samples_v1')


def sample_object_folder(folder: str = SAMPLE_FOLDER) -> str:
    """Two small videos of moving-stroke masks in DAVIS' layout, written on first use, so
    that the contract tests have files to read without binary data in the package."""
    from .moving_strokes import MovingStrokes
    gen = MovingStrokes('object_like_small')
    for i, t in enumerate((6, 3)):
        out = osp.join(folder, f'video{i}')
        if osp.isdir(out):
            continue
        tmp = f'{out}.{os.getpid()}.part'
        write_frames(gen((t, 40, 48), np.random.default_rng(i)), tmp)
        os.makedirs(folder, exist_ok=True)
        try:
            os.replace(tmp, out)        # concurrent runs never see half-written videos
        except OSError:
            pass
    return folder


class _SampleFolderCfg:
    """``ObjectMaskFolder.tiny_cfg``: materialises the sample folder when it is asked for."""

    def __get__(self, obj, owner) -> dict:
        return dict(root=sample_object_folder(), dilate=1)


ObjectMaskFolder.tiny_cfg = _SampleFolderCfg()
