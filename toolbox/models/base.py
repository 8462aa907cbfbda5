"""The contract every inpainting model meets, whatever it trains: a GAN, a stack of
progressive stages, a diffusion denoiser with a sampler, several generators in phases.

The engine (the Runner's loops, :func:`toolbox.apis.inpaint`, ``tools/inpaint.py``, the
visualisation hook, the web service) relies on this class only, never on a concrete model.
"""
from __future__ import annotations

from typing import Any, ClassVar

import torch
from mmengine.model import BaseModel
from torch import Tensor

from toolbox.value_range import from_model_range

__all__ = ['BaseInpaintor']


class BaseInpaintor(BaseModel):
    """An mmengine model that inpaints.

    Subclasses implement :meth:`train_step` and :meth:`inpaint`; validation and testing
    come for free from :meth:`inpaint`.

    Video models (:class:`toolbox.video.models.BaseVideoInpaintor`, ``is_video = True``) meet
    the same contract on clips: ``'gt'`` ``[B, T, 3, H, W]``, ``'mask'`` ``[B, T, 1, H, W]``.

    Batches (after the data preprocessor) are dicts with ``'gt'`` ``[B, 3, H, W]`` in
    ``[-1, 1]``, ``'mask'`` ``[B, 1, H, W]`` (1 = hole), optional guidance images (e.g.
    ``'sketch'``) and ``'data_samples'``.

    ``inpaint(image, mask, **options)`` separates two kinds of keyword:

    * guidance images named in :attr:`guidance_keys` (tensors ``[B, C, H, W]``, e.g. a sketch);
    * sampler options named in :attr:`sample_options` (plain values: ``seed``, ``steps``,
      ``num_samples`` for a stochastic method).

    Any other keyword is an error naming it and the accepted ones (:meth:`split_options`).

    Size rules, read by :func:`toolbox.apis.inpaint`:

    * :attr:`size_multiple`: height and width must be multiples of it (inputs are padded);
    * :attr:`fixed_size`: ``(H, W)`` when the model only runs at one size (inputs are
      resized to it and the result resized back; the known pixels are pasted back at full
      resolution), ``None`` otherwise;
    * :attr:`max_inference_side`: the longest side processed in one piece, ``None``: any.

    Training visualisation: after each training step, :attr:`last_train_vis` holds a dict of
    a few images of the batch (``'gt'``, ``'mask'``, ``'output'``, ``[b, C, H, W]`` on the
    CPU, images in ``[-1, 1]``), which the visualisation hook draws.

    Optimizers: :attr:`optim_modules` names the sub-modules that get one optimizer each
    (``train_step`` then receives an ``OptimWrapperDict``), ``()`` one for the whole model.
    The constructor takes ``data_preprocessor`` (a config dict, an instance, or ``None`` for
    the toolbox's ``InpaintingDataPreprocessor``) and ``init_cfg``. :attr:`tiny_cfg` holds
    the keywords of a small instance, on which :func:`toolbox.testing.check_model` runs the
    whole contract. Subclasses may turn the class attributes into properties that depend
    on their configuration (a diffusion model's ``sample_options`` include its sampler's).
    """

    #: Sampler options ``inpaint`` accepts (e.g. ``('seed', 'steps', 'num_samples')``).
    sample_options: ClassVar[tuple[str, ...]] = ()
    #: Whether two calls with different seeds give different results.
    stochastic: ClassVar[bool] = False

    #: Constructor keywords of a small instance, for :func:`toolbox.testing.check_model`.
    tiny_cfg: ClassVar[dict[str, Any]] = {}
    #: The optimizer layout :meth:`train_step` expects: the names of the sub-modules that
    #: get one optimizer each (``optim_wrapper=dict(constructor=
    #: 'MultiOptimWrapperConstructor', generator=..., discriminator=...)``: an
    #: ``OptimWrapperDict``), or ``()`` for one optimizer over the whole model.
    optim_modules: ClassVar[tuple[str, ...]] = ()

    def __init__(self, data_preprocessor: dict | Any | None = None,
                 init_cfg: dict | None = None) -> None:
        # A config dict is built from the toolbox's MODELS (errors name the config path);
        # None means the toolbox's InpaintingDataPreprocessor.
        if data_preprocessor is None or isinstance(data_preprocessor, dict):
            from toolbox.builder import build_component
            from toolbox.registry import MODELS
            data_preprocessor = build_component(
                MODELS, data_preprocessor or dict(type='InpaintingDataPreprocessor'),
                'data_preprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.last_train_vis: dict[str, Tensor] | None = None

    # -- size rules ------------------------------------------------------------------------
    @property
    def size_multiple(self) -> int:
        return 1

    @property
    def fixed_size(self) -> tuple[int, int] | None:
        return None

    @property
    def max_inference_side(self) -> int | None:
        return None

    @property
    def guidance_keys(self) -> tuple[str, ...]:
        """Batch entries passed to the network as guidance images (e.g. 'sketch')."""
        return ()

    # -- inference -------------------------------------------------------------------------
    def split_options(self, options: dict[str, Any]) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """``(guidance, sampler options)`` of ``inpaint``'s keywords; unknown ones raise."""
        guidance = {k: v for k, v in options.items() if k in self.guidance_keys}
        sampler = {k: v for k, v in options.items() if k in self.sample_options}
        unknown = sorted(set(options) - set(guidance) - set(sampler))
        if unknown:
            accepted = sorted(set(self.guidance_keys) | set(self.sample_options))
            raise TypeError(f'{type(self).__name__}.inpaint: unknown option(s) {unknown}; it '
                            f'accepts {accepted or "none"}')
        return guidance, sampler

    def inpaint(self, image: Tensor, mask: Tensor, **options: Any) -> Tensor:
        """The composited result ``[B, 3, H, W]`` in ``[-1, 1]`` for ``image``
        ``[B, 3, H, W]`` in ``[-1, 1]`` and ``mask`` ``[B, 1, H, W]`` (1 = hole): known pixels
        exactly as given, holes filled."""
        raise NotImplementedError

    # -- the Runner's steps ----------------------------------------------------------------
    def train_step(self, data, optim_wrapper) -> dict[str, float]:
        raise NotImplementedError

    def predict(self, batch: dict) -> list[dict]:
        """Per-sample dicts with ``pred``, ``gt`` ``[3, H, W]`` in [0, 1] and ``mask``, as the
        metrics read them."""
        output = self.inpaint(batch['gt'], batch['mask'],
                              **{k: batch[k] for k in self.guidance_keys if k in batch})
        pred01 = from_model_range(output).cpu()           # [B, 3, H, W] in [0, 1]
        gt01 = from_model_range(batch['gt']).cpu()
        mask = batch['mask'].float().cpu()
        samples = batch.get('data_samples') or [{} for _ in range(len(pred01))]
        return [dict(sample, pred=pred01[i], gt=gt01[i], mask=mask[i])
                for i, sample in enumerate(samples)]

    def val_step(self, data) -> list[dict]:
        with torch.no_grad():
            return self.predict(self.data_preprocessor(data, False))

    def test_step(self, data) -> list[dict]:
        return self.val_step(data)

    def forward(self, inputs=None, data_samples=None, mode: str = 'tensor', **kwargs):
        batch = inputs if isinstance(inputs, dict) else dict(kwargs)
        if mode == 'predict':
            return self.predict(batch)
        if mode == 'tensor':
            return {'output': self.inpaint(
                batch['gt'], batch['mask'],
                **{k: batch[k] for k in self.guidance_keys if k in batch})}
        raise ValueError(f'{type(self).__name__}.forward: unsupported mode {mode!r}')
