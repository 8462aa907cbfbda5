"""The ``_mmagic`` configs carry the training choices that make their step MMagic's
(measured by ``toolbox compare-training``, docs/training-parity.md), and the paper
configs keep the authors'."""
from __future__ import annotations

import os.path as osp

from mmengine.config import Config

CONFIGS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')


def betas(cfg):
    return {k: tuple(cfg.optim_wrapper[k].optimizer.betas) for k in ('generator',
                                                                      'discriminator')}


def test_deepfillv2_mmagic_trains_as_mmagic():
    cfg = Config.fromfile(osp.join(CONFIGS, 'deepfillv2/places_256_mmagic.py'))
    assert betas(cfg) == {'generator': (0.9, 0.999), 'discriminator': (0.9, 0.999)}
    l1 = [loss for loss in cfg.model.losses if loss.type == 'L1Loss']
    assert [(x.hole_weight, x.valid_weight, x.normalize) for x in l1] == \
        [(1.0, 0.0, 'region'), (0.0, 1.0, 'region')]
    gan = [loss for loss in cfg.model.losses if loss.type == 'HingeGANLoss']
    assert gan[0].fake_first and gan[0].loss_weight == 0.1
    paper = Config.fromfile(osp.join(CONFIGS, 'deepfillv2/places_256.py'))
    assert betas(paper)['generator'] == (0.5, 0.999)


def test_aotgan_mmagic_uses_mmagics_adam_betas():
    cfg = Config.fromfile(osp.join(CONFIGS, 'aotgan/places_512_mmagic.py'))
    assert betas(cfg) == {'generator': (0.0, 0.9), 'discriminator': (0.0, 0.9)}
    paper = Config.fromfile(osp.join(CONFIGS, 'aotgan/places_512.py'))
    assert betas(paper)['generator'] == (0.5, 0.999)
