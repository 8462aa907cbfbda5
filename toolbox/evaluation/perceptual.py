"""LPIPS (Zhang et al., "The Unreasonable Effectiveness of Deep Features as a Perceptual
Metric", CVPR 2018) through the ``lpips`` package.

The package ships its calibrated linear layers, but builds its backbone through
torchvision, which downloads the ImageNet weights on first use. Here the backbone's file
is found by :func:`toolbox.weights.resolve_weights` first (so a machine without the file
fails within a second, saying which file to put where), then loaded into the package's
model built with a random backbone. The network is the package's own: values equal
``lpips.LPIPS(net=...)``.
"""
from __future__ import annotations

import re
import warnings

import torch
from torch import Tensor

from toolbox.weights import load_state_dict_file, resolve_weights

__all__ = ['LPIPS_BACKBONES', 'build_lpips', 'lpips_distance']

#: net -> (torchvision's file name, its download address)
LPIPS_BACKBONES = {
    'alex': ('alexnet-owt-7be5be79.pth',
             'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth'),
    'vgg': ('vgg16-397923af.pth', 'https://download.pytorch.org/models/vgg16-397923af.pth'),
    'squeeze': ('squeezenet1_1-b8a52dc0.pth',
                'https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth'),
}


def build_lpips(net: str = 'alex', pretrained: bool = True, weights: str | None = None,
                version: str = '0.1'):
    """An ``lpips.LPIPS`` model in eval mode without gradients.

    Args:
        net: backbone, ``'alex'`` (the package's default), ``'vgg'`` or ``'squeeze'``.
        pretrained: load the ImageNet backbone and the package's calibrated linear layers.
            ``False`` builds both at random -- for tests only, stated explicitly; there is
            no silent fallback to it.
        weights: path of the backbone file (torchvision's, e.g. ``alexnet-owt-7be5be79.pth``)
            or of a folder holding it; ``None`` searches the caches (:mod:`toolbox.weights`).
        version: the package's linear-layer version.

    Raises:
        toolbox.weights.WeightsNotFoundError: the backbone file is not available.
    """
    if net not in LPIPS_BACKBONES:
        raise ValueError(f'LPIPS: net must be one of {sorted(LPIPS_BACKBONES)}, got {net!r}')
    path = None
    if pretrained:
        filename, url = LPIPS_BACKBONES[net]
        # Before importing lpips: a missing file fails fast.
        path = resolve_weights(f'LPIPS {net} backbone', filename, url, weights,
                               option=f"LPIPS(net='{net}', weights=PATH) or --lpips-weights")
    import lpips as lpips_package
    with warnings.catch_warnings():
        # torchvision warns about the package's deprecated `pretrained=` argument.
        warnings.simplefilter('ignore', UserWarning)
        model = lpips_package.LPIPS(net=net, version=version, pretrained=pretrained,
                                    pnet_rand=True, verbose=False)
    if path is not None:
        _load_backbone(model, load_state_dict_file(path), path)
    return model.eval().requires_grad_(False)


def _load_backbone(model, state: dict, path: str) -> None:
    """Copy torchvision's ``features.<i>.*`` tensors into the package's ``slice<k>.<i>.*``."""
    own = model.net.state_dict()
    new = {}
    for key in own:
        source = re.sub(r'^slice\d+\.', 'features.', key)
        if source not in state:
            raise ValueError(f'LPIPS backbone file {path} lacks {source!r}: is it the '
                             f'torchvision file for this net?')
        if state[source].shape != own[key].shape:
            raise ValueError(f'LPIPS backbone file {path}: {source} has shape '
                             f'{tuple(state[source].shape)}, expected {tuple(own[key].shape)}')
        new[key] = state[source]
    model.net.load_state_dict(new)


@torch.no_grad()
def lpips_distance(model, pred: Tensor, target: Tensor) -> Tensor:
    """Per-image LPIPS ``[B]`` float64 for images in [0, 1] (scaled to [-1, 1] as the
    package expects)."""
    param = next(model.parameters(), None)
    device = param.device if param is not None else pred.device
    x = pred.to(device=device, dtype=torch.float32) * 2 - 1
    y = target.to(device=device, dtype=torch.float32) * 2 - 1
    return model(x, y).flatten().double().cpu()
