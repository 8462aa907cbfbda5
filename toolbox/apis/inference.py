"""Inpainting from user code: ``init_inpaintor(config, checkpoint)``, ``inpaint(model, image, mask)``."""
from __future__ import annotations

import numpy as np
import torch

from toolbox.builder import config_path
from toolbox.registry import MODELS

from .hd import CROP_MARGIN, CROP_TRIGGER, run_strategy


class CheckpointRequiredError(ValueError):
    """A model with learned parameters was asked to run without its checkpoint."""


def init_inpaintor(config, checkpoint: str | None = None, device: str = 'cpu',
                   cfg_options: dict | None = None, random_weights: bool = False,
                   download: bool | None = None):
    """Build the model of ``config`` and load ``checkpoint``.

    ``config``: a config file, a shipped config's name (``'classical/telea'``), a model-zoo
    name (``'big-lama'``: its config, and its converted weights when ``checkpoint`` is None,
    downloaded first if ``download`` or ``$TOOLBOX_DOWNLOAD`` allows; :mod:`toolbox.zoo`),
    or an mmengine ``Config``. What the name was is logged, and kept as ``model.resolved``
    (:class:`toolbox.config_names.Resolved`).

    The checkpoint is read weights-only and must fit the model exactly. Models whose
    generators learn nothing (``trainable = False``: the classical baselines) need none;
    for the others ``checkpoint=None`` is an error (:class:`CheckpointRequiredError`) unless
    ``random_weights=True`` asks for their random initialisation (tests). Returns the model
    in eval mode on ``device``.
    """
    from mmengine.config import Config

    from toolbox.engine.checkpoint import (from_safe, learned_networks, load_weights,
                                           read_checkpoint)

    from .config import load_config
    resolved = None
    if isinstance(config, str):
        from toolbox.zoo import resolve_model
        config, checkpoint, resolved = resolve_model(config, checkpoint,
                                                     allow_download=download)
        import logging
        logging.getLogger('toolbox').info('init_inpaintor: %s', resolved.describe())
    cfg = load_config(config, cfg_options) if isinstance(config, str) else config
    if not isinstance(cfg, Config):
        raise TypeError(f'init_inpaintor: config must be a path or a Config, got {type(cfg)}')
    with config_path('model'):
        model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_weights(model, from_safe(read_checkpoint(checkpoint)), checkpoint)
    elif not random_weights and learned_networks(model):
        names = learned_networks(model)
        where = config if isinstance(config, str) else 'the config'
        raise CheckpointRequiredError(
            f'{", ".join(names)} of {where} has learned parameters: give its checkpoint '
            '(only models without them, such as configs/classical/telea.py, run without one)')
    model.cfg = cfg
    model.resolved = resolved
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
        path, mask = mask, read_mask(mask, shape=tuple(shape))    # size checked first
    else:
        path, mask = 'mask', binarise_mask(mask)
    if mask.shape != tuple(shape):
        raise MaskSizeError(f'inpaint: {path} is {mask.shape[1]}x{mask.shape[0]} but the '
                            f'image is {shape[1]}x{shape[0]}')
    return mask.astype(np.float32)


@torch.no_grad()
def inpaint(model, image, mask, *, hd_strategy: str | None = None, max_side: int | None = None,
            crop_trigger: int = CROP_TRIGGER, crop_margin: int = CROP_MARGIN,
            large_strategy: str | None = None, sample_options: dict | None = None,
            **guidance) -> np.ndarray:
    """Fill the holes of ``image`` (RGB uint8 (H, W, 3) or a path) where ``mask`` is set
    (an array or a path; white or any colour on black = hole, and in a mask with
    transparency the opaque pixels: ``toolbox.datasets.reading.MASK_RULE``; 0/1 arrays:
    1 = hole). Files are read upright by
    their EXIF orientation. Returns RGB uint8 (H, W, 3).

    ``model`` is any :class:`~toolbox.models.BaseInpaintor`; only its declared attributes
    are used. Inputs whose size is not a multiple of its ``size_multiple`` are padded
    (reflection) and cropped back; a model with a ``fixed_size`` gets the image resized to
    it, and the result is resized back with the known pixels pasted at full resolution.
    Guidance images (``sketch=``, named in ``model.guidance_keys``) are (H, W) arrays in
    [0, 255] or paths. ``sample_options`` are passed to a stochastic model's sampler as they
    are (``dict(seed=0, steps=50)``; the model's ``sample_options`` names what it accepts);
    an unknown option or guidance name is an error naming it.

    Large images: ``hd_strategy`` is ``'whole'``, ``'resize'``, ``'crop'`` or ``'window'``
    (default), described in :mod:`toolbox.apis.hd`. ``max_side`` is the longest side the
    model processes in one piece; ``None`` takes the generator's ``max_inference_side``
    (generators whose cost grows faster than the pixel count, such as DeepFill v2's
    contextual attention, set it) and is unlimited otherwise. ``crop_trigger`` and
    ``crop_margin`` are those of ``'crop'``. ``large_strategy`` is the old name of
    ``hd_strategy``. Whatever the strategy, only hole pixels are replaced: known pixels are
    returned unchanged.
    """
    img = _to_image(image)
    h, w = img.shape[:2]
    m = _to_mask(mask, (h, w))
    model.split_options({**dict(sample_options or {}), **guidance})   # unknown names raise
    unknown = sorted(set(guidance) - set(model.guidance_keys))
    if unknown:
        raise TypeError(f'inpaint: {unknown} are not guidance images of '
                        f'{type(model).__name__} (it takes {list(model.guidance_keys)}); '
                        'pass sampler options as sample_options=')
    guides = {}
    for key, value in guidance.items():
        g = _to_image(value)[..., 0] if isinstance(value, str) else np.asarray(value)
        if g.shape[:2] != (h, w):
            raise ValueError(f'inpaint: guidance {key!r} is {g.shape[1]}x{g.shape[0]} but the '
                             f'image is {w}x{h}')
        guides[key] = g
    strategy = hd_strategy or large_strategy or 'window'
    return run_strategy(model, img, m, guides, strategy, max_side=max_side,
                        crop_trigger=crop_trigger, crop_margin=crop_margin,
                        sample_options=sample_options)[0]
