"""The frozen semantic network C of the SA-PatchGAN: a timm backbone's pooled features."""
from __future__ import annotations

import weakref

import torch
from torch import Tensor, nn

from toolbox.weights import timm_weights_file


#: Backbones alive in this process, by (model name, pretrained, weights): every
#: discriminator that asks for the same frozen network gets the same module.
_SHARED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _backbone(model_name: str, pretrained: bool, weights: str | None) -> nn.Module:
    import timm
    # the default device is part of the key: a network built on another (e.g. the meta
    # device, for shapes only) must not be handed out here
    key = (model_name, bool(pretrained), weights, torch.empty(()).device)
    net = _SHARED.get(key)
    if net is None:
        if pretrained:
            path = timm_weights_file(model_name, f'SA-PatchGAN semantic network ({model_name}, timm)',
                                     weights, option='discriminator semantic_weights=...')
            net = timm.create_model(model_name, pretrained=True, num_classes=0,
                                    pretrained_cfg_overlay=dict(file=path))
        else:
            net = timm.create_model(model_name, pretrained=False, num_classes=0)
        net.requires_grad_(False)
        net.eval()
        _SHARED[key] = net
    return net


class SemanticEncoder(nn.Module):
    """``C(x)``: ImageNet-normalised image -> pooled backbone features ``[B, F]``, frozen.

    Args:
        model_name: any timm model name.
        pretrained: load the backbone's pretrained weights (from ``weights`` or the caches;
            fails fast with the file to provide when offline). ``False`` gives random
            weights, for tests only.
        weights: a local weights file or folder.

    Encoders built with the same three arguments in one process share one backbone module.
    """

    def __init__(self, model_name: str, pretrained: bool, weights: str | None = None) -> None:
        super().__init__()
        # Frozen, so one copy serves every stage's discriminator of a progressive model
        # (five ResNet-50s would be 470 MB in memory and in every checkpoint).
        self.net = _backbone(model_name, pretrained, weights)
        cfg = self.net.pretrained_cfg
        self.register_buffer('mean', torch.tensor(cfg.get('mean', (0.485, 0.456, 0.406))).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(cfg.get('std', (0.229, 0.224, 0.225))).view(1, 3, 1, 1),
                             persistent=False)
        self.num_features = self.net.num_features

    def train(self, mode: bool = True):
        super().train(mode)
        self.net.eval()          # frozen: batch-norm statistics never change
        return self

    def forward(self, image: Tensor) -> Tensor:
        # A GAN step asks for C(gt) three times (D on real, D on fake, G); C is frozen, so
        # the features of the same, unmodified tensor are computed once.
        key = (image, image._version, torch.is_autocast_enabled(image.device.type))
        cached = getattr(self, '_cache', None)
        if cached is not None and cached[0][0] is key[0] and cached[0][1:] == key[1:]:
            return cached[1]
        x = ((image + 1) / 2 - self.mean) / self.std      # [-1, 1] -> ImageNet normalised
        with torch.no_grad():
            features = self.net(x)                        # [B, F]
        self._cache = (key, features)
        return features
