"""The component kinds that plugins contribute, written out once.

This module imports nothing of the toolbox, so that every other module (the registries,
the base classes, the contract checks, the CLI) can read it without an import circle.
Adding a kind means one row here, a registry in :mod:`toolbox.registry`, a base class in
:mod:`toolbox.bases` and a contract check in :mod:`toolbox.testing`; a test checks that
the four agree.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ['Kind', 'KINDS', 'kind']


@dataclass(frozen=True)
class Kind:
    """A kind of component that plugins contribute.

    ``key`` names it everywhere (``toolbox list KEY``, ``KIND_REGISTRIES[KEY]``,
    ``toolbox.testing.components(KEY)``); ``constant`` is its registry's name in
    :mod:`toolbox.registry` and :mod:`toolbox`; ``name`` is how messages call one entry;
    ``base`` is the class in :mod:`toolbox.bases` every entry derives from; ``check`` is
    the contract check in :mod:`toolbox.testing` run on every registered entry.
    """
    key: str
    constant: str
    name: str
    base: str
    check: str
    doc: str


#: Every component kind, once.
KINDS: tuple[Kind, ...] = (
    Kind('generators', 'GENERATORS', 'generator', 'BaseGenerator', 'check_generator',
         'Inpainting generators ``(masked_image, mask, **guidance) -> dict``.'),
    Kind('discriminators', 'DISCRIMINATORS', 'discriminator', 'BaseDiscriminator',
         'check_discriminator', 'Discriminators ``(image, mask, **conditions) -> logits``.'),
    Kind('losses', 'LOSSES', 'loss', 'BaseLoss', 'check_loss',
         'Losses: reconstruction (``BaseReconstructionLoss``), adversarial '
         '(``BaseAdversarialLoss``) or feature-matching (``BaseFeatureMatchingLoss``).'),
    Kind('mask_generators', 'MASK_GENERATORS', 'mask generator', 'BaseMaskGenerator',
         'check_mask_generator', 'Mask recipes ``(shape, rng) -> uint8 (H, W)``, 1 = hole.'),
    Kind('stage_schedulers', 'STAGE_SCHEDULERS', 'stage scheduler', 'BaseStageScheduler',
         'check_stage_scheduler',
         'Stage schedulers of progressive models: which stage trains at which iteration, '
         'at which size.'),
    Kind('denoisers', 'DENOISERS', 'denoiser', 'BaseDenoiser', 'check_denoiser',
         'Diffusion denoisers ``(x_t, t) -> predicted noise``.'),
    Kind('noise_schedules', 'NOISE_SCHEDULES', 'noise schedule', 'BaseNoiseSchedule',
         'check_noise_schedule',
         'Forward-process noise schedules (the variances beta_t), with respacing.'),
    Kind('samplers', 'SAMPLERS', 'sampler', 'BaseSampler', 'check_sampler',
         'Samplers that fill the holes by running a denoiser backwards through a noise '
         "schedule (e.g. RePaint's resampling)."),
    Kind('weight_converters', 'WEIGHT_CONVERTERS', 'weight converter', 'BaseWeightConverter',
         'check_weight_converter',
         "Importers of other projects' released checkpoints, looked up by their ``format`` "
         'by :func:`toolbox.apis.convert_weights` and ``tools/convert_weights.py``.'),
)


def kind(key: str) -> Kind:
    """The kind named ``key`` (``'generators'`` ...); a KeyError names the known keys."""
    for k in KINDS:
        if k.key == key:
            return k
    raise KeyError(f'no component kind {key!r} (kinds: {", ".join(k.key for k in KINDS)})')
