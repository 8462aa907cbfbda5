"""Clip masks per second of each MovingStrokes preset at 320 x 180, T = 15:
``python -m toolbox_plugins.video_masks.benchmark [clips]``.

Prints wall-clock and process (CPU) time rates; on a shared machine the CPU figure is the
one that says what the code costs."""
from __future__ import annotations

import sys
import time

import numpy as np

from .moving_strokes import PRESETS, MovingStrokes


def main(clips: int = 200, shape=(15, 180, 320)) -> dict[str, float]:
    rates = {}
    for preset in PRESETS:
        gen, rng = MovingStrokes(preset), np.random.default_rng(0)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(clips):
            gen(shape, rng)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rates[preset] = clips / cpu
        print(f'{preset:20s} {clips / wall:7.0f} clips/s wall  {clips / cpu:7.0f} clips/s CPU '
              f'(T, H, W) = {shape}')
    return rates


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
