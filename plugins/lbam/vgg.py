"""A frozen VGG-16 giving pool1, pool2 and pool3, for LBAM's perceptual and style losses
(the layers of the official code's ``VGG16FeatureExtractor``).

Kept inside this plugin until the engine has a shared frozen VGG. The weights are
torchvision's ``vgg16-397923af.pth``, found by :func:`toolbox.weights.torchvision_weights_file`
(a configured path, ``$TOOLBOX_WEIGHTS``, torch's hub cache, or a download): offline and
without the file, building fails at once naming the file and the folder to put it in.
``pretrained=False`` builds random weights, for tests only.

One network per (pretrained, weights path, input convention) is shared in the process,
kept out of the losses' ``state_dict``.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.weights import load_state_dict_file, torchvision_weights_file

__all__ = ['VGG16Pools', 'shared_vgg16', 'VGG_INPUTS']

_POOLS = (4, 9, 16)                          # pool1..pool3 of torchvision's vgg16().features
_MEAN, _STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
#: ``'imagenet'``: [0, 1] normalised by ImageNet's mean and std, as torchvision's weights
#: were trained; ``'unit'``: [0, 1] as is, as the official LBAM code feeds it.
VGG_INPUTS = ('imagenet', 'unit')
_SHARED: dict[tuple, 'VGG16Pools'] = {}


class VGG16Pools(nn.Module):
    """``forward(x in [-1, 1]) -> [pool1, pool2, pool3]``; frozen, always in eval mode."""

    def __init__(self, pretrained: bool = True, weights: str | None = None,
                 vgg_input: str = 'imagenet') -> None:
        super().__init__()
        if vgg_input not in VGG_INPUTS:
            raise ValueError(f'VGG16Pools: vgg_input must be one of {VGG_INPUTS}, '
                             f'got {vgg_input!r}')
        path = None
        if pretrained:
            path = torchvision_weights_file('vgg16', 'VGG16 (LBAM losses)', weights,
                                            option="the loss's vgg_weights=PATH")
        from torchvision.models import vgg16
        features = vgg16(weights=None).features[:_POOLS[-1] + 1]
        if path is not None:
            state = load_state_dict_file(path)
            features.load_state_dict({k[len('features.'):]: v for k, v in state.items()
                                      if k.startswith('features.')
                                      and int(k.split('.')[1]) <= _POOLS[-1]})
        for m in features:
            if isinstance(m, nn.ReLU):
                m.inplace = False
        self.features = features
        unit = vgg_input == 'unit'
        self.register_buffer('mean', torch.tensor((0.0,) * 3 if unit else _MEAN).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor((1.0,) * 3 if unit else _STD).view(1, 3, 1, 1))
        self.requires_grad_(False).eval()

    def train(self, mode: bool = True) -> 'VGG16Pools':
        return super().train(False)

    def forward(self, x: Tensor) -> list[Tensor]:
        h = ((x + 1) / 2 - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        out = []
        for i, module in enumerate(self.features):
            h = module(h)
            if i in _POOLS:
                out.append(h)
        return out


def shared_vgg16(pretrained: bool, weights: str | None, vgg_input: str) -> VGG16Pools:
    key = (bool(pretrained), weights, vgg_input)
    if key not in _SHARED:
        _SHARED[key] = VGG16Pools(pretrained, weights, vgg_input)
    return _SHARED[key]
