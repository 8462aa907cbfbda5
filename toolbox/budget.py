"""Compute budgets for comparing training schedules fairly: equal generator training FLOPs.

A row's budget is ``full_iters`` iterations at the full size. An iteration of a stage at
``h x w`` costs ``h w / (H W)`` of one (a generator's convolutions scale with the pixels).
The last stage gets ``final_share`` of the budget and the earlier stages share the rest
equally, so a 5-stage schedule trains its first stage for many cheap iterations. FLOPs,
not wall time, so that a row's result does not depend on the machine's load.
"""
from __future__ import annotations

#: The rule in one sentence, as ``toolbox reproduce`` records it in its summary.
RULE = ('equal generator training FLOPs per row: full_iters iterations at the full size; a '
        'stage at h x w costs h*w/(H*W) of one; the last stage gets final_share, earlier '
        'stages equal parts')


def stage_iterations(scheduler, full_size: tuple[int, int], full_iters: int,
                     final_share: float) -> list[int]:
    """Iterations per stage of ``scheduler`` (``num_stages``, ``stage_size(k, size)``) so
    that the generator's FLOPs equal ``full_iters`` iterations at ``full_size``: the last
    stage gets ``final_share`` of them, the others equal parts."""
    n = scheduler.num_stages
    area = full_size[0] * full_size[1]
    costs = [h * w / area for h, w in (scheduler.stage_size(k, full_size) for k in range(n))]
    shares = [1.0] if n == 1 else [(1 - final_share) / (n - 1)] * (n - 1) + [final_share]
    return [max(1, round(share * full_iters / cost)) for share, cost in zip(shares, costs)]
