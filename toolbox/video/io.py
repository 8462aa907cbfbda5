"""Reading and writing clips: frame folders and video files.

Frames are RGB uint8 ``(T, H, W, 3)``; masks uint8 ``(T, H, W)``, 1 = hole, by the one mask
rule of :func:`toolbox.datasets.reading.binarise_mask`.

Video files are decoded with OpenCV (``cv2.VideoCapture``), not PyAV: OpenCV is already a
dependency (through mmengine/mmcv and the toolbox's own image code), decodes the common
containers through its bundled FFmpeg, and adds nothing to install. Frame folders are the
lossless format: :func:`write_frames` writes PNG. :func:`write_video` writes an MP4, which
is lossy (the known pixels do not come back bit for bit); use the PNG frames where they must.
"""
from __future__ import annotations

import os
import os.path as osp
import re
from collections.abc import Iterator, Sequence

import cv2
import numpy as np

from toolbox.datasets.reading import DatasetError, binarise_mask, read_image

__all__ = ['VIDEO_EXTENSIONS', 'FRAME_EXTENSIONS', 'is_video_file', 'list_frames',
           'count_frames', 'iter_frames', 'read_clip', 'read_clip_masks', 'write_frames',
           'write_video', 'VideoReadError']

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg')
FRAME_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


class VideoReadError(DatasetError):
    """A clip that cannot be read; the message names the file or folder. A
    ``DatasetError``, so the command-line tools report it in one line (exit code 2)."""


def is_video_file(path: str) -> bool:
    return osp.isfile(path) and path.lower().endswith(VIDEO_EXTENSIONS)


def _natural_key(name: str):
    # frame_2.png before frame_10.png: numbers compare as numbers
    return [int(p) if p.isdigit() else p for p in re.split(r'(\d+)', name)]


def list_frames(folder: str) -> list[str]:
    """The frame files of ``folder`` (not recursive) in natural order of their names."""
    if not osp.isdir(folder):
        raise VideoReadError(f'{folder}: not a folder of frames')
    names = sorted((n for n in os.listdir(folder) if n.lower().endswith(FRAME_EXTENSIONS)),
                   key=_natural_key)
    return [osp.join(folder, n) for n in names]


def _capture(path: str) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise VideoReadError(f'{path}: OpenCV cannot open this video')
    return cap


def count_frames(source: str) -> int:
    """Frames in a folder or a video file (a video is decoded to count exactly: the
    container's frame count is an estimate for some codecs)."""
    if osp.isdir(source):
        return len(list_frames(source))
    return sum(1 for _ in iter_frames(source))


def iter_frames(source: str, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
    """RGB uint8 ``(H, W, 3)`` frames ``start .. stop-1`` of a folder or video file, one at a
    time (bounded memory)."""
    if osp.isdir(source):
        for path in list_frames(source)[start:stop]:
            yield read_image(path)
        return
    if not osp.isfile(source):
        raise VideoReadError(f'{source}: no such video file or frame folder')
    cap = _capture(source)
    try:
        index = 0
        while stop is None or index < stop:
            ok, frame = cap.read()
            if not ok:
                break
            if index >= start:
                yield np.ascontiguousarray(frame[..., ::-1])    # BGR -> RGB
            index += 1
    finally:
        cap.release()


def read_clip(source: str, start: int = 0, count: int | None = None,
              stride: int = 1) -> np.ndarray:
    """Frames ``start, start + stride, ...`` (``count`` of them, or to the end) of a frame
    folder or video file as RGB uint8 ``(T, H, W, 3)``."""
    stop = None if count is None else start + (count - 1) * stride + 1
    frames = list(iter_frames(source, start, stop))[::stride]
    if not frames or (count is not None and len(frames) < count):
        raise VideoReadError(f'{source}: has {start + len(frames) * stride} frame(s) or fewer; '
                             f'asked for {count or "some"} from frame {start} with stride '
                             f'{stride}')
    if len({f.shape for f in frames}) > 1:
        raise VideoReadError(f'{source}: frames differ in size '
                             f'{sorted({f.shape for f in frames})}')
    return np.stack(frames)


def _read_mask_frame(path: str) -> np.ndarray:
    # Frames without a hole are normal in a video: no warning per frame (read_mask warns).
    # Channel order does not matter to the rule (any colour channel, alpha last).
    raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise VideoReadError(f'{path}: cannot decode this mask frame')
    return binarise_mask(raw, path, threshold=127, warn=False)


def read_clip_masks(source: str, start: int = 0, count: int | None = None,
                    stride: int = 1) -> np.ndarray:
    """Masks of a mask folder (one file per frame) or mask video as uint8 ``(T, H, W)``,
    1 = hole, each frame by the one mask rule (``binarise_mask``)."""
    if osp.isdir(source):
        paths = list_frames(source)
        stop = None if count is None else start + (count - 1) * stride + 1
        paths = paths[start:stop][::stride]
        if not paths or (count is not None and len(paths) < count):
            raise VideoReadError(f'{source}: too few mask frames ({len(paths)}) for {count} '
                                 f'from frame {start} with stride {stride}')
        return np.stack([_read_mask_frame(p) for p in paths])
    frames = read_clip(source, start, count, stride)
    # a lossy mask video blurs the edges; the mid-grey threshold keeps them where they were
    return np.stack([binarise_mask(f, source, threshold=127, warn=False) for f in frames])


def write_frames(frames: np.ndarray | Sequence[np.ndarray], folder: str,
                 start: int = 0, pattern: str = '{:05d}.png') -> list[str]:
    """Write RGB uint8 ``(T, H, W, 3)`` (or masks ``(T, H, W)``: 1 is written as 255) as PNG,
    lossless, into ``folder``; returns the paths."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i, frame in enumerate(frames):
        frame = np.asarray(frame)
        if frame.dtype != np.uint8:
            raise TypeError(f'write_frames: frames must be uint8, got {frame.dtype}')
        if frame.ndim == 2:
            out = frame * 255 if frame.max(initial=0) <= 1 else frame
        else:
            out = np.ascontiguousarray(frame[..., ::-1])
        path = osp.join(folder, pattern.format(start + i))
        if not cv2.imwrite(path, out):
            raise OSError(f'cannot write {path}')
        paths.append(path)
    return paths


def write_video(frames: np.ndarray | Sequence[np.ndarray], path: str, fps: float = 25.0,
                codec: str = 'mp4v') -> str:
    """Write RGB uint8 frames as a video file with OpenCV. Lossy (``mp4v`` is MPEG-4 part 2):
    pixel values change, the known ones included; keep :func:`write_frames`' PNG frames
    where values matter."""
    frames = list(frames)
    if not frames:
        raise ValueError(f'write_video: no frames for {path}')
    h, w = frames[0].shape[:2]
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*codec), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f'{path}: OpenCV cannot write a {codec!r} video here')
    try:
        for frame in frames:
            if frame.ndim == 2:
                frame = np.repeat((frame * 255 if frame.max(initial=0) <= 1 else frame)[..., None],
                                  3, axis=2)
            writer.write(np.ascontiguousarray(frame[..., ::-1]))
    finally:
        writer.release()
    return path
