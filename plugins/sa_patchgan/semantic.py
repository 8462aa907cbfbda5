"""The frozen semantic network C of the SA-PatchGAN: a timm backbone's pooled features."""
from __future__ import annotations

import glob
import os.path as osp

import torch
from torch import Tensor, nn

from toolbox.weights import hf_hub_cache_dir, resolve_weights


def timm_weights_file(model_name: str, path: str | None) -> str:
    """Local file of ``model_name``'s default pretrained weights.

    Looked up in timm's own Hugging Face cache first; otherwise under a name that says
    which model it is (``resnet50.a1_in1k.safetensors``), via :func:`resolve_weights`
    (config path, ``$TOOLBOX_WEIGHTS``, torch hub cache, download unless offline).
    """
    import timm
    cfg = timm.models.get_pretrained_cfg(model_name)
    if cfg is None:
        raise ValueError(f'timm has no pretrained weights for {model_name!r}')
    if cfg.hf_hub_id:
        if not path:
            repo = 'models--' + cfg.hf_hub_id.replace('/', '--')
            cached = sorted(glob.glob(osp.join(hf_hub_cache_dir(), repo, 'snapshots', '*',
                                               'model.safetensors')))
            if cached:
                return cached[-1]
        filename = cfg.hf_hub_id.split('/')[-1] + '.safetensors'
        url = f'https://huggingface.co/{cfg.hf_hub_id}/resolve/main/model.safetensors'
    else:
        filename, url = cfg.url.rsplit('/', 1)[-1], cfg.url
    return resolve_weights(f'SA-PatchGAN semantic network ({model_name}, timm)', filename,
                           url=url, path=path, option='discriminator semantic_weights=...')


class SemanticEncoder(nn.Module):
    """``C(x)``: ImageNet-normalised image -> pooled backbone features ``[B, F]``, frozen.

    Args:
        model_name: any timm model name.
        pretrained: load the backbone's pretrained weights (from ``weights`` or the caches;
            fails fast with the file to provide when offline). ``False`` gives random
            weights, for tests only.
        weights: a local weights file or folder.
    """

    def __init__(self, model_name: str, pretrained: bool, weights: str | None = None) -> None:
        super().__init__()
        import timm
        if pretrained:
            path = timm_weights_file(model_name, weights)
            self.net = timm.create_model(model_name, pretrained=True, num_classes=0,
                                         pretrained_cfg_overlay=dict(file=path))
        else:
            self.net = timm.create_model(model_name, pretrained=False, num_classes=0)
        self.net.requires_grad_(False)
        self.net.eval()
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
        x = ((image + 1) / 2 - self.mean) / self.std      # [-1, 1] -> ImageNet normalised
        with torch.no_grad():
            return self.net(x)                            # [B, F]
