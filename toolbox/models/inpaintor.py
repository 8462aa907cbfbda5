"""The GAN inpaintor: one generator (one- or multi-stage), an optional discriminator, losses.

A coarse-to-fine generator needs no separate inpaintor: it returns more named outputs
(``{'coarse': ..., 'output': ...}``) and each reconstruction loss names the outputs it
applies to.
"""
from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor, nn

from toolbox.bases import (BaseAdversarialLoss, BaseDiscriminator, BaseFeatureMatchingLoss,
                           BaseGenerator,
                           BaseReconstructionLoss, check_image_and_mask)
from toolbox.builder import build_component
from toolbox.registry import DISCRIMINATORS, GENERATORS, LOSSES, MODELS


class NonFiniteLossError(FloatingPointError):
    """A loss term became NaN or infinite; the message names the iteration and the term."""


def _bare(module: nn.Module | None) -> nn.Module | None:
    """The module itself when a distributed wrapper (which hides its attributes) holds it."""
    return module.module if module is not None and is_model_wrapper(module) else module


@contextlib.contextmanager
def frozen(module: nn.Module):
    """Switch off ``requires_grad`` inside the block, restoring each parameter's own flag
    afterwards (a pretrained sub-network that was frozen stays frozen)."""
    flags = [(p, p.requires_grad) for p in module.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


def composite(output: Tensor, image: Tensor, mask: Tensor) -> Tensor:
    """Known pixels from ``image``, holes (mask = 1) from ``output``."""
    return output * mask + image * (1.0 - mask)


@MODELS.register_module()
class GANInpaintor(BaseModel):
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
        nonfinite: what a NaN or infinite loss does: ``'raise'`` stops training with
            :class:`NonFiniteLossError` naming the iteration and the loss term (checkpoints
            saved so far stay as they are); ``'skip'`` skips that update with a warning.
        max_consecutive_skips: with ``nonfinite='skip'``, training stops with
            :class:`NonFiniteLossError` once this many iterations in a row had an update
            skipped: a model that diverged for good is not trained on for nothing.
        data_preprocessor: config of the data preprocessor.
        init_cfg: mmengine weight-initialisation config.
    """

    def __init__(self,
                 generator: dict | BaseGenerator,
                 discriminator: dict | BaseDiscriminator | None = None,
                 losses: Sequence[dict] = (),
                 disc_steps: int = 1,
                 disc_input: str = 'composite',
                 nonfinite: str = 'raise',
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None,
                 max_consecutive_skips: int = 10) -> None:
        preprocessor = build_component(
            MODELS, data_preprocessor or dict(type='InpaintingDataPreprocessor'),
            'data_preprocessor')
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        if int(disc_steps) < 1:
            raise ValueError(f'GANInpaintor: disc_steps must be >= 1, got {disc_steps}')
        self.disc_steps = int(disc_steps)
        if disc_input not in ('composite', 'output'):
            raise ValueError(f"GANInpaintor: disc_input must be 'composite' or 'output', got "
                             f'{disc_input!r}')
        self.disc_input = disc_input
        if nonfinite not in ('raise', 'skip'):
            raise ValueError(f"GANInpaintor: nonfinite must be 'raise' or 'skip', got {nonfinite!r}")
        self.nonfinite = nonfinite
        if int(max_consecutive_skips) < 1:
            raise ValueError('GANInpaintor: max_consecutive_skips must be >= 1, got '
                             f'{max_consecutive_skips}')
        self.max_consecutive_skips = int(max_consecutive_skips)
        self._skips = (-2, 0)   # (last iteration with a skipped update, run length)
        self.generator = build_component(GENERATORS, generator, 'generator')
        self.discriminator = build_component(DISCRIMINATORS, discriminator, 'discriminator')

        rec, adv, fm = [], [], []
        for i, cfg in enumerate(losses):
            loss = build_component(LOSSES, cfg, f'losses[{i}]')
            if isinstance(loss, BaseReconstructionLoss):
                rec.append(loss)
            elif isinstance(loss, BaseAdversarialLoss):
                adv.append(loss)
            elif isinstance(loss, BaseFeatureMatchingLoss):
                fm.append(loss)
            else:
                raise TypeError(f'losses[{i}]: {type(loss).__name__} is neither a '
                                'reconstruction, an adversarial nor a feature-matching loss')
        if self.discriminator is not None and len(adv) != 1:
            raise ValueError('GANInpaintor: with a discriminator, losses must contain exactly '
                             f'one adversarial loss (found {len(adv)})')
        if self.discriminator is None and adv:
            raise ValueError('GANInpaintor: an adversarial loss is configured but no '
                             'discriminator')
        if fm and self.discriminator is None:
            raise ValueError('GANInpaintor: a feature-matching loss is configured but no '
                             'discriminator')
        if not rec and not adv:
            raise ValueError('GANInpaintor: no losses configured')
        self.rec_losses = nn.ModuleList(rec)
        self.fm_losses = nn.ModuleList(fm)
        self._fm_names = self._name_losses(fm)
        self.adv_loss = adv[0] if adv else None
        self._loss_names = self._name_losses(rec)
        # Counts training steps; a buffer, so it is saved in checkpoints and a resumed run
        # keeps the discriminator/generator alternation in phase.
        self.register_buffer('train_steps', torch.zeros((), dtype=torch.long))
        #: the last training batch's images, for the visualisation hook
        self.last_train_vis: dict[str, Tensor] | None = None

    @staticmethod
    def _name_losses(losses) -> list[str]:
        names, seen = [], {}
        for loss in losses:
            base = type(loss).__name__
            seen[base] = seen.get(base, 0) + 1
            names.append(base if seen[base] == 1 else f'{base}{seen[base]}')
        return names

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

    def inpaint(self, image: Tensor, mask: Tensor, **guidance: Tensor) -> Tensor:
        """Composited result for ``image`` [B, 3, H, W] in [-1, 1] and ``mask`` [B, 1, H, W]."""
        batch = dict(gt=image, mask=mask, **guidance)
        return composite(self.run_generator(batch)['output'], image, mask)

    def forward(self, inputs=None, data_samples=None, mode: str = 'tensor', **kwargs):
        batch = inputs if isinstance(inputs, dict) else dict(kwargs)
        if mode == 'tensor':
            outputs = self.run_generator(batch)
            # Image outputs are composited; others (an attention map) pass through.
            return {k: composite(v, batch['gt'], batch['mask'])
                    if v.ndim == 4 and v.shape[1:] == batch['gt'].shape[1:] else v
                    for k, v in outputs.items()}
        if mode == 'predict':
            return self._predict(batch)
        if mode == 'loss':
            return self._reconstruction_losses(batch, self.run_generator(batch))
        raise ValueError(f'GANInpaintor.forward: unknown mode {mode!r}')

    def _predict(self, batch: dict) -> list[dict]:
        output = self.inpaint(batch['gt'], batch['mask'],
                              **{k: batch[k] for k in self.guidance_keys if k in batch})
        pred01 = ((output.clamp(-1, 1) + 1) / 2).float().cpu()   # [B, 3, H, W] in [0, 1]
        gt01 = ((batch['gt'] + 1) / 2).float().cpu()
        mask = batch['mask'].float().cpu()
        samples = batch.get('data_samples') or [{} for _ in range(len(pred01))]
        return [dict(sample, pred=pred01[i], gt=gt01[i], mask=mask[i])
                for i, sample in enumerate(samples)]

    def val_step(self, data) -> list[dict]:
        with torch.no_grad():
            return self._predict(self.data_preprocessor(data, False))

    def test_step(self, data) -> list[dict]:
        return self.val_step(data)

    # -- training --------------------------------------------------------------------------
    def _reconstruction_losses(self, batch: dict, outputs: dict[str, Tensor]) -> dict:
        losses = {}
        for name, loss in zip(self._loss_names, self.rec_losses):
            for key in loss.outputs:
                if key not in outputs:
                    raise KeyError(f'loss {name} applies to generator output {key!r}, but '
                                   f'{type(_bare(self.generator)).__name__} returns only '
                                   f'{sorted(outputs)}')
                value = loss(outputs[key], batch['gt'], batch['mask'])
                losses[f'loss_{name}_{key}'] = value * loss.loss_weight
        return losses

    @property
    def size_multiple(self) -> int:
        """Input height and width must be multiples of this."""
        return _bare(self.generator).size_multiple

    @property
    def max_inference_side(self) -> int | None:
        return getattr(_bare(self.generator), 'max_inference_side', None)

    @property
    def guidance_keys(self) -> tuple[str, ...]:
        """Batch entries passed to the generator as guidance (e.g. 'sketch')."""
        return tuple(_bare(self.generator).guidance)

    # -- extension points for multi-stage inpaintors ---------------------------------------
    def training_outputs(self, batch: dict) -> tuple[dict[str, Tensor], dict]:
        """Generator outputs to train on, and the batch (targets, mask) they are judged
        against. A progressive inpaintor returns the current stage's outputs and the batch
        resized to that stage."""
        return self.run_generator(batch), batch

    @property
    def active_discriminator(self) -> nn.Module | None:
        """The discriminator trained at this step."""
        return self.discriminator

    def _conditions(self, batch: dict) -> dict[str, Tensor]:
        """The batch entries the active discriminator is conditioned on."""
        disc = _bare(self.active_discriminator)
        missing = [k for k in disc.conditions if k not in batch]
        if missing:
            raise KeyError(f'{type(disc).__name__} is conditioned on {missing}, which '
                           f'the batch lacks (it has {sorted(batch)}); add them to the data '
                           'pipeline (e.g. a CannySketch transform for sketch)')
        return {k: batch[k] for k in disc.conditions}

    def _disc(self, image: Tensor, batch: dict) -> Tensor:
        return self.active_discriminator(image, batch['mask'], **self._conditions(batch))

    def _disc_features(self, image: Tensor, batch: dict) -> tuple[Tensor, list[Tensor]]:
        disc = _bare(self.active_discriminator)
        return disc.forward_with_features(image, batch['mask'], **self._conditions(batch))

    def _finite(self, terms: dict[str, Tensor], optim: OptimWrapper) -> bool:
        """False (after zeroing the gradients) if a term is not finite and the config says
        skip; raises if it says raise."""
        bad = [(k, float(v.detach())) for k, v in terms.items() if not torch.isfinite(v).all()]
        if not bad:
            return True
        where = (f'iteration {int(self.train_steps) - 1}: loss term {bad[0][0]} is '
                 f'{bad[0][1]}' + (f' (also {", ".join(k for k, _ in bad[1:])})' if bad[1:] else ''))
        if self.nonfinite == 'raise':
            raise NonFiniteLossError(where + "; training stopped (set model.nonfinite='skip' "
                                     'to skip such updates instead)')
        it = int(self.train_steps) - 1
        last, run = self._skips
        run = run if it == last else run + 1 if it == last + 1 else 1
        self._skips = (it, run)
        if run >= self.max_consecutive_skips:
            raise NonFiniteLossError(
                f'{where}; training stopped: {run} iterations in a row had an update skipped '
                f'(model.max_consecutive_skips={self.max_consecutive_skips})')
        from mmengine.logging import print_log
        print_log(where + '; update skipped', logger='current', level=30)
        optim.zero_grad()
        return False

    def train_step(self, data, optim_wrapper: OptimWrapper | OptimWrapperDict) -> dict:
        batch = self.data_preprocessor(data, True)
        if isinstance(optim_wrapper, OptimWrapperDict):
            g_optim = optim_wrapper['generator']
            d_optim = optim_wrapper['discriminator'] if self.discriminator is not None else None
        else:
            if self.discriminator is not None:
                raise TypeError('GANInpaintor with a discriminator needs one optimizer per '
                                "sub-module: optim_wrapper=dict(constructor="
                                "'MultiOptimWrapperConstructor', generator=..., discriminator=...)")
            g_optim, d_optim = optim_wrapper, None
        update_g = int(self.train_steps) % self.disc_steps == 0
        self.train_steps += 1
        log: dict[str, Tensor] = {}

        with g_optim.optim_context(self.generator), torch.set_grad_enabled(update_g):
            outputs, batch = self.training_outputs(batch)
        gt, mask = batch['gt'], batch['mask']
        fake = composite(outputs['output'], gt, mask)
        judged = fake if self.disc_input == 'composite' else outputs['output']
        disc = self.active_discriminator
        # adversarial losses that weigh patches by the hole mask get it
        adv_kw = {'mask': mask} if self.adv_loss is not None and self.adv_loss.takes_mask else {}

        if disc is not None:
            with d_optim.optim_context(disc):
                penalize = self.adv_loss.penalizes_real
                real = gt.detach().requires_grad_(True) if penalize else gt
                real_logits = self._disc(real, batch)
                fake_logits = self._disc(judged.detach(), batch)
                loss_d = self.adv_loss.discriminator_loss(real_logits, fake_logits, **adv_kw)
                d_terms = {'loss_d': loss_d}
                if penalize:
                    penalty = self.adv_loss.real_penalty(real, real_logits)
                    log['loss_d_penalty'] = penalty.detach()
                    d_terms['loss_d_penalty'] = penalty
                    loss_d = loss_d + penalty
            if self._finite(d_terms, d_optim):
                d_optim.update_params(loss_d)
            log.update(loss_d=loss_d.detach(), d_real=real_logits.detach().mean(),
                       d_fake=fake_logits.detach().mean())

        if update_g:
            with g_optim.optim_context(self.generator):
                losses = self._reconstruction_losses(batch, outputs)
                if disc is not None:
                    # Frozen so the generator's backward writes no gradients into D, which
                    # would leak into D's next step (and break exact resumption).
                    with frozen(disc):
                        real_logits = None
                        if self.fm_losses:
                            fake_logits, fake_feats = self._disc_features(judged, batch)
                            with torch.no_grad():
                                real_logits, real_feats = self._disc_features(gt, batch)
                            for name, loss in zip(self._fm_names, self.fm_losses):
                                losses[f'loss_{name}'] = (loss(fake_feats, real_feats)
                                                          * loss.loss_weight)
                        else:
                            fake_logits = self._disc(judged, batch)
                        if self.adv_loss.generator_needs_real:
                            if real_logits is None:
                                with torch.no_grad():
                                    real_logits = self._disc(gt, batch)
                            g_adv = self.adv_loss.generator_loss(fake_logits, real_logits,
                                                                 **adv_kw)
                        else:
                            g_adv = self.adv_loss.generator_loss(fake_logits, **adv_kw)
                    losses['loss_g_adv'] = g_adv * self.adv_loss.loss_weight
                loss_g, g_log = self.parse_losses(losses)
            if self._finite(losses, g_optim):
                g_optim.update_params(loss_g)
            log.update({k: v for k, v in g_log.items() if k != 'loss'})
            log['loss_g'] = loss_g.detach()

        self.last_train_vis = dict(gt=gt[:4].detach().cpu(), mask=mask[:4].detach().cpu(),
                                   output=fake[:4].detach().cpu())
        return {k: float(v.detach()) for k, v in log.items()}
