"""DFNet speed on the CPU next to DeepFill v2 measured in the same run.

usage: python tools/benchmark.py dfnet [--threads N] [--sizes 256 512] [--repeats R]
                                       [--no-train] [--train-size 256] [--train-batch 4]

As ``aotgan``: inference of ``DFNetGenerator()`` (the authors' network; 256 is the
smallest size it runs at) and ``DeepFillv2Generator(cnum=48)``, then one training step.
DFNet has no discriminator: its step is the generator's, with the authors' multi-scale
L1, perceptual, style and TV losses (VGG19 random weights), against DeepFill v2's G+D step.

No assertions: figures only, as ratios against the baseline of the same run.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import os.path as osp  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _versus_deepfill as versus  # noqa: E402


def dfnet_model():
    from toolbox.registry import MODELS
    structure = ('output', 'output_s2', 'output_s4', 'output_s8', 'output_s16', 'output_s32')
    texture, layers = structure[:3], ('relu1_2', 'relu2_2', 'relu3_4')
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='DFNetGenerator'),
        losses=[dict(type='L1Loss', outputs=structure),
                dict(type='VGGFeatureMatchingLoss', outputs=texture, loss_weight=0.1 / 3,
                     composite=False, layers=layers, layer_weights=(1.0,) * 3,
                     pretrained=False),
                dict(type='StyleLoss', outputs=texture, loss_weight=80.0, region='all',
                     layers=layers, pretrained=False),
                dict(type='TotalVariationLoss', outputs=texture, loss_weight=0.1 / 3)])).train()


def generator(size: int):
    from toolbox.registry import GENERATORS
    return GENERATORS.build(dict(type='DFNetGenerator'))


def main(argv) -> int:
    args = versus.parse('benchmark.py dfnet', __doc__, argv)
    return versus.run('DFNet', generator, lambda size: dfnet_model(), args)
