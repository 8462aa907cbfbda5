"""Fast Fourier convolution (Chi, Jiang, Mu, "Fast Fourier Convolution", NeurIPS 2020), as
LaMa (Suvorov et al., WACV 2022) uses it.

A feature map is a pair ``(x_l, x_g)``: ``C_l`` local and ``C_g`` global channels, with
``C_g = int(ratio * C)``. One FFC computes (the paper's equations)::

    Y_l = f_l->l(X_l) + f_g->l(X_g)            # 3x3 convolutions
    Y_g = f_l->g(X_l) + f_g->g(X_g)            # f_l->g a 3x3 convolution, f_g->g spectral

The spectral transform ``f_g->g``: a 1x1 convolution halving the channels (+ BN + ReLU), a
Fourier unit (real FFT over H and W, 1x1 convolution + BN + ReLU on the stacked real and
imaginary parts, inverse FFT), optionally a local Fourier unit on a 2x2 split of a quarter
of the channels, their sum with the residual, and a 1x1 convolution back to ``C_g``. Every
output of the Fourier unit depends on every input pixel: an image-wide receptive field in
the first layer that uses it.

Precision: ``torch.fft`` has no bfloat16 kernels (none on the CPU; on CUDA only half
precision for power-of-two sizes), so the Fourier unit runs in float32 with autocast
switched off, and returns the dtype it was given. Under bf16 autocast the 3x3 and 1x1
convolutions around it still run in bf16.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.nn.precision import at_least_float32

from .dft import irfft2_ortho, rfft2_ortho
from .fused import (Foldable, bn_scale_shift, bn_sources, conv1x1, conv_with, fast_path,
                    fold_conv_bn, same_format, scaled)


def split_channels(channels: int, ratio: float) -> tuple[int, int]:
    """``(local, global)`` channel counts: ``global = int(channels * ratio)``."""
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f'FFC: the global ratio must be in [0, 1], got {ratio}')
    glob = int(channels * ratio)
    return channels - glob, glob


class FourierUnit(Foldable, nn.Module):
    """Real FFT over (H, W) -> 1x1 conv + BN + ReLU on [real, imag] -> inverse FFT.

    ``[B, C, H, W] -> [B, C_out, H, W]`` for any H and W (orthonormal FFT, so the scale of
    the features does not depend on the image size).

    ``use_dft``: compute the transforms as products with DFT matrices (:mod:`.dft`; the
    same values to float32 rounding) instead of ``torch.fft``. ``None`` (default): only
    while ``torch.export`` traces the module, so an exported ONNX graph holds MatMuls that
    every runtime runs rather than the ``DFT`` operator that most lack.
    """

    use_dft: bool | None = None

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels * 2, out_channels * 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels * 2)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        if self.use_dft is not True and fast_path(self):
            return self._fused_forward(x)
        dtype = x.dtype
        b, c, h, w = x.shape
        dft = torch.compiler.is_exporting() if self.use_dft is None else self.use_dft
        with torch.autocast(x.device.type, enabled=False):
            if dft:
                y = torch.stack(rfft2_ortho(at_least_float32(x)), dim=2)   # [B, C, 2, H, W//2+1]
            else:
                freq = torch.fft.rfftn(at_least_float32(x), dim=(-2, -1), norm='ortho')   # [B, C, H, W//2+1] complex
                y = torch.view_as_real(freq).permute(0, 1, 4, 2, 3)
            # [B, C, 2, H, W'] -> [B, 2C, H, W'], channel 2k real and 2k+1 imaginary of k
            y = y.reshape(b, 2 * c, h, -1)
            y = self.act(self.bn(self.conv(y)))
            y = y.view(b, -1, 2, h, y.shape[-1])                  # [B, C_out, 2, H, W']
            if dft:
                out = irfft2_ortho(y[:, :, 0], y[:, :, 1], w)
            else:
                y = y.permute(0, 1, 3, 4, 2).contiguous()
                out = torch.fft.irfftn(torch.view_as_complex(y), s=(h, w), dim=(-2, -1),
                                       norm='ortho')                          # [B, C_out, H, W]
        return out.to(dtype)

    def _fused_forward(self, x: Tensor) -> Tensor:
        """The forward with the BN folded into the 1x1 convolution, which runs on oneDNN
        on a channels-last view of the spectrum (channel ``2k + r`` is then the innermost
        pair, the memory layout of ``view_as_real``), so no permuting copy is needed on the
        way back."""
        weight, bias = self.fold_cache().get(
            [self.conv.weight, *bn_sources(self.bn)],
            lambda: fold_conv_bn(self.conv, self.bn, fmt=self.fold_format),
            cast=False)                                 # the Fourier unit runs in float32
        dtype = x.dtype
        b, c, h, w = x.shape
        with torch.autocast(x.device.type, enabled=False):
            freq = torch.fft.rfftn(at_least_float32(x), dim=(-2, -1), norm='ortho')   # [B, C, H, W']
            wq = freq.shape[-1]
            y = torch.view_as_real(freq.permute(0, 2, 3, 1).contiguous())   # [B, H, W', C, 2]
            y = y.reshape(b, h, wq, 2 * c).permute(0, 3, 1, 2)              # [B, 2C, H, W']
            y = conv1x1(y, weight, bias).relu_()
            y = y.permute(0, 2, 3, 1).reshape(b, h, wq, -1, 2)             # [B, H, W', C_out, 2]
            spec = torch.view_as_complex(y.contiguous()).permute(0, 3, 1, 2)
            out = torch.fft.irfftn(spec, s=(h, w), dim=(-2, -1), norm='ortho')
        return same_format(out.to(dtype), x)


class SpectralTransform(Foldable, nn.Module):
    """``f_g->g``: optional 2x2 average pool (stride 2), 1x1 conv to ``C_out / 2`` + BN +
    ReLU, Fourier unit (+ local Fourier unit) added to its input, 1x1 conv to ``C_out``."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 enable_lfu: bool = False) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'SpectralTransform: stride must be 1 or 2, got {stride}')
        hidden = out_channels // 2
        if enable_lfu and hidden % 4:
            raise ValueError('SpectralTransform: the local Fourier unit needs out_channels / 2 '
                             f'divisible by 4, got out_channels={out_channels}')
        self.downsample = nn.AvgPool2d(2, 2) if stride == 2 else nn.Identity()
        self.reduce = nn.Sequential(nn.Conv2d(in_channels, hidden, 1, bias=False),
                                    nn.BatchNorm2d(hidden), nn.ReLU(inplace=True))
        self.fu = FourierUnit(hidden, hidden)
        self.lfu = FourierUnit(hidden, hidden) if enable_lfu else None
        self.expand = nn.Conv2d(hidden, out_channels, 1, bias=False)

    def forward(self, x: Tensor, expand: tuple[Tensor, Tensor | None] | None = None) -> Tensor:
        """``expand``: other weights for the last 1x1 convolution (the fused path of
        :class:`FFCBlock` passes them with its BN folded in)."""
        if fast_path(self):
            red, bn = self.reduce[0], self.reduce[1]
            weight, bias = self.fold_cache().get(
                [red.weight, *bn_sources(bn)],
                lambda: fold_conv_bn(red, bn, fmt=self.fold_format))
            x = conv1x1(self.downsample(x), weight, bias).relu_()
        else:
            x = self.reduce(self.downsample(x))                 # [B, C/2, H, W]
        out = x + self.fu(x)
        if self.lfu is not None:
            # The first quarter of the channels, cut into 2x2 spatial tiles stacked as
            # channels, transformed, and tiled back over the whole map.
            b, c, h, w = x.shape
            if h % 2 or w % 2:
                raise ValueError(f'local Fourier unit: H and W must be even, got {h}x{w}')
            q = x[:, :c // 4]
            q = torch.cat(torch.split(q, h // 2, dim=-2), dim=1)
            q = torch.cat(torch.split(q, w // 2, dim=-1), dim=1)   # [B, C, H/2, W/2]
            out = out + same_format(self.lfu(q).repeat(1, 1, 2, 2), out)
        if expand is not None:
            return conv_with(self.expand, out, *expand)
        if fast_path(self):
            return conv_with(self.expand, out, self.expand.weight, self.expand.bias)
        return self.expand(out)


class FFC(nn.Module):
    """One fast Fourier convolution on ``(x_l, x_g)``; either part may have 0 channels
    (then it is ``None`` on input, or an empty output is not computed).

    Args:
        in_channels, out_channels: total channels (local + global).
        kernel_size, stride, padding, dilation: of the three spatial convolutions.
        ratio_in, ratio_out: global share of the input and output channels.
        enable_lfu: add the local Fourier unit in the spectral transform.
        padding_mode: of the spatial convolutions (``'reflect'`` in LaMa's blocks).
        bias: on the spatial convolutions (LaMa: none; a BN follows).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 ratio_in: float, ratio_out: float, stride: int = 1, padding: int = 0,
                 dilation: int = 1, enable_lfu: bool = False, padding_mode: str = 'zeros',
                 bias: bool = False) -> None:
        super().__init__()
        self.in_l, self.in_g = split_channels(in_channels, ratio_in)
        self.out_l, self.out_g = split_channels(out_channels, ratio_out)

        def conv(cin: int, cout: int) -> nn.Module | None:
            if cin == 0 or cout == 0:
                return None
            return nn.Conv2d(cin, cout, kernel_size, stride, padding, dilation, bias=bias,
                             padding_mode=padding_mode)

        self.l2l = conv(self.in_l, self.out_l)
        self.l2g = conv(self.in_l, self.out_g)
        self.g2l = conv(self.in_g, self.out_l)
        self.g2g = (SpectralTransform(self.in_g, self.out_g, stride, enable_lfu)
                    if self.in_g and self.out_g else None)

    def forward(self, x: tuple[Tensor | None, Tensor | None]) -> tuple[Tensor | None, Tensor | None]:
        x_l, x_g = x
        y_l = y_g = None
        if self.out_l:
            y_l = self._sum(self.l2l, x_l, self.g2l, x_g)
        if self.out_g:
            y_g = self._sum(self.l2g, x_l, self.g2g, x_g)
        return y_l, y_g

    @staticmethod
    def _sum(f_a, a, f_b, b) -> Tensor:
        parts = [f(t) for f, t in ((f_a, a), (f_b, b)) if f is not None and t is not None]
        if not parts:
            raise ValueError('FFC: no input reaches this output (check the channel ratios)')
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out


class FFCBlock(Foldable, nn.Module):
    """FFC followed by BN and ReLU on each of the local and global parts (``FFC_BN_ACT``)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 ratio_in: float, ratio_out: float, stride: int = 1, padding: int = 0,
                 dilation: int = 1, enable_lfu: bool = False, padding_mode: str = 'zeros',
                 activation: bool = True) -> None:
        super().__init__()
        self.ffc = FFC(in_channels, out_channels, kernel_size, ratio_in, ratio_out, stride,
                       padding, dilation, enable_lfu, padding_mode)
        act = (lambda: nn.ReLU(inplace=True)) if activation else nn.Identity
        self.bn_l = nn.BatchNorm2d(self.ffc.out_l) if self.ffc.out_l else None
        self.bn_g = nn.BatchNorm2d(self.ffc.out_g) if self.ffc.out_g else None
        self.act_l = act() if self.ffc.out_l else None
        self.act_g = act() if self.ffc.out_g else None

    def forward(self, x):
        if fast_path(self):
            return self._fused_forward(x)
        y_l, y_g = self.ffc(x)
        if y_l is not None:
            y_l = self.act_l(self.bn_l(y_l))
        if y_g is not None:
            y_g = self.act_g(self.bn_g(y_g))
        return y_l, y_g

    def _folded(self) -> dict:
        """Per path, the weights and bias with the output BN's scale folded in, and per
        output the BN's shift."""
        f = self.ffc
        out = {}
        for side, bn, paths in (('l', self.bn_l, (f.l2l, f.g2l)), ('g', self.bn_g, (f.l2g,))):
            if bn is None:
                continue
            scale, shift = bn_scale_shift(bn)
            out[side] = shift
            for p in paths:
                if p is not None:
                    out[p] = (scaled(p.weight, scale, fmt=self.fold_format),
                              None if p.bias is None else p.bias * scale)
        if f.g2g is not None and self.bn_g is not None:
            scale = bn_scale_shift(self.bn_g)[0]
            e = f.g2g.expand
            out[e] = (scaled(e.weight, scale, fmt=self.fold_format),
                      None if e.bias is None else e.bias * scale)
        return out

    def _fused_forward(self, x):
        """FFC + BN + ReLU with each BN folded into the convolutions summed before it
        (``BN(a + b) = s a + s b + t``); the shift rides on the first convolution's bias."""
        f = self.ffc
        convs = [m for m in (f.l2l, f.g2l, f.l2g) if m is not None]
        if f.g2g is not None:
            convs.append(f.g2g.expand)
        sources = [t for m in convs for t in (m.weight, m.bias)]
        sources += bn_sources(self.bn_l) + bn_sources(self.bn_g)
        folded = self.fold_cache().get(sources, self._folded)
        x_l, x_g = x

        def total(side, parts, act):
            shift = folded[side]
            out = None
            for module, inp in parts:
                if module is None or inp is None:
                    continue
                if module is f.g2g:
                    weight, bias = folded[module.expand]
                    expand = (weight, shift if bias is None else bias + shift) if out is None \
                        else (weight, bias)
                    y = module(inp, expand)
                else:
                    weight, bias = folded[module]
                    if out is None:
                        bias = shift if bias is None else bias + shift
                    y = conv_with(module, inp, weight, bias)
                out = y if out is None else out.add_(same_format(y, out))
            if out is None:
                raise ValueError('FFC: no input reaches this output (check the channel ratios)')
            return out.relu_() if isinstance(act, nn.ReLU) else out

        y_l = total('l', ((f.l2l, x_l), (f.g2l, x_g)), self.act_l) if f.out_l else None
        y_g = total('g', ((f.l2g, x_l), (f.g2g, x_g)), self.act_g) if f.out_g else None
        return y_l, y_g


class FFCResBlock(nn.Module):
    """Two FFC + BN + ReLU (3x3, reflection padding) with a residual on each part."""

    def __init__(self, channels: int, ratio: float, dilation: int = 1,
                 enable_lfu: bool = False) -> None:
        super().__init__()
        kw = dict(kernel_size=3, ratio_in=ratio, ratio_out=ratio, padding=dilation,
                  dilation=dilation, enable_lfu=enable_lfu, padding_mode='reflect')
        self.conv1 = FFCBlock(channels, channels, **kw)
        self.conv2 = FFCBlock(channels, channels, **kw)

    def forward(self, x):
        x_l, x_g = x
        y_l, y_g = self.conv2(self.conv1((x_l, x_g)))
        if y_l is not None:
            y_l = x_l + y_l
        if y_g is not None:
            y_g = x_g + y_g
        return y_l, y_g
