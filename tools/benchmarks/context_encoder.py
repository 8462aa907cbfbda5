"""Context Encoders speed on the CPU next to DeepFill v2 measured in the same run.

usage: python tools/benchmark.py context_encoder [--threads N] [--sizes 256 512]
                                 [--repeats R] [--no-train] [--train-size 256]
                                 [--train-batch 4]

Prints, batch 1, fp32, ``torch.inference_mode``: seconds per image of
``ContextEncoderGenerator(image_size=S)`` (the paper's width, channel-wise FC bottleneck:
the generator is built for each size, its FC grows with (S/32)^4) and of
``DeepFillv2Generator(cnum=48)``, timed in the same rounds (best of ``--repeats`` after a
warm-up), their GFLOP and the ratio; then one G+D training step
(``GANInpaintor.train_step``) of each with its own losses (Context Encoders: the
overlap-weighted L2 0.999 and the GAN loss 0.001, the discriminator on the 128² centre
crop at 256²). No assertions: figures only, as ratios against the baseline of the run.
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
    return GENERATORS.build(dict(type='ContextEncoderGenerator', image_size=size)).eval()


def model(size: int):
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='ContextEncoderGenerator', image_size=size),
        discriminator=dict(type='ContextEncoderDiscriminator', crop_size=size // 2),
        losses=[dict(type='OverlapL2Loss', loss_weight=0.999),
                dict(type='NonSaturatingGANLoss', loss_weight=0.001)],
        disc_input='output')).train()


def main(argv) -> int:
    args = versus.parse('benchmark.py context_encoder', __doc__, argv)
    return versus.run('CE', generator, model, args)
