"""LaMa's FFC ResNet generator.

Paper: R. Suvorov, E. Logacheva, A. Mashikhin, A. Remizova, A. Ashukha, A. Silvestrov,
N. Kong, H. Goka, K. Park, V. Lempitsky, "Resolution-robust Large Mask Inpainting with
Fourier Convolutions", WACV 2022.

What differs from the paper (details in README.md): the output activation is ``tanh``
(images are in [-1, 1] here; the authors use a sigmoid on [0, 1] images, the same function
up to an affine map; ``value_range='[0,1]'`` runs the network on the authors' ranges, for
their weights); the Fourier unit runs in float32 under autocast (``torch.fft`` has no
bf16); optional channels-last memory format. The stride-2 downsampling convolutions pad
by reflection, as the authors' ``FFC_BN_ACT`` does (``downsample_padding='zeros'`` gives
the zero padding of this module before it was matched to the reference).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox import BaseGenerator
from toolbox.bases import check_image_and_mask
from toolbox.registry import GENERATORS

from .ffc import FFCBlock, FFCResBlock
from .fused import Foldable, bn_sources, fast_path, fold_conv_bn

#: name -> constructor keywords of the published models
PRESETS = {
    'lama-fourier': dict(base_channels=64, num_blocks=9),
    'big-lama': dict(base_channels=64, num_blocks=18),
}


class _Concat(nn.Module):
    def forward(self, x):
        x_l, x_g = x
        return x_l if x_g is None else (x_g if x_l is None else torch.cat([x_l, x_g], 1))


@GENERATORS.register_module()
class FFCResNetGenerator(Foldable, BaseGenerator):
    """Reflection-padded 7x7 stem, ``num_down`` stride-2 3x3 convolutions, ``num_blocks``
    FFC residual blocks (``global_ratio`` of the channels global), ``num_down`` transposed
    convolutions, a reflection-padded 7x7 output convolution and ``tanh``.

    Input: the masked image ``[B, 3, H, W]`` and the mask ``[B, 1, H, W]`` concatenated (4
    channels); H and W multiples of ``2 ** num_down`` (8). Output ``{'output': [B, 3, H, W]}``.
    Any size works, whatever the training size: the Fourier units see the whole map.

    Args:
        preset: ``'lama-fourier'`` (9 blocks, 27,048,835 parameters) or ``'big-lama'``
            (18 blocks, 50,975,875); its values are defaults that the other keywords
            override. ``None``: the keywords alone (defaults of lama-fourier).
        base_channels: width of the stem (``ngf``); doubled per downsampling.
        num_down: number of downsamplings (and upsamplings).
        num_blocks: FFC residual blocks at the bottleneck.
        max_channels: cap on the width (1024 in the authors' code; not reached at 64 x 2^3).
        global_ratio: global share of the channels in the residual blocks (0.75); the last
            downsampling already outputs this split.
        enable_lfu: local Fourier unit in the blocks' spectral transforms (off in the
            published models).
        channels_last: run the network in channels-last memory format (faster oneDNN
            convolutions on the CPU); outputs are returned contiguous. ``None``
            (default): channels-last on the fused inference path only (see ``fused``),
            the plain layers (training) contiguous; ``True``: everywhere (weights too);
            ``False``: nowhere.
        fused: in eval mode without gradients, fold each batch norm into the convolution
            before it and run the 1x1 convolutions on oneDNN (:mod:`.fused`; the same
            function to float rounding, see README.md "Speed"). ``False``: the plain layers,
            operator for operator as LaMa's code.
        downsample_padding: padding mode of the stride-2 convolutions: ``'reflect'`` (the
            authors') or ``'zeros'``.
        value_range: ``'[-1,1]'`` (default): the network sees the masked image in [-1, 1]
            and ends in ``tanh``. ``'[0,1]'``: the authors' convention, for their weights:
            the image is mapped to [0, 1] and masked there (holes 0), the network ends in a
            sigmoid, and its output is mapped back to [-1, 1]. The two are the same function
            family (``2 sigmoid(z) - 1 = tanh(z / 2)``) but not with the same weights.
    """

    size_multiple = 8
    tiny_cfg = dict(preset=None, base_channels=8, num_blocks=1)

    def __init__(self,
                 preset: str | None = 'lama-fourier',
                 base_channels: int | None = None,
                 num_down: int = 3,
                 num_blocks: int | None = None,
                 max_channels: int = 1024,
                 global_ratio: float = 0.75,
                 enable_lfu: bool = False,
                 channels_last: bool | None = None,
                 in_channels: int = 4,
                 out_channels: int = 3,
                 downsample_padding: str = 'reflect',
                 value_range: str = '[-1,1]',
                 fused: bool = True) -> None:
        super().__init__()
        if downsample_padding not in ('reflect', 'zeros'):
            raise ValueError("FFCResNetGenerator: downsample_padding must be 'reflect' or "
                             f"'zeros', got {downsample_padding!r}")
        if value_range not in ('[-1,1]', '[0,1]'):
            raise ValueError("FFCResNetGenerator: value_range must be '[-1,1]' or '[0,1]', got "
                             f'{value_range!r}')
        self.value_range = value_range
        if preset is not None and preset not in PRESETS:
            raise ValueError(f'FFCResNetGenerator: unknown preset {preset!r}; '
                             f'choose one of {sorted(PRESETS)} or None')
        defaults = dict(PRESETS['lama-fourier' if preset is None else preset])
        base = base_channels if base_channels is not None else defaults['base_channels']
        blocks = num_blocks if num_blocks is not None else defaults['num_blocks']
        if num_down != 3:
            # size_multiple is a class attribute; other depths would need another multiple.
            raise ValueError('FFCResNetGenerator: num_down must be 3 (inputs are padded to '
                             f'multiples of 8), got {num_down}')
        self.preset = preset
        self.channels_last = None if channels_last is None else bool(channels_last)
        width = [min(max_channels, base * 2 ** i) for i in range(num_down + 1)]

        layers: list[nn.Module] = [
            _Pad(3),
            FFCBlock(in_channels, width[0], 7, ratio_in=0.0, ratio_out=0.0),
        ]
        for i in range(num_down):
            last = i == num_down - 1
            layers.append(FFCBlock(width[i], width[i + 1], 3, ratio_in=0.0,
                                   ratio_out=global_ratio if last else 0.0,
                                   stride=2, padding=1, padding_mode=downsample_padding))
        layers += [FFCResBlock(width[-1], global_ratio, enable_lfu=enable_lfu)
                   for _ in range(blocks)]
        self.encoder = nn.Sequential(*layers)
        up: list[nn.Module] = []
        for i in range(num_down, 0, -1):
            up += [nn.ConvTranspose2d(width[i], width[i - 1], 3, stride=2, padding=1,
                                      output_padding=1),
                   nn.BatchNorm2d(width[i - 1]), nn.ReLU(inplace=True)]
        up += [nn.ReflectionPad2d(3), nn.Conv2d(width[0], out_channels, 7),
               nn.Sigmoid() if value_range == '[0,1]' else nn.Tanh()]
        self.decoder = nn.Sequential(*up)
        self.fused = bool(fused)
        for m in self.modules():
            if isinstance(m, Foldable):
                m.fused = self.fused
                m.fold_format = (torch.contiguous_format if channels_last is False
                                 else torch.channels_last)
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def forward(self, masked_image: Tensor, mask: Tensor, **guidance: Tensor) -> dict[str, Tensor]:
        check_image_and_mask(masked_image, mask, where=type(self).__name__,
                             multiple=self.size_multiple)
        mask = mask.to(masked_image.dtype)
        if self.value_range == '[0,1]':
            masked_image = (masked_image + 1) / 2 * (1 - mask)     # holes 0 in [0, 1]
        x = torch.cat([masked_image, mask], dim=1)                  # [B, 4, H, W]
        if self.channels_last or (self.channels_last is None and fast_path(self)):
            x = x.contiguous(memory_format=torch.channels_last)
        x_l, x_g = self.encoder((x, None))          # [B, C/4, H/8, W/8], [B, 3C/4, H/8, W/8]
        out = self._decode(_Concat()((x_l, x_g)))   # [B, 3, H, W]
        if self.value_range == '[0,1]':
            out = out * 2 - 1
        return {'output': out.contiguous()}

    def _decode(self, x: Tensor) -> Tensor:
        """``self.decoder(x)``; on the fused path each transposed convolution carries the
        batch norm after it, and the ReLU runs in place."""
        if not fast_path(self):
            return self.decoder(x)
        layers = list(self.decoder)
        i = 0
        while i < len(layers):
            m = layers[i]
            bn = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(m, nn.ConvTranspose2d) and isinstance(bn, nn.BatchNorm2d):
                weight, bias = self.fold_cache(f'decoder.{i}').get(
                    [m.weight, m.bias, *bn_sources(bn)],
                    lambda: fold_conv_bn(m, bn, transposed=True, fmt=self.fold_format))
                x = nn.functional.conv_transpose2d(x, weight, bias, m.stride, m.padding,
                                                   m.output_padding, m.groups, m.dilation)
                i += 2
            elif isinstance(m, nn.ReLU):
                x = x.relu_()
                i += 1
            else:
                x = m(x)
                i += 1
        return x


class _Pad(nn.Module):
    """Reflection padding of the local part of ``(x_l, x_g)`` (the stem has no global part)."""

    def __init__(self, pad: int) -> None:
        super().__init__()
        self.pad = nn.ReflectionPad2d(pad)

    def forward(self, x):
        x_l, x_g = x
        return self.pad(x_l), x_g
