"""Gated convolution, the building block of DeepFill v2.

Paper: J. Yu, Z. Lin, J. Yang, X. Shen, X. Lu, T. Huang, "Free-Form Image Inpainting with
Gated Convolution", ICCV 2019:

    Gating  = sum W_g . I,   Feature = sum W_f . I,   O = phi(Feature) * sigmoid(Gating)

What differs from the paper: nothing in the formula. As in the authors' implementation, the
two filter banks ``W_f`` and ``W_g`` are *one* convolution with ``2 * C`` output channels
whose result is split into ``C`` feature and ``C`` gate channels (one GEMM instead of two).
Padding is symmetric zero padding (``dilation * (k - 1) / 2``); TensorFlow's ``'SAME'`` pads
stride-2 layers asymmetrically, which shifts features by half a pixel but changes neither
the output size nor the parameter count.

Initialisation: He-normal weights (fan-in, gain sqrt(2)) and zero biases. The authors' code
uses Glorot-uniform weights and zero biases; with gates near 0.5 every layer then shrinks
the signal by about 3x, so at initialisation DeepFill's 17-layer coarse network outputs
nearly the same image whatever its input and the first thousand steps are spent undoing
that (PyTorch's default initialisation is no better, its random biases dominate).
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

__all__ = ['GatedConv2d', 'GatedUpConv2d', 'ACTIVATIONS']

#: Feature activations by name (``None``: identity).
ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    'elu': F.elu,
    'relu': F.relu,
    'leaky_relu': lambda x: F.leaky_relu(x, 0.2),
}

#: In-place forms of :data:`ACTIVATIONS`, for inference.
_ACTIVATIONS_INPLACE: dict[str, Callable[[Tensor], Tensor]] = {
    'elu': F.elu_,
    'relu': F.relu_,
    'leaky_relu': lambda x: F.leaky_relu_(x, 0.2),
}


def _elu_fast(x: Tensor) -> Tensor:
    """ELU as ``exp(min(x, 0)) - 1 + max(x, 0)``, into a fresh tensor (inference only).

    torch's ``elu`` computes ``expm1``, which its CPU kernels do not vectorise: on the
    channels-last split views of a gated convolution it took 42% of DeepFill v2's bf16 time
    at 512² (27.6% ``elu_`` + 14.6% ``sigmoid_`` in place on the strided gate view, against
    28% for all convolutions). ``exp`` is vectorised, and out-of-place element-wise ops on
    the strided halves write dense outputs. Differs from ``F.elu`` only by the rounding of
    ``exp(x) - 1`` near 0 (at most 6e-8 in float32). For bf16 input the ``exp(x) - 1`` is
    taken in float32 and rounded once: in bf16 itself it cancels to an error of up to 2e-3
    near 0."""
    neg = x.clamp_max(0)
    if neg.dtype in (torch.float32, torch.float64):
        neg = torch.exp(neg).sub_(1)
    else:
        neg = torch.exp(neg.float()).sub_(1).to(x.dtype)
    return neg.add_(x.clamp_min(0))


class _EluGate(torch.autograd.Function):
    """``elu(feature) * sigmoid(gate)`` for training, with :func:`_elu_fast`.

    Saves the output (which the next layer's convolution saves anyway, as its input: one
    tensor) and the sigmoid, and recovers ``elu(feature) = out / sigmoid`` in the backward
    pass: two instead of three saved maps per layer, and ELU's derivative is ``1`` where it
    is positive and ``elu + 1`` elsewhere. Gradients equal autograd's of the plain formula
    up to rounding (one division). Not twice differentiable (``once_differentiable``: a
    double backward through it raises): the sigmoid is saved as a constant."""

    @staticmethod
    def forward(ctx, feature: Tensor, gate: Tensor) -> Tensor:
        sig = torch.sigmoid(gate)
        out = _elu_fast(feature).mul_(sig)
        ctx.save_for_backward(out, sig)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor) -> tuple[Tensor, Tensor]:
        out, sig = ctx.saved_tensors
        # sigmoid underflows to 0 below about -100 (fp32): then out = 0 and both
        # gradients are 0 (the divisor is 1 there)
        act = out / torch.where(sig > 0, sig, torch.ones_like(sig))
        g_sig = grad * sig
        grad_feature = g_sig * torch.where(act > 0, torch.ones_like(act), act + 1)
        grad_gate = g_sig * act * (1 - sig)
        return grad_feature, grad_gate


def _activation(name: str | None) -> Callable[[Tensor], Tensor] | None:
    if name is None:
        return None
    if name not in ACTIVATIONS:
        raise ValueError(f'unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)} '
                         'or None')
    return ACTIVATIONS[name]


class GatedConv2d(nn.Module):
    """``act(feature) * sigmoid(gate)`` with feature and gate from one convolution.

    Args:
        in_channels: channels of the input ``[B, in_channels, H, W]``.
        out_channels: channels of the output (the convolution has twice as many).
        kernel_size: square kernel size (odd).
        stride: 1, or 2 to halve the resolution.
        dilation: dilation rate of the kernel ("dilated gated convolution").
        activation: ``'elu'`` (default), ``'relu'``, ``'leaky_relu'`` or ``None``
            (identity) applied to the feature half.
        gated: ``False`` makes a plain convolution with ``out_channels`` outputs and the
            activation (``None``: raw), as DeepFill v2 uses for its RGB output layers.
        padding_mode: ``'zeros'`` (default) or ``'reflect'`` (MMagic's DeepFill v2).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 dilation: int = 1,
                 activation: str | None = 'elu',
                 gated: bool = True,
                 padding_mode: str = 'zeros') -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f'GatedConv2d: kernel_size must be odd, got {kernel_size}')
        self.out_channels = int(out_channels)
        self.gated = bool(gated)
        self.activation = activation
        #: Training with the ELU gate's own backward (:class:`_EluGate`: fewer saved maps).
        #: ``False`` under activation checkpointing (plain autograd ops), where nothing of a
        #: layer is kept anyway and this gate made the peak 260 MB higher at 256² batch 4.
        self.saved_output_gate = True
        self._act = _activation(activation)
        self.conv = nn.Conv2d(in_channels, out_channels * (2 if gated else 1), kernel_size,
                              stride=stride, padding=dilation * (kernel_size - 1) // 2,
                              dilation=dilation, padding_mode=padding_mode)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity='relu')
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self._gate(self.conv(x))

    def _gate(self, y: Tensor) -> Tensor:
        """``act(feature) * sigmoid(gate)`` of the convolution's output ``y``."""
        if not self.gated:
            return y if self._act is None else self._act(y)
        feature, gate = y.split(self.out_channels, dim=1)  # 2 x [B, C, H', W']
        if not (torch.is_grad_enabled() and y.requires_grad or torch.compiler.is_exporting()):
            # Inference: gate in place. Three fresh feature maps per layer cost more than
            # the arithmetic at 512², and nothing needs the intermediate values. (Not while
            # torch.export traces: in-place ops on split views made a dynamic-shape export
            # of DeepFill v2 several times slower, for the same graph.)
            if self.activation == 'elu':
                # bf16: one conversion of the whole map to float32, the gating there, one
                # rounding back: 2.5x faster at 512² than bf16 element-wise kernels on the
                # strided halves (which convert every op's operands anyway), and rounded
                # once. The sigmoid runs over the whole contiguous map once the ELU has
                # read the feature half: faster than over the strided gate half alone.
                low = y.dtype in (torch.bfloat16, torch.float16)
                wide = y.float() if low else y
                out = _elu_fast(wide[:, :self.out_channels])
                out = out.mul_(wide.sigmoid_()[:, self.out_channels:])
                return out.to(y.dtype) if low else out
            act_ = _ACTIVATIONS_INPLACE.get(self.activation)
            if act_ is not None:
                feature = act_(feature)
            elif self._act is not None:
                feature = self._act(feature)
            return feature.mul_(gate.sigmoid_())
        if self.activation == 'elu' and self.saved_output_gate \
                and not torch.compiler.is_exporting():
            return _EluGate.apply(feature, gate)
        if self._act is not None:
            feature = self._act(feature)
        return feature * torch.sigmoid(gate)

    def extra_repr(self) -> str:
        return f'gated={self.gated}, activation={self.activation!r}'


#: Rows of the 2-tap kernels that replace a 3-tap kernel after nearest x2 up-sampling, for
#: output rows of even (0) and odd (1) parity: an even output row 2i sees up-sampled rows
#: 2i-1, 2i, 2i+1 = input rows i-1, i, i (taps w0 | w1 + w2), an odd row 2i+1 sees rows
#: i, i, i+1 (taps w0 + w1 | w2).
_SUBPIXEL_ROWS = ((1., 0., 0.), (0., 1., 1.)), ((1., 1., 0.), (0., 0., 1.))


def subpixel_weight(weight: Tensor) -> Tensor:
    """``[O, I, 3, 3]`` -> ``[4 O, I, 2, 2]``: the four 2x2 kernels, phases in the order
    (even row, even col), (even, odd), (odd, even), (odd, odd), that applied to the input
    give what the 3x3 kernel gives on its nearest x2 up-sampling."""
    r = weight.new_tensor(_SUBPIXEL_ROWS)                          # [2 phases, 2 taps, 3]
    return torch.cat([torch.einsum('yp,oipq,xq->oiyx', r[a], weight, r[b])
                      for a in (0, 1) for b in (0, 1)], dim=0)


class GatedUpConv2d(GatedConv2d):
    """Nearest-neighbour ×``scale`` up-sampling followed by a gated convolution
    (the authors' ``gen_deconv``): no transposed convolution, so no checkerboard.

    For the usual case (×2, 3x3 kernel) the up-sampling is never materialised: the same
    result is four 2x2 convolutions of the input, one per output phase (the "sub-pixel"
    form, :func:`subpixel_weight`), run as one convolution with 4x the output channels and
    interleaved afterwards. That is 16 instead of 36 multiply-adds per input pixel and
    channel pair, and exact up to rounding (the 3x3 taps that land on one input pixel are
    summed before the multiplication). Zero padding of the up-sampled map is zero padding of
    the input; reflection padding of the up-sampled map is replication padding of the input.
    ``subpixel=False`` keeps the literal form.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 scale: int = 2, activation: str | None = 'elu',
                 padding_mode: str = 'zeros', subpixel: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, activation=activation,
                         padding_mode=padding_mode)
        self.scale = int(scale)
        self.subpixel = bool(subpixel) and self.scale == 2 and kernel_size == 3 \
            and padding_mode in ('zeros', 'reflect')

    def forward(self, x: Tensor) -> Tensor:
        if self.subpixel:
            return self._gate(self._subpixel_conv(x))
        x = F.interpolate(x, scale_factor=self.scale, mode='nearest')   # [B, C, sH, sW]
        return super().forward(x)

    def _subpixel_conv(self, x: Tensor) -> Tensor:
        """``self.conv(interpolate(x, 2, 'nearest'))`` without the up-sampled map."""
        h, w = x.shape[2:]
        o = self.conv.out_channels
        if self.conv.padding_mode == 'reflect':
            x = F.pad(x, (1, 1, 1, 1), mode='replicate')
        else:
            x = F.pad(x, (1, 1, 1, 1))
        y = F.conv2d(x, subpixel_weight(self.conv.weight), self.conv.bias.repeat(4))
        y = y.permute(0, 2, 3, 1)                                  # [B, h+1, w+1, 4 O]
        # an output row of parity a at 2i + a reads padded rows i + a, i + a + 1
        rows = [torch.stack([y[:, a:a + h, b:b + w, (2 * a + b) * o:(2 * a + b + 1) * o]
                             for b in (0, 1)], dim=3) for a in (0, 1)]   # [B, h, w, 2, O]
        out = torch.stack(rows, dim=2).reshape(y.shape[0], 2 * h, 2 * w, o)
        return out.permute(0, 3, 1, 2)        # [B, O, 2h, 2w], channels-last in memory

    def extra_repr(self) -> str:
        return super().extra_repr() + f', scale={self.scale}, subpixel={self.subpixel}'
