"""The Copy-and-Paste network (Lee et al., ICCV 2019): alignment encoder and regressor, copy
encoder, context matching and paste decoder, with the released forward pass.

Frames here are in ``[0, 1]`` (the official code's range; the model converts from the
toolbox's ``[-1, 1]``), holes are 1 inside the hole. ``base_channels=64`` and
``align_size=224`` are the paper's network; smaller values only serve tests and CPU demos.

The official regressor builds ``conv6a``/``conv6b`` but its forward runs ``conv5a``/``conv5b``
a second time instead. Their weights are kept here as *buffers* (``unused_conv6a_weight``
...): they travel with a checkpoint, so the state dict holds exactly the official tensors and
the converter has a place for them, but they are not parameters, so an optimizer never sees
them, every parameter gets a gradient and DDP's unused-parameter check holds.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox.nn.vgg import IMAGENET_MEAN, IMAGENET_STD

__all__ = ['AlignmentEncoder', 'AlignmentRegressor', 'CopyEncoder', 'PasteDecoder',
           'context_matching', 'masked_softmax', 'pad_to_multiple', 'CopyPasteNet']


def _conv(cin: int, cout: int, k: int = 3, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, stride, padding=dilation * (k // 2), dilation=dilation)


def _he_init(module: nn.Module) -> None:
    # the official init_He: Kaiming normal (fan_out) on the weights, PyTorch's default biases
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')


class _Normalised(nn.Module):
    """Holds ImageNet's mean and std as non-persistent buffers: constants of the method, not
    weights (the official code saves them in its state dict; the converter drops them)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), False)


class AlignmentEncoder(_Normalised):
    """ImageNet-normalised RGB + hole map, resized to ``align_size``², to
    ``4 * base_channels`` features at ``align_size / 8`` (256 x 28 x 28 in the paper)."""

    def __init__(self, base_channels: int = 64, align_size: int = 224) -> None:
        super().__init__()
        c = base_channels
        self.align_size = int(align_size)
        self.conv12 = _conv(4, c, 5, 2)
        self.conv2 = _conv(c, c)
        self.conv23 = _conv(c, 2 * c, 3, 2)
        self.conv3 = _conv(2 * c, 2 * c)
        self.conv34 = _conv(2 * c, 4 * c, 3, 2)
        self.conv4a = _conv(4 * c, 4 * c)
        self.conv4b = _conv(4 * c, 4 * c)
        _he_init(self)

    def forward(self, frame: Tensor, hole: Tensor) -> Tensor:
        x = torch.cat([(frame - self.mean) / self.std, hole], 1)
        x = F.interpolate(x, size=(self.align_size, self.align_size), mode='bilinear',
                          align_corners=False)
        for conv in (self.conv12, self.conv2, self.conv23, self.conv3, self.conv34,
                     self.conv4a, self.conv4b):
            x = F.relu(conv(x))
        return x


class AlignmentRegressor(nn.Module):
    """Target and reference features to an affine matrix ``[B, 2, 3]``, starting at the
    identity (zero weights and bias [1, 0, 0, 0, 1, 0] in the last layer).

    The released forward: conv45, conv5a, conv5b, conv56, then conv5a and conv5b again
    (not conv6a/conv6b, which are built but never called: kept as buffers, see the module).
    """

    def __init__(self, base_channels: int = 64) -> None:
        super().__init__()
        c = 8 * base_channels
        self.conv45 = _conv(c, c, 3, 2)
        self.conv5a = _conv(c, c)
        self.conv5b = _conv(c, c)
        self.conv56 = _conv(c, c, 3, 2)
        _he_init(self)
        for name in ('conv6a', 'conv6b'):
            self.register_buffer(f'unused_{name}_weight', torch.zeros(c, c, 3, 3))
            self.register_buffer(f'unused_{name}_bias', torch.zeros(c))
        self.fc = nn.Linear(c, 6)
        nn.init.zeros_(self.fc.weight)
        with torch.no_grad():
            self.fc.bias.copy_(torch.tensor([1., 0., 0., 0., 1., 0.]))

    def forward(self, target_feat: Tensor, ref_feat: Tensor) -> Tensor:
        x = torch.cat([target_feat, ref_feat], 1)
        for conv in (self.conv45, self.conv5a, self.conv5b, self.conv56, self.conv5a,
                     self.conv5b):
            x = F.relu(conv(x))
        x = F.avg_pool2d(x, x.shape[2]).flatten(1)
        return self.fc(x).view(-1, 2, 3)


class CopyEncoder(_Normalised):
    """ImageNet-normalised RGB + a map (hole or visibility, see :class:`CopyPasteNet`) to
    ``2 * base_channels`` value features at H/4 (no activation on the value layer)."""

    def __init__(self, base_channels: int = 64) -> None:
        super().__init__()
        c = base_channels
        self.conv12 = _conv(4, c, 5, 2)
        self.conv2 = _conv(c, c)
        self.conv23 = _conv(c, 2 * c, 3, 2)
        self.conv3 = _conv(2 * c, 2 * c)
        self.value3 = _conv(2 * c, 2 * c)
        _he_init(self)

    def forward(self, frame: Tensor, hole: Tensor) -> Tensor:
        x = torch.cat([(frame - self.mean) / self.std, hole], 1)
        for conv in (self.conv12, self.conv2, self.conv23, self.conv3):
            x = F.relu(conv(x))
        return self.value3(x)


class PasteDecoder(_Normalised):
    """Target features, copied features and the copy mask (``4 * base_channels + 1``
    channels, 257 in the paper) at H/4 to an RGB frame in [0, 1] (not clamped): three
    convolutions, dilations 2/4/8/16, then up to full size by nearest upsampling.
    PyTorch's default initialisation, as the official decoder."""

    def __init__(self, base_channels: int = 64) -> None:
        super().__init__()
        c = base_channels
        w = 4 * c + 1
        self.conv4 = _conv(w, w)
        self.conv5_1 = _conv(w, w)
        self.conv5_2 = _conv(w, w)
        self.convA4_1 = _conv(w, w, dilation=2)
        self.convA4_2 = _conv(w, w, dilation=4)
        self.convA4_3 = _conv(w, w, dilation=8)
        self.convA4_4 = _conv(w, w, dilation=16)
        self.conv3c = _conv(w, w)
        self.conv3b = _conv(w, 2 * c)
        self.conv3a = _conv(2 * c, 2 * c)
        self.conv32 = _conv(2 * c, c)
        self.conv2 = _conv(c, c)
        self.conv21 = _conv(c, 3, 5)

    def forward(self, x: Tensor) -> Tensor:
        for conv in (self.conv4, self.conv5_1, self.conv5_2, self.convA4_1, self.convA4_2,
                     self.convA4_3, self.convA4_4, self.conv3c, self.conv3b, self.conv3a):
            x = F.relu(conv(x))
        x = F.interpolate(x, scale_factor=2, mode='nearest')
        x = F.relu(self.conv2(F.relu(self.conv32(x))))
        x = self.conv21(F.interpolate(x, scale_factor=2, mode='nearest'))
        return x * self.std + self.mean


def masked_softmax(scores: Tensor, mask: Tensor, dim: int) -> Tensor:
    """Softmax of ``scores`` over ``dim`` among the entries where ``mask`` is 1; 0 where it
    is 0, and all 0 where no entry is (the official formula: masked scores are 0 in the
    max, sums below 1e-4 count as 1)."""
    masked = scores * mask
    exps = torch.exp(masked - masked.max(dim, keepdim=True)[0]) * mask
    sums = exps.sum(dim, keepdim=True)
    return exps / (sums + (sums < 1e-4).to(sums))


def context_matching(target_feat: Tensor, ref_feats: Tensor, target_visible: Tensor,
                     ref_visible: Tensor) -> tuple[Tensor, Tensor]:
    """The decoder's input ``[target, c_out, c_mask]`` and ``c_mask``.

    ``target_feat`` ``[B, C, h, w]``, ``ref_feats`` ``[B, C, R, h, w]``, visibility maps at
    full size (``[B, 1, H, W]`` and ``[B, 1, R, H, W]``, 1 = visible). Per reference, the
    similarity is one number, ``sum(v * f_t * f_r) / (sum(v) * C)`` over the pixels ``v``
    visible in both; per pixel, a softmax over the references that show it weighs their
    features into ``c_out``; ``c_mask`` is 1 where no reference shows the pixel.
    """
    b, c, h, w = target_feat.shape
    num_refs = ref_feats.shape[2]
    if num_refs == 0:                     # nothing to copy from (a one-frame clip)
        c_mask = target_feat.new_ones(b, 1, h, w)
        return torch.cat([target_feat, torch.zeros_like(target_feat), c_mask], 1), c_mask
    t_vis = (F.interpolate(target_visible, size=(h, w), mode='bilinear',
                           align_corners=False) > 0.5).to(target_feat)
    scores, vis = [], []
    for r in range(num_refs):
        r_vis = (F.interpolate(ref_visible[:, :, r], size=(h, w), mode='bilinear',
                               align_corners=False) > 0.5).to(target_feat)
        both = t_vis * r_vis
        g = (both * target_feat * ref_feats[:, :, r]).sum((1, 2, 3))
        count = both[:, 0].sum((1, 2))
        empty = count < 1e-4
        g = torch.where(empty, torch.zeros_like(g), g) / (count + empty.to(count)) / c
        scores.append(g.view(b, 1, 1, 1).expand(b, 1, h, w))
        vis.append(r_vis)
    scores, vis = torch.stack(scores, 2), torch.stack(vis, 2)          # [B, 1, R, h, w]
    weights = masked_softmax(scores, vis, dim=2)
    c_out = (ref_feats * weights).sum(2)
    c_mask = 1.0 - (weights * vis).sum(2)
    return torch.cat([target_feat, c_out, c_mask], 1), c_mask


def pad_to_multiple(tensors: list[Tensor], multiple: int) -> tuple[list[Tensor], tuple]:
    """Zero-pad the last two axes to multiples of ``multiple``, split evenly (the smaller
    half first), as the official ``pad_divide_by``; returns the pad ``(l, r, t, b)``."""
    h, w = tensors[0].shape[-2:]
    dh, dw = (-h) % multiple, (-w) % multiple
    pad = (dw // 2, dw - dw // 2, dh // 2, dh - dh // 2)
    if not any(pad):
        return list(tensors), pad
    return [F.pad(t, pad) for t in tensors], pad


def _crop(x: Tensor, pad: tuple) -> Tensor:
    h, w = x.shape[-2:]
    return x[..., pad[2]:h - pad[3], pad[0]:w - pad[1]]


class CopyPasteNet(nn.Module):
    """The networks and the released completion of one target frame from references.

    Args:
        base_channels: 64 in the paper.
        align_size: the alignment encoder's input side, 224 in the paper.
        align_corners: of the affine grid and its sampling. PyTorch 0.4, for which the
            official code was written, behaved as ``True``; later versions default to
            ``False``, which moves every warp by half a pixel.
        fix_reference_hole: the official code gives the copy encoder each aligned reference
            with its *visibility* map where the target gets its *hole* map (the author
            confirmed in the repository's issue #11 that it should be ``1 - aligned_v``);
            ``False`` keeps the released behaviour (which the released weights learnt),
            ``True`` passes the hole map.
    """

    def __init__(self, base_channels: int = 64, align_size: int = 224,
                 align_corners: bool = True, fix_reference_hole: bool = False) -> None:
        super().__init__()
        self.align_encoder = AlignmentEncoder(base_channels, align_size)
        self.align_regressor = AlignmentRegressor(base_channels)
        self.copy_encoder = CopyEncoder(base_channels)
        self.decoder = PasteDecoder(base_channels)
        self.align_corners = bool(align_corners)
        self.fix_reference_hole = bool(fix_reference_hole)

    def encode(self, frame: Tensor, hole: Tensor) -> Tensor:
        """Alignment features of a frame ``[B, 3, H, W]`` with its hole ``[B, 1, H, W]``
        (padded to a multiple of 8 first, as the official ``encoding``)."""
        (frame, hole), _ = pad_to_multiple([frame, hole], 8)
        return self.align_encoder(frame, hole)

    def warp(self, theta: Tensor, image: Tensor) -> Tensor:
        grid = F.affine_grid(theta, list(image.shape), align_corners=self.align_corners)
        return F.grid_sample(image, grid, align_corners=self.align_corners)

    def align(self, target_feat: Tensor, ref_feat: Tensor, ref_frame: Tensor,
              ref_hole: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(aligned frame, aligned visibility {0, 1}, theta)`` of one reference."""
        theta = self.align_regressor(target_feat, ref_feat)
        aligned = self.warp(theta, ref_frame)
        visible = (self.warp(theta, 1 - ref_hole) > 0.5).to(aligned)
        return aligned, visible, theta

    def complete(self, ref_feats: Tensor, ref_frames: Tensor, ref_holes: Tensor,
                 frame: Tensor, hole: Tensor, known: Tensor, details: bool = False):
        """The completed target frame ``[B, 3, H, W]`` in [0, 1] (composited with
        ``known`` outside the hole, clamped), as the official ``inpainting``.

        ``ref_feats`` ``[B, C, R, h, w]`` (from :meth:`encode`), ``ref_frames``
        ``[B, 3, R, H, W]``, ``ref_holes`` ``[B, 1, R, H, W]``. With ``details``, a dict
        with the decoder's raw ``pred``, the ``aligned`` references ``[B, 3, R, H, W]``, their
        ``visible`` maps, ``theta`` ``[B, R, 2, 3]`` and ``c_mask`` (all at the padded size)
        and ``pad`` is returned too, for the training losses.
        """
        h, w = frame.shape[-2:]
        (ref_frames, ref_holes, frame, hole, known), pad = pad_to_multiple(
            [ref_frames, ref_holes, frame, hole, known], 8)
        target_feat = self.align_encoder(frame, hole)
        copy_feats = [self.copy_encoder(frame, hole)]
        aligned_, visible_, theta_ = [], [], []
        for r in range(ref_feats.shape[2]):
            aligned, visible, theta = self.align(target_feat, ref_feats[:, :, r],
                                                 ref_frames[:, :, r], ref_holes[:, :, r])
            copy_feats.append(self.copy_encoder(
                aligned, 1 - visible if self.fix_reference_hole else visible))
            aligned_.append(aligned)
            visible_.append(visible)
            theta_.append(theta)
        feats = torch.stack(copy_feats, 2)
        b = frame.shape[0]
        visible = (torch.stack(visible_, 2) if visible_
                   else frame.new_zeros(b, 1, 0, *frame.shape[-2:]))
        p_in, c_mask = context_matching(feats[:, :, 0], feats[:, :, 1:], 1 - hole, visible)
        pred = self.decoder(p_in)
        comp = _crop((pred * hole + known * (1 - hole)), pad).clamp(0, 1)
        if not details:
            return comp
        aligned = (torch.stack(aligned_, 2) if aligned_
                   else frame.new_zeros(b, 3, 0, *frame.shape[-2:]))
        theta = torch.stack(theta_, 1) if theta_ else frame.new_zeros(b, 0, 2, 3)
        return comp, dict(pred=pred, aligned=aligned, visible=visible, theta=theta,
                          c_mask=c_mask, pad=pad, size=(h, w))
