"""Inpainting from user code: ``init_inpaintor(config, checkpoint)``, ``inpaint(model, image, mask)``."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from toolbox.builder import config_path
from toolbox.registry import MODELS


def init_inpaintor(config, checkpoint: str | None = None, device: str = 'cpu',
                   cfg_options: dict | None = None):
    """Build the model of ``config`` (a path or an mmengine ``Config``) and load ``checkpoint``.

    The checkpoint is read weights-only and must fit the model exactly. Returns the model
    in eval mode on ``device``.
    """
    from mmengine.config import Config

    from toolbox.engine.checkpoint import from_safe, load_weights, read_checkpoint

    from .config import load_config
    cfg = load_config(config, cfg_options) if isinstance(config, str) else config
    if not isinstance(cfg, Config):
        raise TypeError(f'init_inpaintor: config must be a path or a Config, got {type(cfg)}')
    with config_path('model'):
        model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_weights(model, from_safe(read_checkpoint(checkpoint)), checkpoint)
    model.cfg = cfg
    return model.to(device).eval()


def _to_image(image) -> np.ndarray:
    if isinstance(image, str):
        from toolbox.datasets import read_image
        return read_image(image)
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'inpaint: image must be RGB uint8 (H, W, 3), got {image.dtype} '
                         f'{image.shape}')
    return image


def _to_mask(mask, shape) -> np.ndarray:
    if isinstance(mask, str):
        from toolbox.datasets import read_image
        path, mask = mask, read_image(mask)[..., 0] > 127
    else:
        path, mask = 'mask', np.asarray(mask)
        mask = mask[..., 0] if mask.ndim == 3 else mask
        mask = mask > (127 if mask.dtype == np.uint8 and mask.max() > 1 else 0)
    if mask.shape != tuple(shape):
        raise ValueError(f'inpaint: {path} is {mask.shape[1]}x{mask.shape[0]} but the image '
                         f'is {shape[1]}x{shape[0]}')
    return mask.astype(np.float32)


@torch.no_grad()
def inpaint(model, image, mask, **guidance) -> np.ndarray:
    """Fill the holes of ``image`` (RGB uint8 (H, W, 3) or a path) where ``mask`` is set
    (nonzero / white = hole; an array or a path). Returns RGB uint8 (H, W, 3).

    Inputs whose size is not a multiple of the generator's ``size_multiple`` are padded
    (reflection) and cropped back. Guidance images (``sketch=``) are (H, W) arrays in
    [0, 255] or paths.
    """
    img = _to_image(image)
    h, w = img.shape[:2]
    m = _to_mask(mask, (h, w))
    device = next(model.parameters()).device
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float().div(127.5).sub(1).to(device)
    mt = torch.from_numpy(m)[None, None].to(device)
    extra = {}
    for key, value in guidance.items():
        g = _to_image(value)[..., 0] if isinstance(value, str) else np.asarray(value)
        extra[key] = torch.from_numpy(g.astype(np.float32) / 255.0)[None, None].to(device)
    k = model.generator.size_multiple
    ph, pw = (-h) % k, (-w) % k
    if ph or pw:
        pad = (0, pw, 0, ph)
        mode = 'reflect' if ph < h and pw < w else 'replicate'
        x = F.pad(x, pad, mode=mode)
        mt = F.pad(mt, pad, value=0.0)
        extra = {key: F.pad(v, pad, mode=mode) for key, v in extra.items()}
    out = model.inpaint(x, mt, **extra)[..., :h, :w]
    out = ((out.clamp(-1, 1) + 1) * 127.5).round().byte()[0].permute(1, 2, 0).cpu().numpy()
    return out
