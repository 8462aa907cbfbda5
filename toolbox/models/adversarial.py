"""The adversarial objective: one model's losses and the terms they give each network.

:class:`AdversarialObjective` holds a model's reconstruction losses, exactly one adversarial
loss (with a discriminator) and its feature-matching losses. It computes the
discriminator's terms and the generator's terms by calling the adversarial loss's own
:meth:`~toolbox.bases.BaseAdversarialLoss.discriminator_terms` and
:meth:`~toolbox.bases.BaseAdversarialLoss.generator_terms`, so an objective that needs more
than two logits (an R1 or gradient penalty, the real logits in the generator's term, the
hole mask) works in every model that trains with it. The concrete losses live in plugins;
the models (:class:`~toolbox.models.inpaintor.GANTraining`, EdgeConnect's two objectives)
only schedule the updates.

The non-saturating logistic terms and the R1 penalty are functions here, because several
plugins' losses share them (the plain non-saturating loss, LaMa's with R1).
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox.bases import (BaseAdversarialLoss, BaseFeatureMatchingLoss,
                           BaseReconstructionLoss)
from toolbox.builder import build_component
from toolbox.registry import LOSSES

from .distributed import unwrap

__all__ = ['AdversarialObjective', 'frozen', 'name_losses', 'targets_at', 'judge_of',
           'nonsaturating_generator_loss', 'nonsaturating_discriminator_loss', 'r1_penalty']


# -- shared GAN arithmetic ---------------------------------------------------------------------

def nonsaturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """``mean softplus(-D(fake))``: Goodfellow et al.'s non-saturating generator term."""
    return F.softplus(-fake_logits).mean()


def nonsaturating_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """``mean softplus(-D(real)) + mean softplus(D(fake))``: binary cross-entropy on logits."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def r1_penalty(real: Tensor, real_logits: Tensor) -> Tensor:
    """Mescheder et al.'s R1, unweighted: ``mean_b ||d D(x_b) / d x_b||^2`` over the batch.

    ``real`` must have been judged with ``requires_grad`` (the penalty differentiates the
    logits with respect to it); the result is differentiable (``create_graph``), so the
    penalty trains the discriminator.
    """
    if not real.requires_grad:
        raise ValueError('r1_penalty: the real image must require gradients (judge '
                         'real.detach().requires_grad_(True))')
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return grad.flatten(1).pow(2).sum(1).mean()


# -- helpers the models share ------------------------------------------------------------------

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


def name_losses(losses) -> list[str]:
    """Log names of ``losses``: the class name, numbered from the second of a class on
    (``L1Loss``, ``L1Loss2``)."""
    names, seen = [], {}
    for loss in losses:
        base = type(loss).__name__
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f'{base}{seen[base]}')
    return names


def targets_at(pred: Tensor, gt: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """``gt`` and ``mask`` at ``pred``'s size: a multi-scale generator's smaller outputs
    (DFNet's) are judged against the target resized to them (bilinear, no antialiasing,
    as DFNet's authors; the mask becomes soft at the hole's border)."""
    size = pred.shape[-2:]
    if gt.shape[-2:] == size:
        return gt, mask
    resize = lambda t: torch.nn.functional.interpolate(   # noqa: E731
        t.to(gt.dtype), size=size, mode='bilinear', align_corners=False)
    return resize(gt), resize(mask)


def _conditions(disc: nn.Module, batch: dict) -> dict[str, Tensor]:
    """The batch entries ``disc`` is conditioned on."""
    bare = unwrap(disc)
    names = getattr(bare, 'conditions', ())
    missing = [k for k in names if k not in batch]
    if missing:
        raise KeyError(f'{type(bare).__name__} is conditioned on {missing}, which '
                       f'the batch lacks (it has {sorted(batch)}); add them to the data '
                       'pipeline (e.g. a CannySketch transform for sketch)')
    return {k: batch[k] for k in names}


def judge_of(disc: nn.Module, batch: dict) -> Callable[[Tensor], Tensor]:
    """``image -> logits`` of ``disc`` conditioned on ``batch`` (its mask and conditions)."""
    conditions = _conditions(disc, batch)
    return lambda image: disc(image, batch['mask'], **conditions)


# -- the objective -----------------------------------------------------------------------------

class AdversarialObjective(nn.Module):
    """One generator's losses and the discriminator's: reconstruction losses, exactly one
    adversarial loss when there is a discriminator, and feature-matching losses.

    Args:
        losses: configs (or instances) of ``LOSSES`` entries.
        owner: the model's name, for error messages.
        where: the config key of ``losses``, for error messages (``'losses'``).
        has_discriminator: whether a discriminator trains with these losses; it requires
            exactly one adversarial loss, and without one neither adversarial nor
            feature-matching losses are allowed.
        reconstruction: whether reconstruction losses are allowed (an edge model's
            objective has none).
        disc_loss_scale: factor on the discriminator's main term ``loss_d`` (EdgeConnect
            halves it, ``(real + fake) / 2``, as its authors); penalty terms keep the
            weight their loss gives them.

    Log names: reconstruction terms ``loss_<Loss>_<output>``, feature-matching terms
    ``loss_<Loss>``, the generator's adversarial term ``loss_g_adv``, and the terms and
    logged values the adversarial loss returns for the discriminator (``loss_d``, ``d_real``,
    ``d_fake``, its penalties). State-dict keys: ``rec.<i>``, ``fm.<i>``, ``adv``.
    """

    def __init__(self, losses: Sequence[dict], *, owner: str, where: str = 'losses',
                 has_discriminator: bool = True, reconstruction: bool = True,
                 disc_loss_scale: float = 1.0) -> None:
        super().__init__()
        rec, adv, fm = [], [], []
        for i, cfg in enumerate(losses):
            loss = build_component(LOSSES, cfg, f'{where}[{i}]')
            if isinstance(loss, BaseReconstructionLoss) and reconstruction:
                rec.append(loss)
            elif isinstance(loss, BaseAdversarialLoss):
                adv.append(loss)
            elif isinstance(loss, BaseFeatureMatchingLoss):
                fm.append(loss)
            else:
                kinds = ('a reconstruction, an adversarial nor a feature-matching'
                         if reconstruction else 'an adversarial nor a feature-matching')
                raise TypeError(f'{where}[{i}]: {type(loss).__name__} is neither {kinds} loss')
        if has_discriminator and len(adv) != 1:
            raise ValueError(f'{owner}: with a discriminator, {where} must contain exactly '
                             f'one adversarial loss (found {len(adv)})')
        if not has_discriminator and adv:
            raise ValueError(f'{owner}: an adversarial loss is configured but no '
                             'discriminator')
        if fm and not has_discriminator:
            raise ValueError(f'{owner}: a feature-matching loss is configured but no '
                             'discriminator')
        if not rec and not adv:
            raise ValueError(f'{owner}: no losses configured')
        self.rec = nn.ModuleList(rec)
        self.fm = nn.ModuleList(fm)
        self.adv = adv[0] if adv else None
        self.rec_names, self.fm_names = name_losses(rec), name_losses(fm)
        self.disc_loss_scale = float(disc_loss_scale)

    def reconstruction_terms(self, outputs: dict[str, Tensor], gt: Tensor, mask: Tensor,
                             generator: str = 'the generator') -> dict[str, Tensor]:
        """Weighted ``loss_<Loss>_<output>`` of each reconstruction loss on each generator
        output it names; an output at another size is judged against the resized target."""
        terms = {}
        for name, loss in zip(self.rec_names, self.rec):
            for key in loss.outputs:
                if key not in outputs:
                    raise KeyError(f'loss {name} applies to generator output {key!r}, but '
                                   f'{generator} returns only {sorted(outputs)}')
                target, hole = targets_at(outputs[key], gt, mask)
                terms[f'loss_{name}_{key}'] = loss(outputs[key], target, hole) * loss.loss_weight
        return terms

    def discriminator_terms(self, disc: nn.Module, real: Tensor, fake: Tensor,
                            batch: dict) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """``(terms, log)`` of the adversarial loss for ``disc`` judging ``real`` against
        ``fake`` (detached here: the discriminator's update trains no generator)."""
        terms, log = self.adv.discriminator_terms(judge_of(disc, batch), real,
                                                  fake.detach(), batch)
        if self.disc_loss_scale != 1.0:
            terms = dict(terms, loss_d=terms['loss_d'] * self.disc_loss_scale)
        return terms, log

    def generator_terms(self, disc: nn.Module, fake: Tensor, real: Tensor,
                        batch: dict) -> dict[str, Tensor]:
        """The generator's weighted feature-matching (``loss_<Loss>``) and adversarial
        (``loss_g_adv``) terms on ``fake``. ``disc`` is frozen meanwhile, so the generator's
        backward writes no gradients into it (they would leak into its next update and
        break exact resumption)."""
        terms = {}
        with frozen(disc):
            fake_logits = None
            if len(self.fm):
                bare, cond = unwrap(disc), _conditions(disc, batch)
                fake_logits, fake_feats = bare.forward_with_features(fake, batch['mask'],
                                                                     **cond)
                with torch.no_grad():
                    _, real_feats = bare.forward_with_features(real, batch['mask'], **cond)
                for name, loss in zip(self.fm_names, self.fm):
                    terms[f'loss_{name}'] = loss(fake_feats, real_feats) * loss.loss_weight
            g_adv = self.adv.generator_terms(judge_of(disc, batch), fake, real, batch,
                                             fake_logits=fake_logits)
        terms['loss_g_adv'] = g_adv * self.adv.loss_weight
        return terms
