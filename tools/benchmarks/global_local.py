"""Global&Local speed on the CPU next to DeepFill v2 measured in the same run.

usage: python tools/benchmark.py global_local [--threads N] [--sizes 256 512]
                                 [--repeats R] [--no-train] [--train-size 256]
                                 [--train-batch 4]

As the Context Encoders benchmark: ``GlobalLocalGenerator()`` (Table 1, 6.07 M
parameters) and ``DeepFillv2Generator(cnum=48)`` at each size, then one joint-phase
G+D step (MSE on the hole + 0.0004 GAN loss; the global discriminator on the image, the
local one on the 128² patch around the hole). Poisson blending is not timed.
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
    return GENERATORS.build(dict(type='GlobalLocalGenerator')).eval()


def model(size: int):
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='GlobalLocalGenerator'),
        discriminator=dict(type='GlobalLocalDiscriminator', image_size=size,
                           local_size=size // 2),
        losses=[dict(type='MSELoss', hole_weight=1.0, valid_weight=0.0),
                dict(type='NonSaturatingGANLoss', loss_weight=0.0004)])).train()


def main(argv) -> int:
    args = versus.parse('benchmark.py global_local', __doc__, argv)
    return versus.run('G&L', generator, model, args)
