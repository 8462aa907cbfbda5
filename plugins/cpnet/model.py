"""CPNet as a toolbox video model: the released inference protocol behind ``inpaint`` and the
paper's training (which the official release lacks) behind ``train_step``."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from toolbox.nn.vgg import shared_vgg
from toolbox.registry import MODELS
from toolbox.video.models import BaseVideoInpaintor

from .losses import (alignment_loss, hole_loss, perceptual_and_style, random_affine,
                     random_boxes, total_variation_loss, valid_loss)
from .networks import CopyPasteNet, pad_to_multiple
from .protocol import complete_clip

__all__ = ['CPNetInpaintor', 'PAPER_LOSS_WEIGHTS']

#: The loss weights (README.md says which come from the paper and which were chosen here);
#: ``synthetic_align`` weighs the alignment loss on random affine pairs.
PAPER_LOSS_WEIGHTS = dict(align=2.0, hole=10.0, valid=20.0, perceptual=0.01, style=24.0,
                          tv=0.1, synthetic_align=2.0)


def _crop(x: Tensor, pad: tuple) -> Tensor:
    h, w = x.shape[-2:]
    return x[..., pad[2]:h - pad[3], pad[0]:w - pad[1]]


@MODELS.register_module()
class CPNetInpaintor(BaseVideoInpaintor):
    """Copy-and-Paste Networks (Lee et al., ICCV 2019).

    Args:
        base_channels, align_size, align_corners, fix_reference_hole: the network's
            (:class:`~.networks.CopyPasteNet`); the defaults are the released model.
        radius, step: references of a frame are every ``step``-th frame within ``radius``
            (2 and 120 in the release; :func:`~.protocol.reference_indices`).
        loss_weights: overrides of :data:`PAPER_LOSS_WEIGHTS`; a weight of 0 skips its term.
        vgg: the :func:`toolbox.nn.vgg.shared_vgg` arguments of the perceptual and style
            losses (VGG16 pool1-pool3 by default); ``pretrained=False`` only in tests.
        affine: ranges of the random affine warps of the alignment pairs
            (:func:`~.losses.random_affine`).

    Training: a batch of clips ``[B, T, 3, H, W]``; the middle frame is the target and the
    other frames its references. Besides the inpainting losses on the target, the alignment
    network learns from the aligned real references and from pairs made by warping the
    target with a random affine transform and cutting random holes into both (the
    self-supervised alignment training of the paper).
    """

    tiny_cfg = dict(base_channels=4, align_size=32, vgg=dict(pretrained=False))

    def __init__(self, base_channels: int = 64, align_size: int = 224,
                 align_corners: bool = True, fix_reference_hole: bool = False,
                 radius: int = 120, step: int = 2, loss_weights: dict | None = None,
                 vgg: dict | None = None, affine: dict | None = None,
                 data_preprocessor=None, init_cfg=None) -> None:
        super().__init__(data_preprocessor, init_cfg)
        if radius < 1 or step < 1:
            raise ValueError(f'CPNetInpaintor: radius and step must be >= 1, got {radius} '
                             f'and {step}')
        unknown = sorted(set(loss_weights or {}) - set(PAPER_LOSS_WEIGHTS))
        if unknown:
            raise ValueError(f'CPNetInpaintor: unknown loss weight(s) {unknown}; the terms '
                             f'are {sorted(PAPER_LOSS_WEIGHTS)}')
        self.net = CopyPasteNet(base_channels, align_size, align_corners, fix_reference_hole)
        self.radius, self.step = int(radius), int(step)
        self.loss_weights = {**PAPER_LOSS_WEIGHTS, **(loss_weights or {})}
        self.vgg_cfg = {'arch': 'vgg16', 'layers': ('pool1', 'pool2', 'pool3'), **(vgg or {})}
        self.affine_cfg = dict(affine or {})

    # -- inference -------------------------------------------------------------------------
    def inpaint(self, video: Tensor, masks: Tensor, **options: Any) -> Tensor:
        self.check_inputs(video, masks)
        self.split_options(options)
        holes = (masks > 0.5).to(video)
        # the network sees [0, 1] frames with the holes zeroed: the result does not depend
        # on what the input holds there
        frames = (video + 1) / 2 * (1 - holes)
        with torch.no_grad():
            out = complete_clip(self.net, frames, holes, self.radius, self.step)
        return torch.where(masks > 0.5, out * 2 - 1, video)

    # -- training --------------------------------------------------------------------------
    def _vgg(self, device):
        # shared and outside the state dict: neither trained nor checkpointed
        return shared_vgg(**self.vgg_cfg).to(device)

    def losses(self, clip: Tensor, holes: Tensor) -> tuple[dict[str, Tensor], Tensor]:
        """The weighted loss terms and the completed target frame for ``clip``
        ``[B, T, 3, H, W]`` in [0, 1] with ``holes`` ``[B, T, 1, H, W]``."""
        t = clip.shape[1]
        if t < 2:
            raise ValueError(f'CPNetInpaintor: training needs clips of >= 2 frames (a target '
                             f'and references), got T={t}')
        w = self.loss_weights
        target = t // 2
        refs = [i for i in range(t) if i != target]
        inputs = clip * (1 - holes)
        gt, hole = clip[:, target], holes[:, target]
        feats = torch.stack([self.net.encode(inputs[:, i], holes[:, i]) for i in refs], 2)
        comp, d = self.net.complete(feats, inputs[:, refs].transpose(1, 2),
                                    holes[:, refs].transpose(1, 2), inputs[:, target], hole,
                                    gt, details=True)
        pred = _crop(d['pred'], d['pad'])
        raw_comp = pred * hole + gt * (1 - hole)        # unclamped, so gradients pass
        terms: dict[str, Tensor] = {}
        terms['hole'] = w['hole'] * hole_loss(pred, gt, hole)
        terms['valid'] = w['valid'] * valid_loss(pred, gt, hole)
        if w['perceptual'] or w['style']:
            perceptual, style = perceptual_and_style(self._vgg(clip.device), [pred, raw_comp],
                                                     gt)
            terms['perceptual'] = w['perceptual'] * perceptual
            terms['style'] = w['style'] * style
        terms['tv'] = w['tv'] * total_variation_loss(raw_comp, hole)
        terms['align'] = w['align'] * alignment_loss(
            gt, hole, _crop(d['aligned'], d['pad']), _crop(d['visible'], d['pad']))
        if w['synthetic_align']:
            terms['synthetic_align'] = w['synthetic_align'] * self.synthetic_alignment_loss(gt)
        return terms, comp

    def synthetic_alignment_loss(self, frames: Tensor,
                                 generator: torch.Generator | None = None) -> Tensor:
        """The alignment loss on pairs made from real ``frames`` ``[B, 3, H, W]`` in [0, 1]:
        the reference is the frame under a random affine warp; both get a random box hole,
        the reference also loses what the warp brought in from outside the frame."""
        b, _, h, w = frames.shape
        theta = random_affine(b, generator=generator, **self.affine_cfg).to(frames)
        ref = self.net.warp(theta, frames)
        outside = self.net.warp(theta, torch.ones_like(frames[:, :1])) < 0.999
        ref_hole = torch.maximum(random_boxes(b, h, w, generator=generator).to(frames),
                                 outside.to(frames))
        target_hole = random_boxes(b, h, w, generator=generator).to(frames)
        ref_in, target_in = ref * (1 - ref_hole), frames * (1 - target_hole)
        (ref_in_p, ref_hole_p), pad = pad_to_multiple([ref_in, ref_hole], 8)
        aligned, visible, _ = self.net.align(self.net.encode(target_in, target_hole),
                                             self.net.encode(ref_in, ref_hole), ref_in_p,
                                             ref_hole_p)
        return alignment_loss(frames, target_hole, _crop(aligned, pad).unsqueeze(2),
                              _crop(visible, pad).unsqueeze(2))

    def train_step(self, data, optim_wrapper) -> dict[str, float]:
        batch = self.data_preprocessor(data, True)
        clip, holes = (batch['gt'] + 1) / 2, batch['mask']
        with optim_wrapper.optim_context(self):
            terms, comp = self.losses(clip, holes)
            total = sum(terms.values())
        optim_wrapper.update_params(total)
        target = clip.shape[1] // 2
        n = min(4, clip.shape[0])
        self.last_train_vis = dict(gt=batch['gt'][:n, target].detach().cpu(),
                                   mask=holes[:n, target].detach().cpu(),
                                   output=(comp[:n] * 2 - 1).detach().cpu())
        log = {f'loss_{k}': float(v.detach()) for k, v in terms.items()}
        log['loss'] = float(total.detach())
        return log
