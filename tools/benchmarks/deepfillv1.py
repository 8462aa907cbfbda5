"""DeepFill v1 speed on the CPU next to DeepFill v2 measured in the same run.

usage: python tools/benchmark.py deepfillv1 [--threads N] [--sizes 256 512] [--repeats R]
                                            [--no-train] [--train-size 256] [--train-batch 4]

Inference of ``DeepFillv1Generator()`` (cnum 32, the TF contextual attention) and of
``DeepFillv2Generator(cnum=48)``; one G+D training step of each with its configured losses:
v1 with the spatially discounted L1 and known-pixel L1 on both stages and WGAN-GP on the
local + global critics (``disc_steps=1`` here, so every step updates G as v2's does; the
paper's config has 5), v2 with L1 on both stages and the hinge loss. See
``tools/benchmarks/_versus_deepfill.py``.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import os.path as osp  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _versus_deepfill as versus  # noqa: E402


def generator(size: int):
    from toolbox.registry import GENERATORS
    return GENERATORS.build(dict(type='DeepFillv1Generator', cnum=32))


def model(size: int):
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='DeepFillv1Generator', cnum=32),
        discriminator=dict(type='DeepFillv1Critic', image_size=size, local_size=size // 2),
        losses=[dict(type='SpatiallyDiscountedL1Loss', outputs=('coarse', 'output')),
                dict(type='L1Loss', outputs=('coarse', 'output'), hole_weight=0.0),
                dict(type='WGANGPLoss', loss_weight=0.001)])).train()


def main(argv) -> int:
    args = versus.parse('benchmark.py deepfillv1', __doc__, argv)
    return versus.run('DeepFill v1', generator, model, args)
