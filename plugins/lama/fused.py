"""Inference-only rewrites of the generator's layers: batch norms folded into the preceding
convolution, and 1x1 convolutions sent to oneDNN.

Both are used only while nothing records gradients (``torch.no_grad`` /
``torch.inference_mode``), the module is in eval mode and not being traced or exported:
training, and any backward through an eval-mode model, run the plain layers on the
original parameters.

Folding: in eval mode ``BN(W * x + c) = (s W) * x + (s c + t)`` with ``s = gamma /
sqrt(var + eps)`` and ``t = beta - s * mean``; a BN after a sum of convolutions scales each
of them. The folded tensors are cached and recomputed whenever a source tensor is replaced
or changed in place (``Tensor._version``: an optimizer step, ``load_state_dict``,
``.to()``); ``train()`` drops them. The result differs from conv-then-BN by float
rounding only (measured in README.md, "Speed").

1x1 convolutions: with one thread and a batch under 16, torch runs a 1x1 convolution on its
own GEMM path (``_slow_conv2d_forward``), which is about 2x slower than oneDNN's here and
returns a contiguous tensor even for channels-last input (the add that follows then mixes
layouts, another 30x slower than a same-layout add). ``torch.mkldnn_convolution`` is the
kernel torch itself picks for the same call with more threads or a larger batch.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def fast_path(module: nn.Module) -> bool:
    """Whether the inference rewrites may replace ``module``'s plain forward now."""
    return (getattr(module, 'fused', True) and not module.training
            and not torch.is_grad_enabled() and not torch.jit.is_tracing()
            and not torch.jit.is_scripting() and not torch.compiler.is_exporting())


def bn_scale_shift(bn: nn.BatchNorm2d) -> tuple[Tensor, Tensor]:
    """``(s, t)`` with ``bn(y) == s * y + t`` per channel in eval mode."""
    scale = torch.rsqrt(bn.running_var + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight
    shift = -bn.running_mean * scale
    if bn.bias is not None:
        shift = shift + bn.bias
    return scale, shift


def scaled(weight: Tensor, scale: Tensor, out_dim: int = 0,
           fmt: torch.memory_format | None = None) -> Tensor:
    """``weight`` with its output channels (``out_dim``: 0 for Conv2d, 1 for
    ConvTranspose2d) multiplied by ``scale``, in memory format ``fmt`` (``None``: the
    weight's own; oneDNN runs a convolution channels-last if its input or its weight is)."""
    shape = [1] * weight.dim()
    shape[out_dim] = -1
    if fmt is None or weight.dim() != 4:
        fmt = (torch.channels_last if weight.dim() == 4 and not weight.is_contiguous()
               and weight.is_contiguous(memory_format=torch.channels_last)
               else torch.contiguous_format)
    return (weight * scale.view(shape)).contiguous(memory_format=fmt)


class FoldCache:
    """One cached value computed from some tensors, recomputed when any of them changes.
    Under CPU autocast (``cast=True``) its floating-point tensors are kept in the autocast
    dtype as well, so that autocast does not convert every weight again on every call."""

    def __init__(self) -> None:
        self.key = None
        self.value = None
        self.casts: dict = {}

    def get(self, sources: list[Tensor | None], compute, cast: bool = True):
        key = tuple((id(t), t.data_ptr(), t._version) if t is not None else None
                    for t in sources)
        if key != self.key:
            with torch.no_grad():
                self.value = compute()
            self.key = key
            self.casts = {}
        if not (cast and torch.is_autocast_enabled('cpu')):
            return self.value
        dtype = torch.get_autocast_dtype('cpu')
        if dtype not in self.casts:
            self.casts[dtype] = _cast(self.value, dtype)
        return self.casts[dtype]

    def clear(self) -> None:
        self.key = self.value = None
        self.casts = {}


def _cast(value, dtype):
    if isinstance(value, Tensor):
        return value.to(dtype) if value.is_floating_point() else value
    if isinstance(value, dict):
        return {k: _cast(v, dtype) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_cast(v, dtype) for v in value)
    return value


def _mkldnn_ok(x: Tensor, weight: Tensor) -> bool:
    # oneDNN's bf16 convolution needs AVX-512 (BW) or AMX: called directly on an AVX2-only
    # CPU it raises, where F.conv2d falls back to a slow but working kernel.
    return (x.device.type == 'cpu' and torch.backends.mkldnn.is_available()
            and torch.backends.mkldnn.enabled and weight.dtype == x.dtype
            and (x.dtype == torch.float32
                 or (x.dtype == torch.bfloat16 and torch.ops.mkldnn._is_mkldnn_bf16_supported())))


def conv1x1(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """A 1x1, stride-1, unpadded convolution on oneDNN where it is available; under CPU
    autocast in the autocast dtype, as ``F.conv2d`` would run it."""
    if torch.is_autocast_enabled('cpu'):
        dtype = torch.get_autocast_dtype('cpu')
        x, weight = x.to(dtype), weight.to(dtype)
        bias = None if bias is None else bias.to(dtype)
    if _mkldnn_ok(x, weight):
        return torch.mkldnn_convolution(x, weight, bias, [0, 0], [1, 1], [1, 1], 1)
    return F.conv2d(x, weight, bias)


def conv_with(module: nn.Conv2d, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``module``'s convolution (padding mode included) with other weights; 1x1 ones on
    :func:`conv1x1`."""
    if (module.kernel_size == (1, 1) and module.stride == (1, 1) and module.groups == 1
            and module.padding in ((0, 0), 'valid')):
        return conv1x1(x, weight, bias)
    return module._conv_forward(x, weight, bias)


def same_format(t: Tensor, like: Tensor) -> Tensor:
    """``t`` in ``like``'s memory format (an add of mixed formats is many times slower)."""
    if (like.dim() == 4 and not like.is_contiguous()
            and like.is_contiguous(memory_format=torch.channels_last)):
        return t.contiguous(memory_format=torch.channels_last)
    return t.contiguous()


class Foldable:
    """Mixin for modules that cache folded weights: ``fused = False`` switches the
    rewrites off for this module; ``train()`` drops the cached tensors."""

    fused: bool = True
    #: memory format of the folded weights (``None``: that of the original weights)
    fold_format: torch.memory_format | None = None

    def fold_cache(self, name: str = 'fold') -> FoldCache:
        caches = self.__dict__.setdefault('_fold_caches', {})
        return caches.setdefault(name, FoldCache())

    def train(self, mode: bool = True):
        for cache in self.__dict__.get('_fold_caches', {}).values():
            cache.clear()
        return super().train(mode)


def fold_conv_bn(conv: nn.Conv2d | nn.ConvTranspose2d, bn: nn.BatchNorm2d,
                 transposed: bool = False,
                 fmt: torch.memory_format | None = None) -> tuple[Tensor, Tensor]:
    """``(weight, bias)`` of ``conv`` followed by ``bn`` (eval mode) as one convolution."""
    scale, shift = bn_scale_shift(bn)
    weight = scaled(conv.weight, scale, 1 if transposed else 0, fmt)
    bias = shift if conv.bias is None else conv.bias * scale + shift
    return weight, bias


def bn_sources(bn: nn.BatchNorm2d | None) -> list[Tensor | None]:
    if bn is None:
        return []
    return [bn.weight, bn.bias, bn.running_mean, bn.running_var]
