"""The GAN inpaintor: one generator (one- or multi-stage), an optional discriminator, losses;
and :class:`GANTraining`, the schedule of the adversarial training step it shares with its
peers (the progressive inpaintor trains one stage's generator and discriminator with it);
the losses' terms come from :class:`~toolbox.models.adversarial.AdversarialObjective`.

A coarse-to-fine generator needs no separate inpaintor: it returns more named outputs
(``{'coarse': ..., 'output': ...}``) and each reconstruction loss names the outputs it
applies to.
"""
from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor, nn

from toolbox.bases import (BaseAdversarialLoss, BaseDiscriminator, BaseGenerator,
                           check_image_and_mask)
from toolbox.builder import build_component
from toolbox.registry import DISCRIMINATORS, GENERATORS, MODELS

# frozen, name_losses and targets_at were defined here; importers of this module keep them
from .adversarial import AdversarialObjective, frozen, name_losses, targets_at  # noqa: F401
from .base import BaseInpaintor
from .distributed import unwrap
from .nonfinite import NonFiniteGuard


_bare = unwrap


@contextlib.contextmanager
def evaluating(module: nn.Module):
    """Eval mode inside the block (batch norms use and keep their running statistics,
    dropout is off), restoring each sub-module's own mode afterwards."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, mode in modes:
            m.training = mode


def composite(output: Tensor, image: Tensor, mask: Tensor) -> Tensor:
    """Known pixels from ``image``, holes (mask = 1) from ``output``."""
    return output * mask + image * (1.0 - mask)


class GANTraining:
    """The GAN training schedule, shared by inpaintors (a mixin of a :class:`BaseInpaintor`).

    It decides what trains at each step and nothing else: the phases
    (:meth:`phase_at`), the ``disc_steps`` alternation, and the :class:`NonFiniteGuard`
    around every update. The losses and the terms they give each network are the
    :class:`~toolbox.models.adversarial.AdversarialObjective`'s (:attr:`objective`), which
    lets the adversarial loss compute its own terms, so no objective needs a special case
    here.

    The model says which generator and discriminator train at a step
    (:meth:`trained_modules`) and what the generator produces (:meth:`training_outputs`);
    :meth:`begin_step` is where it changes itself before a step (a progressive model
    freezes its earlier stages and warm-starts a new one). A ``train_steps`` buffer (saved
    in checkpoints) counts the steps taken; each step reads it once, so a resumed run keeps
    the alternation in phase and a progressive model its stage.
    """

    def _init_gan(self, has_discriminator: bool, losses: Sequence[dict], disc_steps: int,
                  disc_input: str, nonfinite: str, max_consecutive_skips: int = 10,
                  phase_iters: dict | None = None,
                  update_order: str = 'discriminator_first') -> None:
        name = type(self).__name__
        if update_order not in ('discriminator_first', 'generator_first'):
            raise ValueError(f"{name}: update_order must be 'discriminator_first' or "
                             f"'generator_first', got {update_order!r}")
        self.update_order = update_order
        self.nonfinite = NonFiniteGuard(name, nonfinite, max_consecutive_skips)
        self.phase_iters = self._check_phases(name, phase_iters, has_discriminator)
        if int(disc_steps) < 1:
            raise ValueError(f'{name}: disc_steps must be >= 1, got {disc_steps}')
        self.disc_steps = int(disc_steps)
        if disc_input not in ('composite', 'output'):
            raise ValueError(f"{name}: disc_input must be 'composite' or 'output', got "
                             f'{disc_input!r}')
        self.disc_input = disc_input
        self.objective = AdversarialObjective(losses, owner=name,
                                              has_discriminator=has_discriminator)
        self.register_buffer('train_steps', torch.zeros((), dtype=torch.long))
        self._register_load_state_dict_pre_hook(_objective_keys, with_module=False)

    # The objective's losses under their former names (a test and user code read them).
    @property
    def rec_losses(self) -> nn.ModuleList:
        return self.objective.rec

    @property
    def fm_losses(self) -> nn.ModuleList:
        return self.objective.fm

    @property
    def adv_loss(self) -> BaseAdversarialLoss | None:
        return self.objective.adv

    @classmethod
    def _check_phases(cls, name: str, phase_iters: dict | None,
                      has_discriminator: bool) -> dict[str, int]:
        phase_iters = dict(phase_iters or {})
        unknown = sorted(set(phase_iters) - {'generator', 'discriminator'})
        if unknown:
            raise ValueError(f"{name}: phase_iters keys must be 'generator' and/or "
                             f"'discriminator', got {unknown}")
        for key, value in phase_iters.items():
            if int(value) != value or value < 0:
                raise ValueError(f'{name}: phase_iters[{key!r}] must be a whole number >= 0, '
                                 f'got {value!r}')
        if phase_iters.get('discriminator') and not has_discriminator:
            raise ValueError(f'{name}: phase_iters has a discriminator phase but there is '
                             'no discriminator')
        return {k: int(phase_iters.get(k, 0)) for k in ('generator', 'discriminator')}

    def phase_at(self, step: int) -> str:
        """The phase of 0-based training ``step``: ``'generator'`` (reconstruction losses
        only, the discriminator untouched) for the first ``phase_iters['generator']`` steps,
        then ``'discriminator'`` (the discriminator only, the generator fixed) for
        ``phase_iters['discriminator']`` steps, then ``'joint'`` (Iizuka et al.'s three
        phases; without ``phase_iters`` every step is joint)."""
        g, d = self.phase_iters['generator'], self.phase_iters['discriminator']
        return 'generator' if step < g else 'discriminator' if step < g + d else 'joint'

    def updates_at(self, step: int) -> tuple[bool, bool]:
        """``(discriminator, generator)``: which of the two 0-based ``step`` updates. The
        ``disc_steps`` alternation counts from the start of the joint phase."""
        phase = self.phase_at(step)
        joint_step = step - sum(self.phase_iters.values())
        return (phase != 'generator',
                phase == 'generator' or (phase == 'joint' and joint_step % self.disc_steps == 0))

    # -- what the model provides -----------------------------------------------------------
    def begin_step(self, step: int) -> None:
        """Called once before 0-based training ``step`` (``train_steps`` before it is
        counted up): a model that changes itself between steps (freezing, warm starts)
        does it here. The default does nothing."""

    def trained_modules(self, step: int | None = None) -> tuple[nn.Module, nn.Module | None]:
        """The generator and the discriminator (or None) that ``step`` (default: the next
        one) trains. A query: it changes nothing."""
        raise NotImplementedError

    def training_outputs(self, batch: dict, step: int) -> tuple[dict[str, Tensor], dict]:
        """Generator outputs of ``step`` to train on, and the batch (targets, mask) they are
        judged against (a progressive model: the step's stage's, at that stage's size)."""
        raise NotImplementedError

    # -- losses ----------------------------------------------------------------------------
    def _reconstruction_losses(self, batch: dict, outputs: dict[str, Tensor]) -> dict:
        generator = type(_bare(self.trained_modules()[0])).__name__
        return self.objective.reconstruction_terms(outputs, batch['gt'], batch['mask'],
                                                   generator)

    # -- the two updates -------------------------------------------------------------------
    def _optimizers(self, optim_wrapper, has_discriminator: bool):
        if isinstance(optim_wrapper, OptimWrapperDict):
            return (optim_wrapper['generator'],
                    optim_wrapper['discriminator'] if has_discriminator else None)
        if has_discriminator:
            raise TypeError(f'{type(self).__name__} with a discriminator needs one optimizer '
                            "per sub-module: optim_wrapper=dict(constructor="
                            "'MultiOptimWrapperConstructor', generator=..., discriminator=...)")
        return optim_wrapper, None

    def discriminator_step(self, disc: nn.Module, batch: dict, judged: Tensor,
                           optim: OptimWrapper, step: int) -> dict[str, Tensor]:
        """One update of ``disc`` on real ``batch['gt']`` against the fake ``judged``."""
        with optim.optim_context(disc):
            terms, log = self.objective.discriminator_terms(disc, batch['gt'], judged, batch)
            loss_d = sum(terms.values())
        self.nonfinite.update(loss_d, terms, [optim], step, model=self)
        return {**{k: v.detach() for k, v in terms.items() if k != 'loss_d'},
                'loss_d': loss_d.detach(), **log}

    def generator_step(self, generator: nn.Module, disc: nn.Module | None, batch: dict,
                       outputs: dict[str, Tensor], judged: Tensor,
                       optim: OptimWrapper, step: int) -> dict[str, Tensor]:
        """One update of ``generator`` from its ``outputs``: reconstruction losses, and with
        ``disc`` the adversarial and feature-matching terms on the fake ``judged``."""
        with optim.optim_context(generator):
            losses = self.objective.reconstruction_terms(
                outputs, batch['gt'], batch['mask'], type(_bare(generator)).__name__)
            if disc is not None:
                losses.update(self.objective.generator_terms(disc, judged, batch['gt'], batch))
            loss_g, g_log = self.parse_losses(losses)
        self.nonfinite.update(loss_g, losses, [optim], step, model=self)
        return {**{k: v for k, v in g_log.items() if k != 'loss'}, 'loss_g': loss_g.detach()}

    def fake_and_judged(self, outputs: dict[str, Tensor], batch: dict) -> tuple[Tensor, Tensor]:
        """The composite (the output in the holes, the input elsewhere) and the fake image
        the discriminator sees (``disc_input``: the composite or the raw output)."""
        fake = composite(outputs['output'], batch['gt'], batch['mask'])
        return fake, fake if self.disc_input == 'composite' else outputs['output']

    def train_step(self, data, optim_wrapper: OptimWrapper | OptimWrapperDict) -> dict:
        batch = self.data_preprocessor(data, True)
        step = int(self.train_steps)              # the one read of the counter this step
        self.begin_step(step)
        generator, disc = self.trained_modules(step)
        g_optim, d_optim = self._optimizers(optim_wrapper, disc is not None)
        update_d, update_g = self.updates_at(step)
        if not update_d:
            disc = None
        self.train_steps += 1

        # In the discriminator phase the generator is a fixed function: run in train mode
        # it would still move its batch-norm statistics, i.e. change the network.
        fixed_g = (evaluating(generator) if self.phase_at(step) == 'discriminator'
                   else contextlib.nullcontext())
        source = batch
        with g_optim.optim_context(generator), torch.set_grad_enabled(update_g), fixed_g:
            outputs, batch = self.training_outputs(batch, step)
        fake, judged = self.fake_and_judged(outputs, batch)
        log: dict[str, Tensor] = {}
        if self.update_order == 'generator_first' and disc is not None and update_g:
            log.update(self.generator_step(generator, disc, batch, outputs, judged, g_optim,
                                           step))
            # LaMa's order (PyTorch Lightning 1.x, two optimisers): the discriminator's
            # update runs the updated generator again, in train mode (its batch-norm
            # statistics move a second time), and judges that output.
            with torch.no_grad():
                again, batch = self.training_outputs(source, step)
            fake, judged = self.fake_and_judged(again, batch)
            log.update(self.discriminator_step(disc, batch, judged, d_optim, step))
        else:
            if disc is not None:
                log.update(self.discriminator_step(disc, batch, judged, d_optim, step))
            if update_g:
                log.update(self.generator_step(generator, disc, batch, outputs, judged,
                                               g_optim, step))
        self.last_train_vis = dict(gt=batch['gt'][:4].detach().cpu(),
                                   mask=batch['mask'][:4].detach().cpu(),
                                   output=fake[:4].detach().cpu())
        return {k: float(v.detach()) for k, v in log.items()}


#: checkpoint keys of the losses before they moved into ``objective``
_LEGACY_LOSS_KEYS = (('rec_losses.', 'objective.rec.'), ('fm_losses.', 'objective.fm.'),
                     ('adv_loss.', 'objective.adv.'))


def _objective_keys(state_dict, prefix, *args) -> None:
    """Loads checkpoints written before the losses moved into ``objective``."""
    for old, new in _LEGACY_LOSS_KEYS:
        for key in [k for k in state_dict if k.startswith(prefix + old)]:
            state_dict[prefix + new + key[len(prefix + old):]] = state_dict.pop(key)


@MODELS.register_module()
class GANInpaintor(GANTraining, BaseInpaintor):
    """Trains ``generator`` with reconstruction losses and, optionally, a discriminator.

    Args:
        generator: config (or instance) of a ``GENERATORS`` entry.
        discriminator: config of a ``DISCRIMINATORS`` entry; ``None`` trains without GAN.
        losses: configs of ``LOSSES`` entries. Reconstruction losses apply to the outputs
            they name (``outputs=('coarse', 'output')``); exactly one adversarial loss is
            required when there is a discriminator, and none otherwise; feature-matching
            losses compare the discriminator's features of output and ground truth.
        disc_steps: discriminator updates per generator update. The discriminator is
            updated every iteration, the generator every ``disc_steps``-th.
        disc_input: the fake image the discriminator (and feature matching) sees:
            ``'composite'`` (the output in the holes, the input elsewhere; DeepFill) or
            ``'output'`` (the generator's raw output everywhere; LaMa, whose adversarial
            loss then treats the known region as real, see ``mask_as_fake_target``).
        nonfinite: what a NaN or infinite loss term or gradient does (gradients are
            checked after the backward pass, before the optimiser step; a loss scaler's
            own overflow handling is left alone): ``'raise'`` stops training with
            :class:`NonFiniteLossError` naming the iteration and the loss term or parameter
            (checkpoints saved so far stay as they are); ``'skip'`` skips that update (no
            step: weights and optimiser state unchanged) with a warning.
        max_consecutive_skips: with ``nonfinite='skip'``, training stops with
            :class:`NonFiniteLossError` once this many iterations in a row had an update
            skipped: a model that diverged for good is not trained on for nothing.
        phase_iters: a phase schedule (:meth:`GANTraining.phase_at`), e.g.
            ``dict(generator=90000, discriminator=10000)``: that many steps of the
            generator with its reconstruction losses only, then of the discriminator only,
            then joint training. ``None``: joint from the start.
        update_order: ``'discriminator_first'`` (default): the discriminator is updated on
            the output of the generator before its update, then the generator; one
            generator forward per step. ``'generator_first'``: the generator is updated
            first, then runs again (in train mode, without gradients) and the
            discriminator is updated on that output: LaMa's step, as PyTorch Lightning 1.x
            steps a module with two optimisers (docs/training-parity.md).
        data_preprocessor: config of the data preprocessor.
        init_cfg: mmengine weight-initialisation config.
    """

    optim_modules = ('generator', 'discriminator')
    tiny_cfg = dict(
        generator=dict(type='EncoderDecoderGenerator', base_channels=4, num_downsamples=2),
        discriminator=dict(type='PatchDiscriminator', base_channels=4, num_layers=1),
        losses=[dict(type='L1Loss'), dict(type='HingeGANLoss', loss_weight=0.1)])

    def __init__(self,
                 generator: dict | BaseGenerator,
                 discriminator: dict | BaseDiscriminator | None = None,
                 losses: Sequence[dict] = (),
                 disc_steps: int = 1,
                 disc_input: str = 'composite',
                 nonfinite: str = 'raise',
                 phase_iters: dict | None = None,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None,
                 max_consecutive_skips: int = 10,
                 update_order: str = 'discriminator_first') -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.generator = build_component(GENERATORS, generator, 'generator')
        self.discriminator = build_component(DISCRIMINATORS, discriminator, 'discriminator')
        self._init_gan(self.discriminator is not None, losses, disc_steps, disc_input,
                       nonfinite, max_consecutive_skips, phase_iters, update_order)

    def trained_modules(self, step: int | None = None) -> tuple[nn.Module, nn.Module | None]:
        return self.generator, self.discriminator

    def training_outputs(self, batch: dict, step: int) -> tuple[dict[str, Tensor], dict]:
        return self.run_generator(batch), batch

    # -- inference -------------------------------------------------------------------------
    def run_generator(self, batch: dict) -> dict[str, Tensor]:
        """Generator outputs (not composited) for a preprocessed batch."""
        gt, mask = batch['gt'], batch['mask']
        generator = _bare(self.generator)
        check_image_and_mask(gt, mask, where=type(generator).__name__,
                             multiple=generator.size_multiple)
        masked = gt * (1.0 - mask)
        guidance = {k: batch[k] for k in self.guidance_keys if k in batch}
        outputs = self.generator(masked, mask, **guidance)
        if not isinstance(outputs, dict) or 'output' not in outputs:
            raise TypeError(f'{type(generator).__name__}.forward must return a dict with '
                            f"the final prediction under 'output', got {type(outputs).__name__}")
        return outputs

    #: ``blend='poisson'``: Poisson-blend the output into the known pixels
    #: (:func:`toolbox.models.blending.poisson_blend`) instead of pasting it.
    sample_options = ('blend',)

    def inpaint(self, image: Tensor, mask: Tensor, **options) -> Tensor:
        """Composited result for ``image`` [B, 3, H, W] in [-1, 1] and ``mask`` [B, 1, H, W]
        (``blend='poisson'``: Poisson-blended instead, as Iizuka et al. post-process)."""
        guidance, sampler = self.split_options(options)
        blend = sampler.get('blend')
        if blend not in (None, 'paste', 'poisson'):
            raise ValueError(f"{type(self).__name__}.inpaint: blend must be 'paste' or "
                             f"'poisson', got {blend!r}")
        batch = dict(gt=image, mask=mask, **guidance)
        output = self.run_generator(batch)['output']
        if blend == 'poisson':
            from .blending import poisson_blend
            return poisson_blend(output, image, mask)
        return composite(output, image, mask)

    def forward(self, inputs=None, data_samples=None, mode: str = 'tensor', **kwargs):
        batch = inputs if isinstance(inputs, dict) else dict(kwargs)
        if mode == 'tensor':
            outputs = self.run_generator(batch)
            # Image outputs are composited; others (an attention map) pass through.
            return {k: composite(v, batch['gt'], batch['mask'])
                    if v.ndim == 4 and v.shape[1:] == batch['gt'].shape[1:] else v
                    for k, v in outputs.items()}
        if mode == 'predict':
            return self.predict(batch)
        if mode == 'loss':
            return self._reconstruction_losses(batch, self.run_generator(batch))
        raise ValueError(f'GANInpaintor.forward: unknown mode {mode!r}')

    @property
    def size_multiple(self) -> int:
        """Input height and width must be multiples of this."""
        return _bare(self.generator).size_multiple

    @property
    def max_inference_side(self) -> int | None:
        return getattr(_bare(self.generator), 'max_inference_side', None)

    @property
    def fixed_size(self) -> tuple[int, int] | None:
        """A generator that runs at one size only (a fully connected bottleneck) says so."""
        return getattr(_bare(self.generator), 'fixed_size', None)

    @property
    def guidance_keys(self) -> tuple[str, ...]:
        """Batch entries passed to the generator as guidance (e.g. 'sketch')."""
        return tuple(_bare(self.generator).guidance)
