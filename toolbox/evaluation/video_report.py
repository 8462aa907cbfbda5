"""The per-mask-type table for clips: ``toolbox evaluate CONFIG CKPT --clips DIR
--mask-sets DIR``, the video twin of :mod:`.report`.

Layout on disk::

    clips/<clip>/00000.png ...            (or clips/<clip>.mp4)
    mask_sets/<type>/<clip>/00000.png ... (or mask_sets/<type>/<clip>.mp4), white = hole

Each mask type is one column (``object_like``, ``rand_curve`` ...), the Mean column
averages them. Rows, per clip then averaged over the clips of a type:

* ``PSNR (hole)``, ``SSIM (hole)``: per-frame, over the hole pixels of each frame
  (frames without a hole left out) -- :func:`~.video.video_psnr`;
* ``PSNR``, ``SSIM``: whole frames, over the frames that have a hole (the others come back
  as they were: PSNR inf, which says nothing about a method);
* ``warping error (x1e3)``: :func:`~.video.warping_error` of the result, DIS flow of the
  ground truth (not comparable to the papers' FlowNet2 numbers);
* ``VFID``: only with I3D weights (:mod:`.video_fid`). One feature per segment of
  ``vfid_segment`` frames (0: per whole clip), so that a few long clips still give
  several samples; with fewer than 2 segments the cell is n/a.

Results are composited in uint8 as the PNG frames of ``toolbox inpaint --video`` would be
(known pixels exact) and run through the model in overlapping windows
(:func:`toolbox.video.inference.inpaint_windows`).
"""
from __future__ import annotations

import math
import os
import os.path as osp
from collections.abc import Callable

import numpy as np
import torch

from .report import TypeTable, UsageError

__all__ = ['VIDEO_ROWS', 'find_clips', 'find_clip_mask_sets', 'clip_metrics',
           'inpaint_clip', 'evaluate_clip_mask_sets', 'vfid_segments']

#: Row keys of the clip table, in order (VFID only when its weights are given).
VIDEO_ROWS = ('PSNR_hole', 'SSIM_hole', 'PSNR', 'SSIM', 'WarpError', 'VFID')


def _is_clip(path: str) -> bool:
    from toolbox.video.io import FRAME_EXTENSIONS, is_video_file
    if osp.isdir(path):
        return any(n.lower().endswith(FRAME_EXTENSIONS) for n in os.listdir(path))
    return osp.isfile(path) and is_video_file(path)


def find_clips(root: str) -> dict[str, str]:
    """``{clip name: path}``: the frame folders and video files directly in ``root``
    (a video file's name without its extension)."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'--clips {root!r} is not a folder')
    clips = {}
    for name in sorted(os.listdir(root)):
        path = osp.join(root, name)
        if _is_clip(path):
            clips[osp.splitext(name)[0] if osp.isfile(path) else name] = path
    if not clips:
        raise FileNotFoundError(f'--clips {root}: no frame folder or video file in it')
    return clips


def find_clip_mask_sets(root: str, clips: dict[str, str]) -> dict[str, dict[str, str]]:
    """``{type: {clip: mask folder or video}}``: every sub-folder of ``root`` that holds the
    masks of every clip in ``clips`` (by name) is one type. A type missing a clip's masks is
    an error naming both."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'--mask-sets {root!r} is not a folder')
    sets: dict[str, dict[str, str]] = {}
    for kind in sorted(os.listdir(root)):
        folder = osp.join(root, kind)
        if not osp.isdir(folder):
            continue
        found = {}
        for name in sorted(os.listdir(folder)):
            path = osp.join(folder, name)
            if _is_clip(path):
                found[osp.splitext(name)[0] if osp.isfile(path) else name] = path
        if not found:
            continue
        missing = sorted(set(clips) - set(found))
        if missing:
            raise UsageError(f'mask set {folder} has no masks for clip(s) {missing}: one '
                             'folder (or mask video) per clip, named like the clip')
        sets[kind] = {c: found[c] for c in clips}
    if not sets:
        raise FileNotFoundError(f'--mask-sets {root}: no sub-folder holds one mask folder '
                                'per clip (<type>/<clip>/00000.png ...)')
    return sets


def inpaint_clip(model, frames: np.ndarray, masks: np.ndarray, window: int = 15,
                 overlap: int = 4, device='cpu') -> np.ndarray:
    """``model`` (a video model) over RGB uint8 ``(T, H, W, 3)`` with masks ``(T, H, W)``
    (1 = hole) in windows; the composited uint8 result ``(T, H, W, 3)``."""
    from toolbox.video.inference import inpaint_windows
    return np.stack(list(inpaint_windows(model, iter(frames), iter(masks), window,
                                         overlap, device)))


def _to01(frames: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frames).permute(0, 3, 1, 2)[None].float() / 255


def clip_metrics(result: np.ndarray, frames: np.ndarray, masks: np.ndarray) -> dict:
    """The rows of one clip (all but VFID): ``result`` and ``frames`` RGB uint8
    ``(T, H, W, 3)``, ``masks`` ``(T, H, W)``; the warping error x1e3."""
    from .video import video_psnr, video_ssim, warping_error
    pred, gt = _to01(result), _to01(frames)
    mask = torch.from_numpy(masks.astype(np.float32))[None, :, None]
    holed = torch.from_numpy(masks.reshape(len(masks), -1).any(1))
    if not holed.any():
        raise UsageError('a clip without any hole pixel cannot be evaluated')
    return dict(PSNR_hole=float(video_psnr(pred, gt, mask)[0]),
                SSIM_hole=float(video_ssim(pred, gt, mask)[0]),
                PSNR=float(video_psnr(pred[:, holed], gt[:, holed])[0]),
                SSIM=float(video_ssim(pred[:, holed], gt[:, holed])[0]),
                WarpError=1e3 * float(warping_error(pred, gt)[0]))


def vfid_segments(frames: np.ndarray, segment: int) -> list[torch.Tensor]:
    """Clips ``[1, n, 3, H, W]`` in [0, 1] for VFID: consecutive segments of ``segment``
    frames (a shorter rest is dropped), or the whole clip when ``segment`` is 0."""
    if segment <= 0 or segment >= len(frames):
        return [_to01(frames)]
    return [_to01(frames[s:s + segment]) for s in range(0, len(frames) - segment + 1, segment)]


def evaluate_clip_mask_sets(model, clips: dict[str, str], mask_sets: dict[str, dict[str, str]],
                            *, frames: int | None = None, window: int = 15, overlap: int = 4,
                            device='cpu', vfid_extractor=None, vfid_segment: int = 16,
                            save_dir: str | None = None,
                            progress: Callable[[str], None] | None = None) -> TypeTable:
    """Run ``model`` on every clip under every mask type and fill the table (see the module
    docstring). ``frames`` keeps the first N frames of each clip; ``save_dir`` writes the
    results as PNG frames ``save_dir/<type>/<clip>/``."""
    from toolbox.video.io import read_clip, read_clip_masks, write_frames
    from .video_fid import VFIDStats
    table = TypeTable(columns=[], rows=[r for r in VIDEO_ROWS
                                        if r != 'VFID' or vfid_extractor is not None],
                      count_unit='Clips')
    cache: dict[str, np.ndarray] = {}
    for kind, clip_masks in mask_sets.items():
        per_clip = []
        stats = VFIDStats(vfid_extractor, device) if vfid_extractor is not None else None
        for name, source in clips.items():
            if name not in cache:
                cache[name] = read_clip(source, 0, frames)
            gt = cache[name]
            masks = read_clip_masks(clip_masks[name], 0, len(gt))
            if masks.shape != gt.shape[:3]:
                raise UsageError(f'{clip_masks[name]}: masks are {masks.shape[2]}x'
                                 f'{masks.shape[1]}, the clip {name} {gt.shape[2]}x{gt.shape[1]}')
            if progress:
                progress(f'{kind}/{name}: {len(gt)} frames')
            result = inpaint_clip(model, gt, masks, window, overlap, device)
            per_clip.append(clip_metrics(result, gt, masks))
            if stats is not None:
                for real, fake in zip(vfid_segments(gt, vfid_segment),
                                      vfid_segments(result, vfid_segment)):
                    stats.update(real=real, fake=fake)
            if save_dir:
                write_frames(result, osp.join(save_dir, kind, name))
        row = {k: float(np.nanmean([m[k] for m in per_clip])) for k in per_clip[0]}
        if stats is not None:
            row['VFID'] = stats.compute() if stats.real.n >= 2 else math.nan
        table.set(kind, row, count=len(per_clip))
    return table
