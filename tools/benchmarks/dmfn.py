"""DMFN speed on the CPU next to DeepFill v2 measured in the same run.

usage: python tools/benchmark.py dmfn [--threads N] [--sizes 256 512] [--repeats R]
                                      [--no-train] [--train-size 256] [--train-batch 4]

Prints, batch 1, fp32, ``torch.inference_mode``:

* seconds per image of ``DMFNGenerator()`` (the paper's width, 8 DMFBs) and of
  ``DeepFillv2Generator(cnum=48)`` at each size, timed in the same rounds (one call of each
  per round, best of ``--repeats`` after a warm-up), their GFLOP (``torch.utils.
  flop_counter``) and the ratio DMFN / DeepFill;
* one G+D training step (``GANInpaintor.train_step``) of each model with its own configured
  losses: DMFN with L1, self-guided, VGG feature matching, alignment, discriminator feature
  matching and the GAN loss (VGG19 built with random weights: the timing does not depend
  on them), DeepFill v2 with L1 on both stages and the hinge GAN loss; same size and batch.

No assertions: figures only, as ratios against the baseline of the same run.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import os.path as osp  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _versus_deepfill as versus  # noqa: E402


def dmfn_model(size: int):
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='DMFNGenerator'),
        discriminator=dict(type='DMFNDiscriminator', image_size=size, local_size=size // 2),
        losses=[dict(type='L1Loss', hole_weight=1.0, valid_weight=0.0),
                dict(type='SelfGuidedRegressionLoss', loss_weight=25.0, pretrained=False),
                dict(type='VGGFeatureMatchingLoss', loss_weight=25.0, pretrained=False),
                dict(type='GeometricalAlignmentLoss', loss_weight=1.0, pretrained=False),
                dict(type='DMFNFeatureMatchingLoss', loss_weight=5.0),
                dict(type='NonSaturatingGANLoss', loss_weight=0.003)])).train()


def generator(size: int):
    from toolbox.registry import GENERATORS
    return GENERATORS.build(dict(type='DMFNGenerator'))


def main(argv) -> int:
    args = versus.parse('benchmark.py dmfn', __doc__, argv)
    return versus.run('DMFN', generator, dmfn_model, args)
