"""MMagic's own inpaintors, trained side by side with the toolbox's ``_mmagic`` configs.

MMagic's ``TwoStageInpaintor`` (DeepFill v2) and ``AOTInpaintor`` (AOT-GAN) are built as
its configs ``deepfillv2_8xb2_places-256x256.py`` and ``aot-gan_smpgan_4xb4_places-512x512.py``
build them, from a checkout (:mod:`toolbox.benchmarks.peers` imports its files), and
stepped through their own ``train_step`` with their own data preprocessor and Adam
optimisers. The toolbox's model is built from the matching ``_mmagic`` config and given
MMagic's initial weights through the registered converter (colour order kept: both sides
see the same RGB tensors), so both start equal.
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Callable, Mapping

import torch
from torch import Tensor

from .drivers import ToolboxTrainer

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class MMagicTrainer:
    """An MMagic inpaintor's ``train_step``. Batches arrive as the toolbox's (uint8 gt and
    mask) and are given to MMagic as its pipeline would: the masked image with holes at
    127.5 (``GetMaskedImage``), ``gt_img`` and ``mask`` in a ``DataSample``."""

    def __init__(self, model, optim, sample_cls, converter, ours,
                 terms: Callable[[Mapping[str, float]], dict[str, float]]) -> None:
        self.model, self.optim, self.sample = model.train(), optim, sample_cls
        self.converter, self.ours, self.terms = converter, ours, terms

    def step(self, batch: dict) -> dict[str, float]:
        gt, mask = batch['gt'].float(), batch['mask'].float()
        masked = gt * (1.0 - mask) + 127.5 * mask
        data = dict(inputs=list(masked),
                    data_samples=[self.sample(gt_img=g, mask=m) for g, m in zip(gt, mask)])
        log = self.model.train_step(data, self.optim)
        return self.terms({k: float(v) for k, v in log.items()})

    def parameters(self) -> dict[str, Tensor]:
        """MMagic's state under the toolbox's names (through the converter)."""
        return {k: v for k, v in self.converter.convert(self.model.state_dict(),
                                                        self.ours).items()
                if v.is_floating_point()}


def _build_ours(config: str, overrides: dict | None = None):
    from mmengine.config import Config

    from toolbox.plugins import load_plugins
    from toolbox.registry import MODELS
    load_plugins()
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    if overrides:
        cfg.merge_from_dict(overrides)
    model = MODELS.build(cfg.model)
    return model, cfg


def _optim(model, cfg):
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('toolbox'):
        return build_optim_wrapper(model, cfg.optim_wrapper)


def _load_converted(ours, theirs, fmt: str):
    from toolbox.registry import WEIGHT_CONVERTERS
    converter = WEIGHT_CONVERTERS.get(_converter_name(fmt))(channel_order='rgb')
    state = converter.convert(theirs.state_dict(), ours)
    missing = set(ours.state_dict()) - set(state)
    ours.load_state_dict(state, strict=False)
    return converter, sorted(missing)


def _converter_name(fmt: str) -> str:
    from toolbox.registry import WEIGHT_CONVERTERS
    for name, cls in WEIGHT_CONVERTERS.module_dict.items():
        if cls.format == fmt:
            return name
    raise KeyError(f'no weight converter of format {fmt!r}')


# -- DeepFill v2 --------------------------------------------------------------------------

def _deepfill_ours_terms(log: Mapping[str, float]) -> dict[str, float]:
    return {'l1_hole_coarse': log['loss_L1Loss_coarse'],
            'l1_valid_coarse': log['loss_L1Loss2_coarse'],
            'l1_hole_output': log['loss_L1Loss_output'],
            'l1_valid_output': log['loss_L1Loss2_output'],
            'g_adv': log['loss_g_adv'], 'loss_g': log['loss_g'], 'loss_d': log['loss_d']}


def _deepfill_mmagic_terms(log: Mapping[str, float]) -> dict[str, float]:
    # MMagic backpropagates D's real and fake terms one after the other; their sum is D's
    # loss. 'loss' is the sum of the generator's terms (the last parse_losses).
    return {'l1_hole_coarse': log['stage1_loss_l1_hole'],
            'l1_valid_coarse': log['stage1_loss_l1_valid'],
            'l1_hole_output': log['stage2_loss_l1_hole'],
            'l1_valid_output': log['stage2_loss_l1_valid'],
            'g_adv': log['stage2_loss_g_fake'], 'loss_g': log['loss'],
            'loss_d': log['real_loss'] + log['fake_loss']}


def deepfillv2_pair(checkout: str, seed: int = 0):
    """``(ours, theirs)``: the toolbox's ``configs/deepfillv2/places_256_mmagic.py`` and
    MMagic's ``TwoStageInpaintor``, with MMagic's initial weights (seeded) on both."""
    from toolbox.benchmarks import peers
    torch.manual_seed(seed)
    model, optim, sample = peers.mmagic_deepfillv2_inpaintor(checkout)
    ours, cfg = _build_ours('deepfillv2/places_256_mmagic.py')
    converter, missing = _load_converted(ours, model, 'mmagic-deepfillv2')
    _no_gaps(missing, 'DeepFill v2')
    return (ToolboxTrainer(ours, _optim(ours, cfg), _deepfill_ours_terms),
            MMagicTrainer(model, optim, sample, converter, ours, _deepfill_mmagic_terms))


def _no_gaps(missing: list[str], what: str) -> None:
    trained = [k for k in missing if not k.endswith('train_steps')]
    if trained:
        raise RuntimeError(f'{what}: the converter left {len(trained)} tensors of ours '
                           f'unset, e.g. {trained[:3]}')
