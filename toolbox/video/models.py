"""The ``BaseInpaintor`` contract on clips.

A video model is an mmengine model like the image ones (:class:`toolbox.models.BaseInpaintor`:
the Runner's steps, checkpoints, ``optim_modules``, ``tiny_cfg``) whose ``inpaint`` takes a
clip ``[B, T, 3, H, W]`` in ``[-1, 1]`` and masks ``[B, T, 1, H, W]`` (1 = hole) and returns
the composited clip. Batches carry ``'gt'`` and ``'mask'`` with the time axis; ``predict``
(validation) therefore returns per-sample ``pred``/``gt`` ``[T, 3, H, W]`` and ``mask``
``[T, 1, H, W]`` in [0, 1], unchanged from the image code.

:attr:`is_video` tells the engine's generic code (the contract checks in
:mod:`toolbox.testing`) which kind of data a model takes; it is the only thing the image
code needs to know.
"""
from __future__ import annotations

from typing import Any, ClassVar

from torch import Tensor

from toolbox.models.base import BaseInpaintor

from .checks import check_clip_and_mask

__all__ = ['BaseVideoInpaintor', 'is_video_model']


def is_video_model(model: Any) -> bool:
    """Whether ``model`` (an instance or class) takes clips rather than images."""
    return bool(getattr(model, 'is_video', False))


class BaseVideoInpaintor(BaseInpaintor):
    """An inpainting model of clips. Subclasses implement :meth:`inpaint` (and
    :meth:`train_step` when :attr:`trainable`)."""

    is_video: ClassVar[bool] = True
    #: False for a model without weights to train (a classical baseline, an adapter of a
    #: trained image model): its ``train_step`` raises and the contract check skips training.
    trainable: ClassVar[bool] = True

    def check_inputs(self, video: Tensor, masks: Tensor) -> None:
        """The shape check every ``inpaint`` starts with; the error names the model."""
        check_clip_and_mask(video, masks, where=f'{type(self).__name__}.inpaint')

    def inpaint(self, video: Tensor, masks: Tensor, **options: Any) -> Tensor:
        """The composited clip ``[B, T, 3, H, W]`` in ``[-1, 1]`` for ``video``
        ``[B, T, 3, H, W]`` in ``[-1, 1]`` and ``masks`` ``[B, T, 1, H, W]`` (1 = hole):
        known pixels exactly as given, holes filled."""
        raise NotImplementedError

    def train_step(self, data, optim_wrapper) -> dict[str, float]:
        if not self.trainable:
            raise NotImplementedError(f'{type(self).__name__} has nothing to train: it is '
                                      'used for inference and evaluation only')
        raise NotImplementedError
