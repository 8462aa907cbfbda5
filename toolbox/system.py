"""What the machine offers: the CPU's model and instruction-set flags (one parser of
``/proc/cpuinfo``), whether oneDNN has bf16 kernels, and a FLOP counter.

Benchmarks print these beside their figures, and ``toolbox reproduce`` uses them to choose
bf16 autocast: on an AVX2-only CPU oneDNN has no bf16 kernels and forced bf16 is many times
slower than fp32.
"""
from __future__ import annotations

import platform
from functools import lru_cache

#: The flags that decide which kernels oneDNN can use, in the order printed.
SPEED_FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16')


def read_cpuinfo(text: str) -> tuple[str, frozenset[str]]:
    """``(model name, flags)`` of the first processor in ``/proc/cpuinfo``'s ``text``;
    ``('unknown CPU', {})`` for what it lacks (another OS, a container hiding it)."""
    model, flags = None, None
    for line in text.splitlines():
        key, _, value = line.partition(':')
        key = key.strip()
        if key == 'model name' and model is None:
            model = value.strip()
        elif key == 'flags' and flags is None:
            flags = frozenset(value.split())
    return model or 'unknown CPU', flags or frozenset()


@lru_cache(maxsize=1)
def cpu_info() -> tuple[str, frozenset[str]]:
    """``(model name, flags)`` of this machine's CPU."""
    try:
        with open('/proc/cpuinfo') as f:
            model, flags = read_cpuinfo(f.read())
    except OSError:
        model, flags = 'unknown CPU', frozenset()
    if model == 'unknown CPU':
        model = platform.processor() or model
    return model, flags


def native_bf16() -> bool:
    """Whether the CPU computes bf16 natively (AMX or AVX-512 BF16)."""
    flags = cpu_info()[1]
    return 'amx_bf16' in flags or 'avx512_bf16' in flags


def onednn_bf16() -> bool:
    """Whether torch's oneDNN has bf16 kernels on this CPU (what autocast would use)."""
    import torch
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def describe_cpu() -> str:
    """One line for a benchmark's header: ``MODEL; flags: avx2 avx512f ...``."""
    model, flags = cpu_info()
    shown = ' '.join(f for f in SPEED_FLAGS if f in flags)
    return f'{model}; flags: {shown or "none of " + " ".join(SPEED_FLAGS)}'


def count_flops(fn) -> float:
    """FLOPs of one call of ``fn()``: convolutions and matrix products by
    ``torch.utils.flop_counter``'s formulas (a multiply-add is 2 FLOPs). Counted by a
    dispatch mode of its own rather than ``FlopCounterMode``, whose module tracker fails
    inside ``autograd.grad`` (an R1 penalty's double backward runs there)."""
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import flop_registry

    class Count(TorchDispatchMode):
        total = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            formula = flop_registry.get(func._overloadpacket)
            if formula is None:
                # a composite op (conv2d under inference_mode): count the ops it is made of
                with self:
                    out = func.decompose(*args, **kwargs)
                if out is not NotImplemented:
                    return out
            out = func(*args, **kwargs)
            if formula is not None:
                Count.total += formula(*args, **kwargs, out_val=out)
            return out

    with Count():
        fn()
    return float(Count.total)
