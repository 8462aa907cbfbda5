"""The contracts every component kind fulfils.

Conventions (see also the README):

* images inside models are float RGB in ``[-1, 1]``, shape ``[B, 3, H, W]``;
* masks are float ``{0, 1}`` tensors ``[B, 1, H, W]`` with **1 = hole** (missing), 0 = known;
* mask generators return numpy ``uint8`` arrays ``(H, W)``, 1 = hole.

Every base class carries a ``tiny_cfg`` class attribute: constructor keywords for a small
instance. The contract tests in :mod:`toolbox.testing` build each registered component from
it, so a plugin author gets those tests for free by setting it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ['BaseGenerator', 'BaseDiscriminator', 'BaseLoss', 'BaseReconstructionLoss',
           'BaseAdversarialLoss', 'BaseFeatureMatchingLoss', 'BaseMaskGenerator', 'BaseStageScheduler',
           'BaseDenoiser', 'BaseNoiseSchedule', 'BaseSampler', 'BaseWeightConverter',
           'check_image_and_mask']


def check_image_and_mask(image: Tensor, mask: Tensor, *, where: str, channels: int = 3,
                         multiple: int = 1) -> None:
    """Raise a ``ValueError`` naming ``where`` unless image is [B, C, H, W] and mask [B, 1, H, W]."""
    if image.ndim != 4 or image.shape[1] != channels:
        raise ValueError(f'{where}: image must be [B, {channels}, H, W], got {list(image.shape)}')
    if mask.ndim != 4 or mask.shape[1] != 1:
        raise ValueError(f'{where}: mask must be [B, 1, H, W], got {list(mask.shape)}')
    if mask.shape[0] != image.shape[0] or mask.shape[2:] != image.shape[2:]:
        raise ValueError(f'{where}: mask {list(mask.shape)} does not match image '
                         f'{list(image.shape)} in batch size or spatial size')
    h, w = image.shape[2:]
    if multiple > 1 and (h % multiple or w % multiple):
        raise ValueError(f'{where}: height and width must be multiples of {multiple}, '
                         f'got {h}x{w}; pad the input (toolbox.apis.inpaint does)')


class BaseGenerator(nn.Module):
    """An inpainting generator.

    ``forward(masked_image, mask, **guidance)`` takes the image (``[B, 3, H, W]`` in
    ``[-1, 1]``), the mask (``[B, 1, H, W]``, 1 = hole) and the optional guidance inputs named
    in :attr:`guidance` (e.g. ``sketch`` ``[B, 1, H, W]``); it returns a dict of named outputs
    ``[B, 3, H, W]`` in ``[-1, 1]`` with the final prediction under ``'output'`` (a
    coarse-to-fine model adds e.g. ``'coarse'``). Outputs are *not* composited: the
    inpaintor pastes the known pixels back.

    **The holes of** ``masked_image`` **carry an estimate.** Outside the holes it holds the
    known pixels; inside, zeros for a plain inpaintor, or an estimate of the missing content:
    a progressive model gives stage *k* the result of stage *k-1* upsampled into the holes.
    The mask says which pixels are estimates. A generator must read the hole pixels it is
    given rather than zero them again, so that its output depends on the estimate
    (:func:`toolbox.testing.check_generator` and :func:`toolbox.testing.check_progressive`
    prove it for every registered generator). A generator that by design reads only the
    known pixels (classical diffusion-based inpainting) sets :attr:`uses_estimate` to False;
    a progressive model then refuses it for its later stages.
    """

    #: Whether the output depends on the hole content of ``masked_image`` (see above).
    uses_estimate: ClassVar[bool] = True
    #: Names of optional guidance inputs the generator accepts (keys of the data batch).
    #: Class attributes give the defaults; an instance may set its own (``sketch=True``).
    guidance: tuple[str, ...] = ()
    #: Height and width of inputs must be multiples of this.
    size_multiple: ClassVar[int] = 1
    #: Constructor keywords of a small instance, for contract tests and examples.
    tiny_cfg: ClassVar[dict[str, Any]] = {}
    #: False for methods without learned parameters (classical inpainting baselines):
    #: they are evaluated, never trained, and the contract tests skip the backward check.
    trainable: ClassVar[bool] = True
    #: Longest image side processed in one piece by :func:`toolbox.apis.inpaint`; larger
    #: images are handled piecewise (``None``: always whole).
    max_inference_side: ClassVar[int | None] = None
    #: ``(H, W)`` of a generator that runs at one size only (a fully connected bottleneck,
    #: Context Encoders); the inpaintor then resizes inputs to it at inference
    #: (:attr:`toolbox.models.BaseInpaintor.fixed_size`), and a progressive model refuses
    #: it. ``None``: any size (a multiple of :attr:`size_multiple`).
    fixed_size: ClassVar[tuple[int, int] | None] = None

    def forward(self, masked_image: Tensor, mask: Tensor, **guidance: Tensor) -> dict[str, Tensor]:
        raise NotImplementedError


class BaseDiscriminator(nn.Module):
    """A discriminator: ``forward(image, mask, **conditions) -> logits [B, ...]``.

    ``image`` is a real or composited image ``[B, 3, H, W]`` in ``[-1, 1]``, ``mask`` the hole
    mask ``[B, 1, H, W]``. Entries of :attr:`conditions` are passed by name from the batch
    (``'gt'``: the ground-truth image, as the semantic-aware PatchGAN needs; ``'sketch'``).
    """

    #: May be set per instance (a discriminator built with ``sketch=True`` adds 'sketch').
    conditions: tuple[str, ...] = ()
    size_multiple: ClassVar[int] = 1
    tiny_cfg: ClassVar[dict[str, Any]] = {}

    def forward(self, image: Tensor, mask: Tensor, **conditions: Tensor) -> Tensor:
        raise NotImplementedError

    def forward_with_features(self, image: Tensor, mask: Tensor,
                              **conditions: Tensor) -> tuple[Tensor, list[Tensor]]:
        """The logits and a list of intermediate feature maps, for feature-matching losses.

        Discriminators that support feature matching override this (``forward`` can then
        return its first element).
        """
        raise NotImplementedError(f'{type(self).__name__} exposes no intermediate features; '
                                  'a feature-matching loss needs a discriminator that '
                                  'implements forward_with_features')


class BaseLoss(nn.Module):
    """Base of all losses. ``loss_weight`` multiplies the generator-side term in the
    inpaintor; the loss itself returns the unweighted value so it can be checked by hand."""

    tiny_cfg: ClassVar[dict[str, Any]] = {}

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)


class BaseReconstructionLoss(BaseLoss):
    """``forward(pred, target, mask) -> scalar``, applied to each generator output named in
    ``outputs`` (e.g. ``('coarse', 'output')``). ``pred`` is the raw (not composited) output."""

    def __init__(self, loss_weight: float = 1.0, outputs: Sequence[str] = ('output',)) -> None:
        super().__init__(loss_weight)
        if isinstance(outputs, str):
            outputs = (outputs,)
        self.outputs = tuple(outputs)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        raise NotImplementedError


class BaseAdversarialLoss(BaseLoss):
    """A GAN objective. It computes its own terms from a discriminator it may call:

    * :meth:`discriminator_terms` ``(judge, real, fake, batch)``: the discriminator's
      named loss terms (summed by the inpaintor) and values to log;
    * :meth:`generator_terms` ``(judge, fake, real, batch)``: the generator's term.

    ``judge(image) -> logits`` is the discriminator in training, already conditioned on the
    batch; ``real`` is the ground truth ``[B, 3, H, W]``, ``fake`` the image the
    discriminator judges; ``batch`` holds at least ``'mask'`` ``[B, 1, H, W]`` (1 = hole).
    The defaults judge real and fake once and apply :meth:`discriminator_loss` and
    :meth:`generator_loss`; an objective that needs more (an R1 penalty on real images,
    the real logits in the generator's term, the mask) overrides the terms, so the
    inpaintor needs no knowledge of it. ``loss_weight`` applies to the generator's term
    only.

    :attr:`fake_first` makes the default :meth:`discriminator_terms` judge the fake batch
    before the real one. The order matters only for a discriminator whose forward pass
    changes it in training mode: spectral normalisation's power iteration runs once per
    forward, so the second batch is judged with the updated estimate (MMagic's trainers
    judge the fake batch first).
    """

    #: judge the fake batch before the real one in :meth:`discriminator_terms`
    fake_first: bool = False

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        raise NotImplementedError

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        raise NotImplementedError

    def discriminator_terms(self, judge: Callable[[Tensor], Tensor], real: Tensor,
                            fake: Tensor, batch: dict) -> tuple[dict[str, Tensor],
                                                                dict[str, Tensor]]:
        """``({'loss_d': ..., other terms}, {'d_real': ..., 'd_fake': ...})``; ``fake``
        arrives detached from the generator."""
        if self.fake_first:
            fake_logits = judge(fake)
            real_logits = judge(real)
        else:
            real_logits, fake_logits = judge(real), judge(fake)
        return ({'loss_d': self.discriminator_loss(real_logits, fake_logits)},
                _logit_log(real_logits, fake_logits))

    def generator_terms(self, judge: Callable[[Tensor], Tensor], fake: Tensor, real: Tensor,
                        batch: dict, fake_logits: Tensor | None = None) -> Tensor:
        """The generator's (unweighted) adversarial term. ``fake_logits``, when given, are
        ``judge(fake)`` already computed (with gradient) for feature matching."""
        return self.generator_loss(judge(fake) if fake_logits is None else fake_logits)

    def forward(self, fake_logits: Tensor) -> Tensor:
        return self.generator_loss(fake_logits)


def _logit_log(real_logits: Tensor, fake_logits: Tensor) -> dict[str, Tensor]:
    return {'d_real': real_logits.detach().mean(), 'd_fake': fake_logits.detach().mean()}


class BaseFeatureMatchingLoss(BaseLoss):
    """``forward(fake_features, real_features) -> scalar`` on the discriminator's
    intermediate feature maps (:meth:`BaseDiscriminator.forward_with_features`) for the
    composited output and the ground truth; the real features carry no gradient."""

    def forward(self, fake_features: list[Tensor], real_features: list[Tensor]) -> Tensor:
        raise NotImplementedError


class BaseMaskGenerator:
    """A mask recipe: ``gen(shape=(H, W), rng=numpy.random.Generator) -> uint8 (H, W)``.

    1 marks a hole. The result depends only on ``shape`` and the state of ``rng``, so the
    same seed gives the same masks. Subclasses implement :meth:`generate` and state the
    fraction of hole pixels they produce in :attr:`hole_ratio_range` (checked by the
    contract tests over many samples).
    """

    hole_ratio_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    #: The smallest (H, W) the recipe can draw at.
    min_shape: ClassVar[tuple[int, ...]] = (1, 1)
    tiny_cfg: ClassVar[dict[str, Any]] = {}
    #: The axes of the shape it draws: ``('H', 'W')``; a video recipe
    #: (:class:`toolbox.video.masks.BaseVideoMaskGenerator`) ``('T', 'H', 'W')``.
    axes: ClassVar[tuple[str, ...]] = ('H', 'W')

    def __call__(self, shape: Sequence[int], rng: np.random.Generator | None = None) -> np.ndarray:
        if len(shape) != len(self.axes) or any(int(s) != s or s <= 0 for s in shape):
            raise ValueError(f'{type(self).__name__}: shape must be ({", ".join(self.axes)}) '
                             f'with positive integers, got {tuple(shape)}')
        shape = tuple(int(s) for s in shape)
        if any(s < m for s, m in zip(shape, self.min_shape)):
            raise ValueError(f'{type(self).__name__}: shape {shape} is smaller than the '
                             f'smallest this mask type supports, {self.min_shape}')
        if rng is None:
            rng = np.random.default_rng()
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f'{type(self).__name__}: rng must be a numpy.random.Generator, '
                            f'got {type(rng).__name__}')
        mask = self.generate(shape, rng)
        if mask.dtype != np.uint8 or mask.shape != shape:
            raise RuntimeError(f'{type(self).__name__}.generate broke the contract: returned '
                               f'{mask.dtype} {mask.shape}, expected uint8 {shape}')
        return mask

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def generate_typed(self, shape: Sequence[int],
                       rng: np.random.Generator | None = None) -> tuple[np.ndarray, str]:
        """The mask and the name of the mask type that drew it, for per-type reports.

        A mixture of generators overrides this to name the child it chose.
        """
        return self(shape, rng), type(self).__name__

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'


class BaseStageScheduler:
    """Which stage of a progressive (multi-scale) model trains at a given iteration.

    Stages are numbered from 0. Subclasses implement :attr:`num_stages`,
    :meth:`stage_at`, :meth:`stage_start` and :meth:`stage_size`.
    """

    tiny_cfg: ClassVar[dict[str, Any]] = {}

    @property
    def num_stages(self) -> int:
        raise NotImplementedError

    @property
    def total_iters(self) -> int:
        raise NotImplementedError

    def stage_at(self, iteration: int) -> int:
        """The stage trained at 0-based ``iteration`` (the last stage after the schedule)."""
        raise NotImplementedError

    def stage_start(self, stage: int) -> int:
        """The first iteration of ``stage``."""
        raise NotImplementedError

    def stage_size(self, stage: int, full_size: Sequence[int]) -> tuple[int, int]:
        """The (H, W) that ``stage`` works at when the final size is ``full_size``."""
        raise NotImplementedError

    def frozen_stages(self, iteration: int) -> list[int]:
        """Stages whose parameters do not train at ``iteration``: all earlier ones."""
        return list(range(self.stage_at(iteration)))

    def is_boundary(self, iteration: int) -> bool:
        """Whether ``iteration`` is the first iteration of a stage after the first."""
        return any(self.stage_start(s) == iteration for s in range(1, self.num_stages))




# -- diffusion ---------------------------------------------------------------------------------

class BaseDenoiser(nn.Module):
    """A diffusion denoiser: ``forward(x_t, t) -> eps`` predicts the noise in ``x_t``.

    ``x_t`` is a noisy image ``[B, C, H, W]`` (``C`` = :attr:`in_channels`), ``t`` the
    training-step indices ``[B]`` (long, ``0 <= t < num_steps`` of the noise schedule it was
    trained with; a respaced sampler passes the original indices). Returns ``[B, C, H, W]``.
    """

    #: Channels of the images it denoises.
    in_channels: int = 3
    #: Height and width must be multiples of this (the UNet's downsampling).
    size_multiple: ClassVar[int] = 1
    tiny_cfg: ClassVar[dict[str, Any]] = {}

    def forward(self, x_t: Tensor, t: Tensor) -> Tensor:
        raise NotImplementedError


class BaseNoiseSchedule:
    """The forward (noising) process: variances ``beta_t`` for ``t = 0 .. num_steps - 1``
    (0-based: ``x_{t} ~ N(sqrt(1 - beta_t) x_{t-1}, beta_t I)``, ``x_{-1}`` the clean image).

    Subclasses implement :meth:`betas`; the rest follows from them. :meth:`respace` gives
    the process over fewer steps, as samplers use it.
    """

    tiny_cfg: ClassVar[dict[str, Any]] = {}

    @property
    def num_steps(self) -> int:
        return len(self.betas())

    def betas(self) -> Tensor:
        """``[num_steps]`` float64 in (0, 1)."""
        raise NotImplementedError

    def alphas_cumprod(self) -> Tensor:
        """``alpha_bar_t = prod_{s <= t} (1 - beta_s)``, ``[num_steps]`` float64."""
        return torch.cumprod(1.0 - self.betas(), 0)

    def respace(self, steps: int) -> tuple[Tensor, Tensor]:
        """``(timesteps, betas)`` of the process restricted to ``steps`` evenly spaced
        training steps (the first and the last included): ``timesteps`` ``[steps]`` long,
        increasing; ``betas`` ``[steps]`` float64 with the same ``alpha_bar`` at those
        steps (``beta'_i = 1 - alpha_bar[s_i] / alpha_bar[s_{i-1}]``)."""
        n = self.num_steps
        if not 1 <= int(steps) <= n:
            raise ValueError(f'{type(self).__name__}: cannot respace {n} steps to {steps}')
        steps = int(steps)
        # Positions accumulate the float stride, as guided diffusion's respacing does, so
        # the same steps are chosen as for the published models.
        stride = (n - 1) / (steps - 1) if steps > 1 else 1
        taken, position = [], 0.0
        for _ in range(steps):
            taken.append(round(position))
            position += stride
        timesteps = torch.tensor(taken, dtype=torch.long)
        abar = self.alphas_cumprod()[timesteps]
        previous = torch.cat([abar.new_ones(1), abar[:-1]])
        return timesteps, 1.0 - abar / previous


class BaseSampler:
    """Fills the holes of an image by running a denoiser backwards through a noise schedule.

    ``sample(denoise, image, mask, schedule, generator, **options)``:

    * ``denoise(x_t, t) -> eps``: the trained denoiser (``t``: training-step indices
      ``[B]``);
    * ``image`` ``[B, C, H, W]`` in [-1, 1] with known pixels where ``mask`` ``[B, 1, H, W]``
      is 0 (1 = hole);
    * ``schedule``: the :class:`BaseNoiseSchedule` the denoiser was trained with;
    * ``generator``: the ``torch.Generator`` all noise is drawn from (a seed gives the same
      result);
    * ``options``: overrides named in :attr:`sample_options` (e.g. ``steps``).

    Returns ``[B, C, H, W]``: the known pixels exactly as given, the holes sampled.
    """

    #: Keywords ``sample`` accepts as per-call overrides.
    sample_options: ClassVar[tuple[str, ...]] = ()
    tiny_cfg: ClassVar[dict[str, Any]] = {}

    def sample(self, denoise: Callable[[Tensor, Tensor], Tensor], image: Tensor, mask: Tensor,
               schedule: BaseNoiseSchedule, generator: torch.Generator,
               **options: Any) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'


# The importers of released checkpoints live with their reading helpers; their base is
# re-exported here beside the other kinds' bases.
from .converters import BaseWeightConverter  # noqa: E402
