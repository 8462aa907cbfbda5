"""A stage-by-stage schedule over image scales."""
from __future__ import annotations

import bisect
from collections.abc import Sequence

from toolbox import BaseStageScheduler
from toolbox.registry import STAGE_SCHEDULERS


@STAGE_SCHEDULERS.register_module()
class StageScheduler(BaseStageScheduler):
    """Stage ``k`` trains for ``stage_iters[k]`` iterations at ``scales[k]`` of the final size.

    Args:
        scales: increasing scales in ``(0, 1]``, one per stage, the last usually 1.
        stage_iters: iterations of each stage (same length as ``scales``). After the last
            stage's iterations the last stage keeps training.
        size_multiple: stage resolutions are rounded to a multiple of this.
    """

    tiny_cfg = dict(scales=(0.25, 0.5, 1.0), stage_iters=(2, 3, 4), size_multiple=8)

    def __init__(self,
                 scales: Sequence[float],
                 stage_iters: Sequence[int],
                 size_multiple: int = 8) -> None:
        scales = [float(s) for s in scales]
        stage_iters = [int(i) for i in stage_iters]
        if not scales:
            raise ValueError('StageScheduler: scales must not be empty')
        if len(scales) != len(stage_iters):
            raise ValueError(f'StageScheduler: {len(scales)} scales but {len(stage_iters)} '
                             'stage_iters; give one iteration count per stage')
        if any(not 0 < s <= 1 for s in scales) or sorted(scales) != scales:
            raise ValueError(f'StageScheduler: scales must increase within (0, 1], got {scales}')
        if any(i <= 0 for i in stage_iters):
            raise ValueError(f'StageScheduler: stage_iters must be positive, got {stage_iters}')
        if size_multiple < 1:
            raise ValueError(f'StageScheduler: size_multiple must be >= 1, got {size_multiple}')
        self.scales = scales
        self.stage_iters = stage_iters
        self.size_multiple = int(size_multiple)
        self._starts = [sum(stage_iters[:k]) for k in range(len(stage_iters))]

    @property
    def num_stages(self) -> int:
        return len(self.scales)

    @property
    def total_iters(self) -> int:
        return sum(self.stage_iters)

    def stage_at(self, iteration: int) -> int:
        if iteration < 0:
            raise ValueError(f'StageScheduler: iteration must be >= 0, got {iteration}')
        return bisect.bisect_right(self._starts, iteration) - 1

    def stage_start(self, stage: int) -> int:
        return self._starts[stage]

    def stage_size(self, stage: int, full_size: Sequence[int]) -> tuple[int, int]:
        m = self.size_multiple
        scale = self.scales[stage]
        return tuple(max(m, round(scale * s / m) * m) for s in full_size)  # type: ignore

    def __repr__(self) -> str:
        return f'StageScheduler(scales={self.scales}, stage_iters={self.stage_iters})'
