"""Partial Convolutions speed on the CPU next to DeepFill v2 measured in the same run.

usage: python tools/benchmark.py pconv [--threads N] [--sizes 256 512] [--repeats R]
                                       [--no-train] [--train-size 256] [--train-batch 4]

Inference of ``PConvUNet`` at the paper's depth for each size (7 layers at 256², 8 at 512²)
and of ``DeepFillv2Generator(cnum=48)``; one training step of each: PConv (no
discriminator: a G step) with the paper's loss (L1 valid 1 / hole 6, VGG-16 perceptual and
style terms built with random weights, the timing does not depend on them, and TV), v2 G+D
with L1 and the hinge loss. See ``tools/benchmarks/_versus_deepfill.py``.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import os.path as osp  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _versus_deepfill as versus  # noqa: E402


def _layers(size: int) -> int:
    return 8 if size >= 512 else 7


def generator(size: int):
    from toolbox.registry import GENERATORS
    return GENERATORS.build(dict(type='PConvUNet', layer_size=_layers(size)))


def model(size: int):
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='PConvUNet', layer_size=_layers(size)),
        losses=[dict(type='L1Loss', hole_weight=6.0, valid_weight=1.0),
                dict(type='PConvPerceptualLoss', loss_weight=0.05, pretrained=False),
                dict(type='PConvStyleLoss', loss_weight=120.0, pretrained=False),
                dict(type='DilatedHoleTVLoss', loss_weight=0.1)])).train()


def main(argv) -> int:
    args = versus.parse('benchmark.py pconv', __doc__, argv)
    return versus.run('PConv', generator, model, args)
