"""Video models without weights: the flow-guided propagation baseline and an adapter that
runs any image model frame by frame."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from toolbox.builder import build_component
from toolbox.registry import MODELS
from toolbox.value_range import from_model_range, to_model_range
from toolbox.video.models import BaseVideoInpaintor

from .propagation import propagate

__all__ = ['FlowPropagation', 'FrameByFrame']


def _composite(filled: Tensor, video: Tensor, masks: Tensor) -> Tensor:
    # the known pixels come from the input tensor itself, bit for bit
    return torch.where(masks > 0.5, filled, video)


@MODELS.register_module()
class FlowPropagation(BaseVideoInpaintor):
    """Flow-guided propagation with Telea for the rest (:mod:`.propagation`); no checkpoint.

    Args:
        radius: Telea's radius, for what no frame shows.
        flow_preset: DIS preset, ``'ultrafast'``, ``'fast'`` or ``'medium'``.
    """

    trainable = False
    tiny_cfg = dict(flow_preset='fast')

    def __init__(self, radius: float = 3.0, flow_preset: str = 'medium',
                 data_preprocessor=None, init_cfg=None) -> None:
        super().__init__(data_preprocessor, init_cfg)
        if radius <= 0:
            raise ValueError(f'FlowPropagation: radius must be > 0, got {radius}')
        self.radius = float(radius)
        self.flow_preset = flow_preset
        #: per clip of the last ``inpaint``: the fraction of hole pixels no frame showed
        self.last_unseen_ratio: list[float] = []

    def inpaint(self, video: Tensor, masks: Tensor, **options: Any) -> Tensor:
        self.check_inputs(video, masks)
        self.split_options(options)                 # unknown options raise
        clips = from_model_range(video.detach(), 255).round().byte()      # [B, T, 3, H, W]
        clips = clips.permute(0, 1, 3, 4, 2).cpu().numpy()                 # (B, T, H, W, 3)
        holes = (masks[:, :, 0] > 0.5).cpu().numpy()                       # (B, T, H, W)
        filled, self.last_unseen_ratio = [], []
        for clip, hole in zip(clips, holes):
            out, unseen = propagate(np.ascontiguousarray(clip), hole, self.radius,
                                    self.flow_preset)
            filled.append(out)
            self.last_unseen_ratio.append(float(unseen.sum() / max(hole.sum(), 1)))
        result = torch.from_numpy(np.stack(filled)).permute(0, 1, 4, 2, 3)
        result = to_model_range(result).to(video)
        return _composite(result, video, masks)


@MODELS.register_module()
class FrameByFrame(BaseVideoInpaintor):
    """Any image model (``BaseInpaintor``: Telea, LaMa, DeepFill v2 ...) as a video model,
    each frame inpainted on its own: the baseline that flickers.

    Args:
        model: the image model's config (``MODELS``; e.g. a config file's ``model``) or
            instance.
        checkpoint: the image model's checkpoint (as ``tools/train.py`` writes it), loaded
            into it strictly; ``None``: as built (e.g. Telea, which has no weights).
        frames_per_batch: frames sent to the image model at once (memory).
    """

    trainable = False
    tiny_cfg = dict(model=dict(type='GANInpaintor', generator=dict(type='TeleaInpaint'),
                               losses=[dict(type='L1Loss')]))

    def __init__(self, model: dict | Any, checkpoint: str | None = None,
                 frames_per_batch: int = 16, data_preprocessor=None, init_cfg=None) -> None:
        super().__init__(data_preprocessor, init_cfg)
        self.model = build_component(MODELS, model, 'model')
        if checkpoint is not None:
            # the image model's own keys: a FrameByFrame checkpoint would prefix them 'model.'
            from toolbox.engine.checkpoint import from_safe, load_weights, read_checkpoint
            load_weights(self.model, from_safe(read_checkpoint(checkpoint)), checkpoint)
        if getattr(self.model, 'is_video', False):
            raise TypeError(f'FrameByFrame: model must be an image model, got the video '
                            f'model {type(self.model).__name__}')
        if frames_per_batch < 1:
            raise ValueError(f'FrameByFrame: frames_per_batch must be >= 1, got '
                             f'{frames_per_batch}')
        self.frames_per_batch = int(frames_per_batch)

    # the image model's size rules and options are the video model's
    @property
    def size_multiple(self) -> int:
        return self.model.size_multiple

    @property
    def fixed_size(self):
        return self.model.fixed_size

    @property
    def sample_options(self):
        return self.model.sample_options

    @property
    def stochastic(self):
        return self.model.stochastic

    def inpaint(self, video: Tensor, masks: Tensor, **options: Any) -> Tensor:
        self.check_inputs(video, masks)
        self.split_options(options)
        b, t = video.shape[:2]
        frames, holes = video.flatten(0, 1), masks.flatten(0, 1)          # [B*T, C, H, W]
        n = self.frames_per_batch
        out = torch.cat([self.model.inpaint(frames[i:i + n], holes[i:i + n], **options)
                         for i in range(0, len(frames), n)])
        return _composite(out.reshape(video.shape), video, masks)
