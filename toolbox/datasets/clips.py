"""Clips of T frames for training and evaluating video models.

Lives with the image datasets so that ``DATASETS`` (whose first lookup imports
:mod:`toolbox.datasets`) finds it; the clip I/O is :mod:`toolbox.video.io`.
"""
from __future__ import annotations

import os
import os.path as osp
from collections.abc import Sequence

import numpy as np
import torch
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

from toolbox.registry import DATASETS, MASK_GENERATORS

from .reading import DatasetError

__all__ = ['ClipDataset']


@DATASETS.register_module()
class ClipDataset(Dataset):
    """Clips of ``num_frames`` frames, every ``stride``-th frame, from a folder of videos.

    ``data_root`` holds one folder of frames per video (DAVIS/YouTube-VOS
    ``JPEGImages/<video>/00000.jpg``, frames in natural order of their names) and/or video
    files (decoded with OpenCV), or is itself one folder of frames. Every frame of a clip
    gets the same random crop and the same horizontal flip (evaluation: a centre crop, no
    flip). Masks come from ``mask_root`` (a folder per video with the video's name, e.g.
    DAVIS ``Annotations/<video>/``, one mask frame per frame) or from ``mask_generator``, a
    video mask generator (``MASK_GENERATORS``, ``gen((T, H, W), rng)``).

    A sample: ``{'inputs': {'gt': uint8 [T, 3, H, W], 'mask': uint8 [T, 1, H, W] (1 = hole)},
    'data_samples'``: a ``BaseDataElement`` whose metainfo holds ``video``, ``start``,
    ``stride``, ``flip`` and ``mask_type``}``, which the toolbox's
    ``InpaintingDataPreprocessor`` stacks into ``[B, T, 3, H, W]`` and ``[B, T, 1, H, W]``.

    Args:
        data_root: the folder of videos.
        num_frames: T.
        stride: frames between two frames of a clip (1: consecutive).
        clip_step: frames between the starts of two clips of a video; default 1 for
            training (every start), ``(T - 1) * stride + 1`` in ``test_mode`` (clips that do
            not overlap).
        crop_size: ``(H, W)`` of the crop; ``None``: whole frames.
        flip_prob: probability of a horizontal flip of the whole clip (training only).
        mask_generator: a video mask generator config or instance.
        mask_root: a folder of mask folders named like the videos.
        seed: masks in ``test_mode`` are drawn from ``(seed, index)``, so that an evaluation
            sees the same masks every time; training draws from one stream seeded by it.
        test_mode: evaluation dataset.
    """

    def __init__(self, data_root: str, num_frames: int = 5, stride: int = 1,
                 clip_step: int | None = None, crop_size: Sequence[int] | None = None,
                 flip_prob: float = 0.5, mask_generator: dict | object | None = None,
                 mask_root: str | None = None, seed: int = 0, test_mode: bool = False,
                 pipeline: Sequence = ()) -> None:
        from toolbox.builder import build_component
        from toolbox.video.io import count_frames, is_video_file, list_frames
        if pipeline:
            raise ValueError('ClipDataset: pipeline is not supported; crops, flips and masks '
                             'are arguments of the dataset')
        if num_frames < 1 or stride < 1:
            raise ValueError(f'ClipDataset: num_frames and stride must be >= 1, got '
                             f'{num_frames} and {stride}')
        if (mask_generator is None) == (mask_root is None):
            raise ValueError('ClipDataset: give exactly one of mask_generator and mask_root')
        if not osp.isdir(data_root):
            raise DatasetError(f'ClipDataset: data_root {data_root} is not a folder')
        self.data_root, self.num_frames, self.stride = data_root, int(num_frames), int(stride)
        self.span = (self.num_frames - 1) * self.stride + 1
        self.clip_step = int(clip_step or (self.span if test_mode else 1))
        self.crop_size = None if crop_size is None else (int(crop_size[0]), int(crop_size[1]))
        self.flip_prob = 0.0 if test_mode else float(flip_prob)
        self.mask_generator = build_component(MASK_GENERATORS, mask_generator, 'mask_generator')
        self.mask_root = mask_root
        self.seed, self.test_mode = int(seed), bool(test_mode)
        self._rng = np.random.default_rng(seed)

        entries = sorted(os.listdir(data_root))
        videos = [osp.join(data_root, e) for e in entries
                  if (osp.isdir(osp.join(data_root, e)) and list_frames(osp.join(data_root, e)))
                  or is_video_file(osp.join(data_root, e))]
        if not videos and list_frames(data_root):
            videos = [data_root]
        if not videos:
            raise DatasetError(f'ClipDataset: {data_root} holds no folder of frames and no '
                               'video file')
        self.videos, self.clips = [], []
        for path in videos:
            n = count_frames(path)
            if n < self.span:
                continue                    # too short for one clip; says so in __repr__
            k = len(self.videos)
            self.videos.append(path)
            self.clips += [(k, s) for s in range(0, n - self.span + 1, self.clip_step)]
        if not self.clips:
            raise DatasetError(f'ClipDataset: no video under {data_root} has {self.span} '
                               f'frames (num_frames={num_frames}, stride={stride})')
        if mask_root is not None:
            for path in self.videos:
                folder = self._mask_folder(path)
                if not osp.isdir(folder):
                    raise DatasetError(f'ClipDataset: no mask folder {folder} for video {path}')

    def _mask_folder(self, video: str) -> str:
        return osp.join(self.mask_root, osp.splitext(osp.basename(video))[0])

    def __len__(self) -> int:
        return len(self.clips)

    def _sample_rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng((self.seed, index)) if self.test_mode else self._rng

    def __getitem__(self, index: int) -> dict:
        from toolbox.video.io import read_clip, read_clip_masks
        k, start = self.clips[index]
        path = self.videos[k]
        frames = read_clip(path, start, self.num_frames, self.stride)     # (T, H, W, 3)
        rng = self._sample_rng(index)
        h, w = frames.shape[1:3]
        if self.mask_root is not None:
            masks = read_clip_masks(self._mask_folder(path), start, self.num_frames,
                                    self.stride)
            if masks.shape[1:] != (h, w):
                raise DatasetError(f'ClipDataset: masks of {path} are {masks.shape[2]}x'
                                   f'{masks.shape[1]} but its frames {w}x{h}')
            mask_type = 'folder'
        # one crop and one flip for every frame of the clip (and its masks)
        if self.crop_size is not None:
            ch, cw = self.crop_size
            if ch > h or cw > w:
                raise DatasetError(f'ClipDataset: crop_size {ch}x{cw} is larger than the '
                                   f'{h}x{w} frames of {path}')
            if self.test_mode:
                y, x = (h - ch) // 2, (w - cw) // 2
            else:
                y, x = int(rng.integers(h - ch + 1)), int(rng.integers(w - cw + 1))
            frames = frames[:, y:y + ch, x:x + cw]
            if self.mask_root is not None:
                masks = masks[:, y:y + ch, x:x + cw]
        flip = self.flip_prob > 0 and rng.random() < self.flip_prob
        if flip:
            frames = frames[:, :, ::-1]
            if self.mask_root is not None:
                masks = masks[:, :, ::-1]
        if self.mask_generator is not None:
            masks, mask_type = self.mask_generator.generate_typed(frames.shape[:3], rng)
        gt = torch.from_numpy(np.ascontiguousarray(frames.transpose(0, 3, 1, 2)))
        mask = torch.from_numpy(np.ascontiguousarray(masks[:, None], dtype=np.uint8))
        # a data element, as PackInpaintingInputs makes: collation keeps one per sample
        meta = dict(video=osp.basename(path), start=start, stride=self.stride, flip=bool(flip),
                    mask_type=mask_type)
        return dict(inputs=dict(gt=gt, mask=mask), data_samples=BaseDataElement(metainfo=meta))

    def __repr__(self) -> str:
        return (f'ClipDataset({self.data_root!r}: {len(self.videos)} videos, {len(self)} '
                f'clips of {self.num_frames} frames, stride {self.stride})')
