"""AOT-GAN speed on the CPU next to DeepFill v2 measured in the same run.

usage: python tools/benchmark.py aotgan [--threads N] [--sizes 256 512] [--repeats R]
                                        [--no-train] [--train-size 256] [--train-batch 4]

Prints, batch 1, fp32, ``torch.inference_mode``: seconds per image of
``AOTGANGenerator()`` (the authors' width, 8 AOT blocks) and of
``DeepFillv2Generator(cnum=48)`` at each size, timed in the same rounds (best of
``--repeats`` after a warm-up), their GFLOP and the ratio; then one G+D training step
(``GANInpaintor.train_step``) of each: AOT-GAN with L1, style, perceptual (VGG19 with
random weights: the timing does not depend on them) and SM-PatchGAN against its SN
PatchGAN, DeepFill v2 with L1 on both stages and the hinge loss; same size and batch.

No assertions: figures only, as ratios against the baseline of the same run.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import os.path as osp  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _versus_deepfill as versus  # noqa: E402


def aotgan_model():
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='AOTGANGenerator'),
        discriminator=dict(type='AOTGANDiscriminator'),
        losses=[dict(type='L1Loss'),
                dict(type='StyleLoss', loss_weight=250.0, region='all', pretrained=False),
                dict(type='VGGFeatureMatchingLoss', loss_weight=0.1, composite=False,
                     layer_weights=(1.0,) * 5, pretrained=False),
                dict(type='SoftMaskGANLoss', loss_weight=0.01)])).train()


def generator(size: int):
    from toolbox.registry import GENERATORS
    return GENERATORS.build(dict(type='AOTGANGenerator'))


def main(argv) -> int:
    args = versus.parse('benchmark.py aotgan', __doc__, argv)
    return versus.run('AOT-GAN', generator, lambda size: aotgan_model(), args)
