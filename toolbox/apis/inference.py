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
    from toolbox.datasets import MaskSizeError, binarise_mask, read_mask
    if isinstance(mask, str):
        path, mask = mask, read_mask(mask)
    else:
        path, mask = 'mask', binarise_mask(mask)
    if mask.shape != tuple(shape):
        raise MaskSizeError(f'inpaint: {path} is {mask.shape[1]}x{mask.shape[0]} but the '
                            f'image is {shape[1]}x{shape[0]}')
    return mask.astype(np.float32)


@torch.no_grad()
def inpaint(model, image, mask, *, max_side: int | None = None,
            large_strategy: str = 'window', **guidance) -> np.ndarray:
    """Fill the holes of ``image`` (RGB uint8 (H, W, 3) or a path) where ``mask`` is set
    (nonzero / white = hole, any channel; an array or a path). Files are read upright by
    their EXIF orientation. Returns RGB uint8 (H, W, 3).

    Inputs whose size is not a multiple of the generator's ``size_multiple`` are padded
    (reflection) and cropped back. Guidance images (``sketch=``) are (H, W) arrays in
    [0, 255] or paths.

    Large images: an image whose longer side is at most ``max_side`` is processed whole, at
    full resolution, whatever size the model was trained at. ``max_side=None`` takes the
    generator's ``max_inference_side`` attribute when it has one (generators whose cost
    grows faster than the pixel count, such as DeepFill v2's contextual attention, set it)
    and is unlimited otherwise. Beyond it, ``large_strategy`` decides:

    * ``'window'`` (default): holes closer than the context margin are grouped; each group
      is inpainted in a window around it (its bounding box plus a margin of
      ``max(max_side // 8, longer box side // 2)`` pixels of context, clipped to the
      image) at full resolution. A window longer than ``max_side`` is downscaled to it,
      inpainted and scaled back (bicubic). Groups are filled one after another, each seeing
      the groups already filled as known pixels.
    * ``'resize'``: the whole image is downscaled (area interpolation) so that its longer
      side is ``max_side``, inpainted, and the result is scaled back (bicubic).

    Either way only hole pixels are replaced: known pixels are returned unchanged.
    """
    img = _to_image(image)
    h, w = img.shape[:2]
    m = _to_mask(mask, (h, w))
    guides = {}
    for key, value in guidance.items():
        g = _to_image(value)[..., 0] if isinstance(value, str) else np.asarray(value)
        if g.shape[:2] != (h, w):
            raise ValueError(f'inpaint: guidance {key!r} is {g.shape[1]}x{g.shape[0]} but the '
                             f'image is {w}x{h}')
        guides[key] = g
    if max_side is None:
        max_side = model.max_inference_side
    if max_side is None or max(h, w) <= max_side or not m.any():
        return _inpaint_whole(model, img, m, guides)
    if large_strategy == 'resize':
        return _inpaint_scaled(model, img, m, guides, max_side)
    if large_strategy == 'window':
        return _inpaint_windows(model, img, m, guides, int(max_side))
    raise ValueError(f"inpaint: large_strategy must be 'window' or 'resize', got "
                     f'{large_strategy!r}')


def _inpaint_whole(model, img: np.ndarray, m: np.ndarray, guides: dict) -> np.ndarray:
    """The model on the whole image, padded to the generator's size multiple."""
    h, w = img.shape[:2]
    # Parameter-free models (classical baselines) run on the CPU.
    device = next(iter(model.parameters()), torch.zeros(())).device
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float().div(127.5).sub(1).to(device)
    mt = torch.from_numpy(m)[None, None].to(device)
    extra = {}
    for key, g in guides.items():
        extra[key] = torch.from_numpy(g.astype(np.float32) / 255.0)[None, None].to(device)
    k = model.size_multiple
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


def _resize(array: np.ndarray, size: tuple[int, int], interpolation: int) -> np.ndarray:
    import cv2
    return cv2.resize(array, (size[1], size[0]), interpolation=interpolation)


def _inpaint_scaled(model, img: np.ndarray, m: np.ndarray, guides: dict,
                    max_side: int) -> np.ndarray:
    """Downscale so the longer side is ``max_side``, inpaint, upscale, paste the holes."""
    import cv2
    h, w = img.shape[:2]
    if max(h, w) <= max_side:
        return _inpaint_whole(model, img, m, guides)
    scale = max_side / max(h, w)
    small = (max(1, round(h * scale)), max(1, round(w * scale)))
    s_img = _resize(img, small, cv2.INTER_AREA)
    # A low-resolution pixel that covers any hole pixel is a hole.
    s_mask = (_resize(m, small, cv2.INTER_AREA) > 0).astype(np.float32)
    s_guides = {k: _resize(np.asarray(g), small, cv2.INTER_AREA) for k, g in guides.items()}
    out = _inpaint_whole(model, s_img, s_mask, s_guides)
    up = _resize(out, (h, w), cv2.INTER_CUBIC)
    return np.where(m[..., None] > 0, up, img)


def _inpaint_windows(model, img: np.ndarray, m: np.ndarray, guides: dict,
                     max_side: int) -> np.ndarray:
    """Inpaint each group of nearby holes in a window of context around it."""
    import cv2
    h, w = img.shape[:2]
    base_margin = max(8, max_side // 8)
    hole = (m > 0).astype(np.uint8)
    grouped = cv2.dilate(hole, np.ones((2 * base_margin + 1,) * 2, np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    result = img.copy()
    remaining = hole.astype(bool)
    for label in range(1, count):
        group = (labels == label) & remaining
        if not group.any():
            continue
        ys, xs = np.nonzero(group)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        margin = max(base_margin, max(y1 - y0, x1 - x0) // 2)
        y0, y1 = max(0, y0 - margin), min(h, y1 + margin)
        x0, x1 = max(0, x0 - margin), min(w, x1 + margin)
        win = (slice(y0, y1), slice(x0, x1))
        out = _inpaint_scaled(model, result[win], remaining[win].astype(np.float32),
                              {k: np.asarray(g)[win] for k, g in guides.items()}, max_side)
        sel = group[win]
        result[win][sel] = out[sel]
        remaining[win] &= ~sel
    return result
