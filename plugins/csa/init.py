"""The official initialisation of every CSA network (``init_weights(net, 'normal', 0.02)``):
convolution weights ~ N(0, 0.02), biases 0; instance norms keep PyTorch's (1, 0) (the
official rule re-draws batch norms only)."""
from __future__ import annotations

from torch import nn

__all__ = ['normal_init']


def normal_init(module: nn.Module, std: float = 0.02) -> nn.Module:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module
