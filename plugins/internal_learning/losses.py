"""The DIP-Vid-Flow losses of internal learning (Zhang et al., ICCV 2019, Sec. 3), all mean
squared errors over whole tensors (masked elements count as zeros in the mean, as in the
official code):

* image reconstruction on the known pixels (weight 1);
* flow reconstruction against the clip's own flow, outside the holes and where the
  forward-backward check passes (0.1);
* image-flow consistency: frame ``t + s`` (or ``t - s``) of the output brought onto frame
  ``t`` by the predicted flow and compared with it inside the hole of ``t`` united with the
  other frame's warped hole (1); the target frame is detached, so the loss moves the other
  frame and the flow;
* perceptual: VGG16 features ``relu1_2``, ``relu2_2``, ``relu3_3`` on the known pixels, the
  hole grown by each layer's receptive field (0.01).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from .flows import warp

__all__ = ['LOSS_WEIGHTS', 'image_loss', 'flow_loss', 'consistency_loss', 'feature_masks',
           'perceptual_loss']

#: the paper's (and DIP_Vid_Flow.py's) weights
LOSS_WEIGHTS = dict(recon_image=1.0, recon_flow=0.1, consistency=1.0, perceptual=0.01)


def image_loss(output: Tensor, frames: Tensor, holes: Tensor) -> Tensor:
    """MSE of ``output`` and ``frames`` ``[N, 3, H, W]`` on the known pixels (``holes``
    ``[N, 1, H, W]``, 1 = hole)."""
    known = 1 - holes
    return F.mse_loss(output * known, frames * known)


def flow_loss(predicted: Tensor, flow: Tensor, region: Tensor, ok: Tensor,
              scale: float) -> Tensor:
    """MSE of the ``predicted`` flow (``[N, 2, H, W]``, divided by ``scale``) and the clip's
    ``flow`` (pixels) where it is outside ``region`` and passes the check (``ok``)."""
    weight = (1 - region) * ok
    return F.mse_loss(predicted * weight, flow / scale * weight)


def consistency_loss(source: Tensor, target: Tensor, predicted: Tensor, region: Tensor,
                     scale: float) -> Tensor:
    """MSE of the output frames ``source`` brought onto ``target`` (``[N, 3, H, W]``) by the
    ``predicted`` flow times ``scale``, inside ``region`` and where the flow stays in the
    frame."""
    warped, inside = warp(source, predicted * scale)
    weight = region * inside.detach()
    return F.mse_loss(warped * weight, target.detach() * weight)


def feature_masks(vgg: nn.Module, holes: Tensor, layers) -> list[Tensor]:
    """The hole ``[N, 1, H, W]`` at each of ``layers`` (names of ``vgg``'s children), grown
    by the layers' receptive fields: a 3x3 convolution grows it by one pixel, a pooling
    takes the maximum. The official code gets the same by running the mask through a copy
    of VGG's layout with all-ones weights."""
    index = getattr(vgg, 'index', int)         # FrozenVGG maps layer names to indices
    masks, wanted = [], [str(index(n)) for n in layers]
    x = holes
    for name, module in vgg.named_children():
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0]
            x = F.max_pool2d(x, k, 1, k // 2)
        elif isinstance(module, nn.MaxPool2d):
            x = F.max_pool2d(x, module.kernel_size, module.stride)
        if name in wanted:
            masks.append((x > 0).to(holes.dtype))
        if len(masks) == len(wanted):
            break
    return masks


def perceptual_loss(vgg: nn.Module, output: Tensor, frames: Tensor, holes: Tensor,
                    layers) -> Tensor:
    """Sum over ``layers`` of the MSE of ``vgg``'s features of ``output`` and ``frames``
    (``[N, 3, H, W]`` in [0, 1]) on the known pixels of each feature map. ``vgg`` is
    :class:`toolbox.nn.FrozenVGG` (``forward(x in [-1, 1], layers)``)."""
    ours = vgg(output * 2 - 1, layers)
    theirs = vgg(frames * 2 - 1, layers)
    total = 0
    for a, b, hole in zip(ours, theirs, feature_masks(vgg, holes, layers)):
        known = 1 - hole
        total = total + F.mse_loss(a * known, b.detach() * known)
    return total
