"""Frozen VGG16/VGG19 features for perceptual, style and feature-matching losses.

One wrapper for every loss that compares images in a VGG feature space (DMFN's,
EdgeConnect's, PConv's, LaMa's VGG stand-in). It holds torchvision's ``vgg16().features``
or ``vgg19().features`` up to the deepest layer it serves, maps input in [-1, 1] to [0, 1]
and normalises it with ImageNet's mean and std, is frozen (no gradients to its weights;
gradients still flow to the input) and always in eval mode.

Weights: torchvision's ImageNet files (``vgg16-397923af.pth``, ``vgg19-dcbb9e9d.pth``),
found by :func:`toolbox.weights.torchvision_weights_file` (a configured path,
``$TOOLBOX_WEIGHTS``, torch's hub cache, or a download). Offline and without the file,
building fails within a second naming the file and the folder to put it in.
``pretrained=False`` builds torchvision's random initialisation -- for tests only, never a
silent fallback.

Layers are named as in the papers (``conv3_2``, ``relu4_1``, ``pool2``) or given as indices
into torchvision's ``features``.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from toolbox.weights import load_state_dict_file, torchvision_weights_file

__all__ = ['VGG_ARCHS', 'VGG_INPUTS', 'vgg_layers', 'FrozenVGG', 'shared_vgg', 'gram',
           'IMAGENET_MEAN', 'IMAGENET_STD']

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: convolutions per block of torchvision's configurations D (vgg16) and E (vgg19)
_BLOCKS = {'vgg16': (2, 2, 3, 3, 3), 'vgg19': (2, 2, 4, 4, 4)}
VGG_ARCHS = tuple(_BLOCKS)
#: What the network is fed, from input in [-1, 1]: ``'imagenet'``, [0, 1] normalised with
#: ImageNet's mean and std, as torchvision's weights were trained; ``'unit'``, [0, 1] as is
#: (LBAM's official code feeds that, and its released losses depend on it).
VGG_INPUTS = ('imagenet', 'unit')


def vgg_layers(arch: str) -> dict[str, int]:
    """``{layer name: index in torchvision's features}`` of ``arch``: ``conv{b}_{i}``,
    ``relu{b}_{i}`` and ``pool{b}`` for block ``b`` and convolution ``i`` (from 1)."""
    if arch not in _BLOCKS:
        raise ValueError(f'VGG: arch must be one of {list(VGG_ARCHS)}, got {arch!r}')
    names, index = {}, 0
    for block, convs in enumerate(_BLOCKS[arch], start=1):
        for conv in range(1, convs + 1):
            names[f'conv{block}_{conv}'] = index
            names[f'relu{block}_{conv}'] = index + 1
            index += 2
        names[f'pool{block}'] = index
        index += 1
    return names


def _index(arch: str, names: dict[str, int], layer: str | int) -> int:
    if isinstance(layer, str) and layer in names:
        return names[layer]
    if isinstance(layer, int) and not isinstance(layer, bool) and 0 <= layer < len(names):
        return layer
    raise ValueError(f'{arch}: unknown layer {layer!r}; layers are indices 0-{len(names) - 1} '
                     f'or names {list(names)}')


class FrozenVGG(nn.Module):
    """``forward(x [B, 3, H, W] in [-1, 1], layers=None) -> [feature map per layer]``.

    Args:
        arch: ``'vgg16'`` or ``'vgg19'``.
        layers: the layers this network serves (names or indices); it is cut after the
            deepest, and ``forward`` returns these unless given others. ``None``: the whole
            ``features``, and ``forward`` without ``layers`` returns every layer's output.
        pretrained: load torchvision's ImageNet weights (see the module); ``False``: random
            weights, for tests only.
        weights: a file or folder holding the weights file (``None``: search the caches).
        name: what the network is for, for the missing-weights message.
        option: how a user passes ``weights``, for that message.
        vgg_input: ``'imagenet'`` or ``'unit'`` (:data:`VGG_INPUTS`).

    The layers are children named by their index in torchvision's ``features`` (``0``,
    ``1``, ...), so a state dict of the network has torchvision's keys without the
    ``features.`` prefix; the normalisation constants are not part of it.
    """

    def __init__(self, arch: str = 'vgg19', layers: Sequence[str | int] | None = None,
                 pretrained: bool = True, weights: str | None = None,
                 name: str | None = None, option: str | None = None,
                 vgg_input: str = 'imagenet') -> None:
        super().__init__()
        if vgg_input not in VGG_INPUTS:
            raise ValueError(f'VGG: vgg_input must be one of {list(VGG_INPUTS)}, '
                             f'got {vgg_input!r}')
        self.arch = arch
        self.names = vgg_layers(arch)
        if isinstance(layers, (str, int)):
            layers = (layers,)
        self.layers = None if layers is None else tuple(layers)
        last = (len(self.names) - 1 if self.layers is None
                else max(_index(arch, self.names, n) for n in self.layers))
        path = None
        if pretrained:
            path = torchvision_weights_file(arch, name or arch.upper(), weights,
                                            option=option or 'weights=PATH')
        import torchvision
        # Build the whole network, as torchvision does, so a seeded random build has the
        # same weights as torchvision's own model with that seed.
        features = getattr(torchvision.models, arch)(weights=None).features
        if path is not None:
            state = load_state_dict_file(path)
            features.load_state_dict({k[len('features.'):]: v for k, v in state.items()
                                      if k.startswith('features.')})
        for i, module in enumerate(features[:last + 1]):
            if isinstance(module, nn.ReLU):
                module.inplace = False      # the input's graph must survive for its gradient
            self.add_module(str(i), module)
        unit = vgg_input == 'unit'
        self.register_buffer('mean', torch.tensor((0.0,) * 3 if unit else IMAGENET_MEAN)
                             .view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor((1.0,) * 3 if unit else IMAGENET_STD)
                             .view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        super().train(False)

    def train(self, mode: bool = True) -> 'FrozenVGG':
        return super().train(False)     # frozen: always eval, whatever the owner does

    def index(self, layer: str | int) -> int:
        """The index in torchvision's ``features`` of ``layer`` (a name or an index)."""
        return _index(self.arch, self.names, layer)

    def forward(self, x: Tensor, layers: Sequence[str | int] | None = None) -> list[Tensor]:
        if layers is None:
            layers = self.layers if self.layers is not None else tuple(self.names)
        elif isinstance(layers, (str, int)):
            layers = (layers,)
        wanted = [self.index(n) for n in layers]
        depth = len(self._modules)
        if max(wanted) >= depth:
            raise ValueError(f'{self.arch}: layer {layers[wanted.index(max(wanted))]!r} is '
                             f'deeper than this network, built up to index {depth - 1}')
        last, keep = max(wanted), set(wanted)
        h = ((x + 1) / 2 - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        found = {}
        for i, module in enumerate(self._modules.values()):
            h = module(h)
            if i in keep:
                found[i] = h
            if i == last:
                break
        return [found[i] for i in wanted]


_SHARED: dict[tuple, FrozenVGG] = {}


def shared_vgg(arch: str = 'vgg19', layers: Sequence[str | int] | None = None,
               pretrained: bool = True, weights: str | None = None,
               name: str | None = None, option: str | None = None,
               vgg_input: str = 'imagenet') -> FrozenVGG:
    """The process-wide :class:`FrozenVGG` for these arguments, built on first use.

    Losses keep it out of their parameters and state dict (it is neither trained nor
    checkpointed) and move it to their input's device.
    """
    if isinstance(layers, (str, int)):
        layers = (layers,)
    # the default device and dtype are part of the key: a network built on another device
    # (e.g. the meta device, for shapes only) or in another dtype (a float64 parity run,
    # toolbox.parity) must not be handed out to later float32 users in this process
    probe = torch.empty(())
    key = (arch, None if layers is None else tuple(layers), bool(pretrained), weights,
           vgg_input, probe.device, probe.dtype)
    if key not in _SHARED:
        _SHARED[key] = FrozenVGG(arch, layers, pretrained, weights, name, option, vgg_input)
    return _SHARED[key]


def gram(feat: Tensor) -> Tensor:
    """The Gram matrices ``F F^T / (C H W)`` of features ``[B, C, H, W]``: ``[B, C, C]``.

    The style losses of PConv, EdgeConnect, LBAM, PRVS, StructureFlow, CPNet and the 3D gated
    model all normalise by ``C H W`` (Gatys et al.'s ``K_p``); they share this one."""
    b, c, h, w = feat.shape
    f = feat.reshape(b, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)
