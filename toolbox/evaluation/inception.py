"""The Inception-v3 variant that FID is defined with.

FID (Heusel et al., NeurIPS 2017) was defined with the TensorFlow Inception graph of
2015-12-05. pytorch-fid ported that graph's weights to a torchvision ``Inception3`` with
1008 classes (``pt_inception-2015-12-05-6726825d.pth``), with these differences from
torchvision's network, reproduced here on top of torchvision's blocks:

* the average pools of the A, C and first E blocks leave padding out of the average
  (``count_include_pad=False``);
* the last E block (``Mixed_7c``) pools its fourth branch with a max pool;
* the input is resized to 299x299 (bilinear) and scaled from [0, 1] to [-1, 1], without
  ImageNet normalisation; the feature is the 2048-d global average pool.

Imported only when an FID extractor is built (it imports torchvision).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models import inception as tv

__all__ = ['build_fid_inception', 'fid_inception_features']


class _BlockA(tv.InceptionA):
    def _forward(self, x: Tensor) -> list[Tensor]:
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        return [b1, b5, b3, self.branch_pool(pool)]


class _BlockC(tv.InceptionC):
    def _forward(self, x: Tensor) -> list[Tensor]:
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            d = layer(d)
        pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        return [b1, b7, d, self.branch_pool(pool)]


class _BlockE(tv.InceptionE):
    #: 'avg' (count_include_pad=False) for Mixed_7b, 'max' for Mixed_7c
    pool_kind = 'avg'

    def _forward(self, x: Tensor) -> list[Tensor]:
        b1 = self.branch1x1(x)
        t = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(t), self.branch3x3_2b(t)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        if self.pool_kind == 'max':
            pool = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        return [b1, b3, bd, self.branch_pool(pool)]


class _BlockEMax(_BlockE):
    pool_kind = 'max'


def build_fid_inception() -> nn.Module:
    """The FID Inception network with default (random) initialisation; its state-dict keys
    are those of ``pt_inception-2015-12-05-6726825d.pth``."""
    net = tv.Inception3(num_classes=1008, aux_logits=False, init_weights=False)
    net.Mixed_5b = _BlockA(192, pool_features=32)
    net.Mixed_5c = _BlockA(256, pool_features=64)
    net.Mixed_5d = _BlockA(288, pool_features=64)
    net.Mixed_6b = _BlockC(768, channels_7x7=128)
    net.Mixed_6c = _BlockC(768, channels_7x7=160)
    net.Mixed_6d = _BlockC(768, channels_7x7=160)
    net.Mixed_6e = _BlockC(768, channels_7x7=192)
    net.Mixed_7b = _BlockE(1280)
    net.Mixed_7c = _BlockEMax(2048)
    return net


def fid_inception_features(net: nn.Module, images: Tensor, resize: bool = True) -> Tensor:
    """2048-d pool features ``[B, 2048]`` of images ``[B, 3, H, W]`` in [0, 1]."""
    x = images
    if resize and tuple(x.shape[2:]) != (299, 299):
        x = F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False)
    x = 2 * x - 1
    for name in ('Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'maxpool1',
                 'Conv2d_3b_1x1', 'Conv2d_4a_3x3', 'maxpool2', 'Mixed_5b', 'Mixed_5c',
                 'Mixed_5d', 'Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e',
                 'Mixed_7a', 'Mixed_7b', 'Mixed_7c', 'avgpool'):
        x = getattr(net, name)(x)
    return x.flatten(1)
