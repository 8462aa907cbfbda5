"""A frozen VGG19 feature extractor for DMFN's and EdgeConnect's losses, with
torchvision's ImageNet weights.

The weights are torchvision's file ``vgg19-dcbb9e9d.pth``, found by
:func:`toolbox.weights.resolve_weights` (a configured path, ``$TOOLBOX_WEIGHTS``, torch's
hub cache, or a download): offline and without the file, building fails within a second
naming the file and the folder to put it in. ``pretrained=False`` builds random weights,
for tests only; it is never a silent fallback.

One network per (pretrained, weights path) is shared by every loss in the process and is
kept out of the losses' ``state_dict`` (it is not trained and not checkpointed).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.weights import load_state_dict_file, torchvision_weights_file

__all__ = ['VGG19_LAYERS', 'VGG19Features', 'shared_vgg19']

#: layer name -> index of that ReLU in torchvision's ``vgg19().features`` (every ReLU: the
#: style loss of EdgeConnect reads relu2_2, relu3_4, relu4_4 and relu5_2)
VGG19_LAYERS = {'relu1_1': 1, 'relu1_2': 3,
                'relu2_1': 6, 'relu2_2': 8,
                'relu3_1': 11, 'relu3_2': 13, 'relu3_3': 15, 'relu3_4': 17,
                'relu4_1': 20, 'relu4_2': 22, 'relu4_3': 24, 'relu4_4': 26,
                'relu5_1': 29, 'relu5_2': 31, 'relu5_3': 33, 'relu5_4': 35}
_LAST = max(VGG19_LAYERS.values())
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class VGG19Features(nn.Module):
    """``forward(x [B, 3, H, W] in [-1, 1], layers) -> {name: feature map}``.

    Inputs are mapped to [0, 1] and normalised with ImageNet's mean and std. Runs only as
    deep as the deepest requested layer. Frozen and in eval mode.
    """

    def __init__(self, pretrained: bool = True, weights: str | None = None) -> None:
        super().__init__()
        path = None
        if pretrained:
            path = torchvision_weights_file('vgg19', 'VGG19 (DMFN losses)', weights,
                                            option="the loss's vgg_weights=PATH")
        from torchvision.models import vgg19
        features = vgg19(weights=None).features[:_LAST + 1]
        if path is not None:
            state = load_state_dict_file(path)
            own = {k: v for k, v in state.items() if k.startswith('features.')}
            own = {k[len('features.'):]: v for k, v in own.items()
                   if int(k.split('.')[1]) <= _LAST}
            features.load_state_dict(own)
        for m in features:
            if isinstance(m, nn.ReLU):
                m.inplace = False
        self.features = features
        self.register_buffer('mean', torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1))
        self.requires_grad_(False).eval()

    def train(self, mode: bool = True) -> 'VGG19Features':
        return super().train(False)   # always eval (no dropout/BN here, but be explicit)

    def forward(self, x: Tensor, layers: tuple[str, ...]) -> dict[str, Tensor]:
        unknown = [n for n in layers if n not in VGG19_LAYERS]
        if unknown:
            raise KeyError(f'VGG19Features: unknown layers {unknown}; '
                           f'available {list(VGG19_LAYERS)}')
        wanted = {VGG19_LAYERS[n]: n for n in layers}
        last = max(wanted)
        h = ((x + 1) / 2 - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        out = {}
        for i, module in enumerate(self.features):
            h = module(h)
            if i in wanted:
                out[wanted[i]] = h
            if i == last:
                break
        return out


_SHARED: dict[tuple, VGG19Features] = {}


def shared_vgg19(pretrained: bool = True, weights: str | None = None) -> VGG19Features:
    """The process-wide :class:`VGG19Features` for these arguments (built on first use)."""
    # the default device is part of the key: a network built on another (e.g. the meta
    # device, for shapes only) must not be handed out here
    key = (bool(pretrained), weights, torch.empty(()).device)
    if key not in _SHARED:
        _SHARED[key] = VGG19Features(pretrained, weights)
    return _SHARED[key]
