"""The precision that sums and transforms run in."""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ['at_least_float32']


def at_least_float32(x: Tensor) -> Tensor:
    """``x`` as float32 when it is narrower (bf16/fp16 under autocast, bool and integer
    masks), otherwise unchanged: float64 stays float64, so a float64 run (``toolbox
    compare-training --dtype float64``) is not rounded to float32 on the way."""
    return x.to(torch.promote_types(x.dtype, torch.float32))
