"""Inpainting a long video with a video model, window by window, with bounded memory.

The video (a file or a folder of frames) and its masks (a mask video, a folder of mask
frames, or one mask image for every frame) are streamed: at most ``window`` frames are held
at once. Windows of ``window`` frames overlap by ``overlap`` frames, which give each window
context from the one before; a frame in an overlap is written from the window in which it
lies farther from the edge. The PNG frames carry the known pixels bit for bit (the result
is composited in uint8: hole pixels from the model, the others from the input frame);
the MP4, if asked for, is lossy.
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from .io import VideoReadError, _read_mask_frame, iter_frames, list_frames, write_frames

__all__ = ['iter_mask_frames', 'inpaint_video', 'inpaint_windows']


def iter_mask_frames(source: str) -> Iterator[np.ndarray]:
    """uint8 ``(H, W)`` masks, 1 = hole (the one mask rule), of a folder of mask frames or a
    mask video; a single mask image is repeated for ever (zip it with the frames)."""
    from toolbox.datasets.reading import binarise_mask
    if osp.isdir(source):
        paths = list_frames(source)
        if not paths:
            raise VideoReadError(f'{source}: no mask frames in this folder')
        for path in paths:
            yield _read_mask_frame(path)
    elif osp.isfile(source) and source.lower().endswith(('.png', '.jpg', '.jpeg', '.bmp')):
        mask = _read_mask_frame(source)
        while True:
            yield mask
    else:
        for frame in iter_frames(source):
            yield binarise_mask(frame, source, threshold=127, warn=False)


def _run(model, frames: list[np.ndarray], masks: list[np.ndarray], device) -> np.ndarray:
    """One window through ``model.inpaint``; uint8 ``(n, H, W, 3)`` composited in uint8."""
    clip = np.stack(frames)                                       # (n, H, W, 3)
    hole = np.stack(masks).astype(bool)                           # (n, H, W)
    video = torch.from_numpy(clip).permute(0, 3, 1, 2)[None].to(device).float() / 127.5 - 1
    m = torch.from_numpy(hole.astype(np.float32))[None, :, None].to(device)
    h, w = clip.shape[1:3]
    k = max(1, int(getattr(model, 'size_multiple', 1)))
    ph, pw = (-h) % k, (-w) % k
    if ph or pw:      # reflect-pad to the model's size multiple, cropped back below
        video = F.pad(video[0], (0, pw, 0, ph), mode='replicate')[None]
        m = F.pad(m[0], (0, pw, 0, ph))[None]
    with torch.no_grad():
        out = model.inpaint(video, m)[0, :, :, :h, :w]
    out = ((out.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    return np.where(hole[..., None], out, clip)                  # known pixels: the input's


def inpaint_windows(model, frames: Iterator[np.ndarray], masks: Iterator[np.ndarray],
                    window: int = 15, overlap: int = 4,
                    device: str | torch.device = 'cpu') -> Iterator[np.ndarray]:
    """Yield the inpainted RGB uint8 frames one by one, holding at most ``window`` input
    frames. ``frames`` and ``masks`` are iterators of ``(H, W, 3)`` and ``(H, W)``."""
    if window < 1 or not 0 <= overlap < window:
        raise ValueError(f'inpaint_windows: need window >= 1 and 0 <= overlap < window, got '
                         f'window={window}, overlap={overlap}')
    buf_f, buf_m = [], []
    start = 0          # index of buf_f[0] in the video
    emitted = 0        # frames written so far
    frames = iter(frames)
    masks = iter(masks)
    pending = next(frames, None)        # one frame of look-ahead: is this the last window?
    while True:
        while len(buf_f) < window and pending is not None:
            mask = next(masks, None)
            if mask is None:
                raise VideoReadError(f'the masks end at frame {start + len(buf_f)}, before '
                                     'the video')
            if mask.shape != pending.shape[:2]:
                raise VideoReadError(f'mask of frame {start + len(buf_f)} is '
                                     f'{mask.shape[1]}x{mask.shape[0]}, the frame '
                                     f'{pending.shape[1]}x{pending.shape[0]}')
            buf_f.append(pending)
            buf_m.append(mask)
            pending = next(frames, None)
        ended = pending is None
        if not buf_f:
            return
        out = _run(model, buf_f, buf_m, device)
        last = ended
        # defer the second half of the overlap to the next window (more context there)
        stop = start + len(buf_f) if last else start + len(buf_f) - overlap // 2
        for i in range(emitted - start, stop - start):
            yield out[i]
        emitted = stop
        if last:
            return
        keep = overlap
        start += len(buf_f) - keep
        buf_f, buf_m = buf_f[len(buf_f) - keep:], buf_m[len(buf_m) - keep:]


def inpaint_video(model, video: str, masks: str, out_dir: str, *, window: int = 15,
                  overlap: int = 4, video_out: str | None = None, fps: float = 25.0,
                  device: str | torch.device = 'cpu', progress: bool = True) -> dict:
    """Inpaint ``video`` (file or frame folder) where ``masks`` (mask video, folder, or one
    mask image) has holes, with a video model; write PNG frames ``out_dir/00000.png ...``
    (known pixels bit for bit) and, with ``video_out``, an MP4 (lossy). Returns
    ``{'frames': n, 'out_dir': ..., 'video': ...}``."""
    import cv2
    from tqdm import tqdm
    frames = inpaint_windows(model, iter_frames(video), iter_mask_frames(masks), window,
                             overlap, device)
    writer = None
    count = 0
    bar = tqdm(desc=f'inpainting {osp.basename(video.rstrip("/"))}', unit='frame',
               disable=not progress)
    try:
        for frame in frames:
            write_frames(frame[None], out_dir, start=count)
            if video_out is not None:
                if writer is None:
                    writer = cv2.VideoWriter(video_out, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                             (frame.shape[1], frame.shape[0]))
                    if not writer.isOpened():
                        raise OSError(f'{video_out}: OpenCV cannot write an MP4 video here')
                writer.write(np.ascontiguousarray(frame[..., ::-1]))
            count += 1
            bar.update()
    finally:
        bar.close()
        if writer is not None:
            writer.release()
    if count == 0:
        raise VideoReadError(f'{video}: no frames')
    return dict(frames=count, out_dir=out_dir, video=video_out)
