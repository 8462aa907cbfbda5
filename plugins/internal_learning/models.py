"""``InternalLearning``: a video model whose ``inpaint`` optimises a generator on the clip
itself (DIP-Vid-Flow of Zhang et al., ICCV 2019); nothing is trained in advance and there is
no checkpoint.

The schedule is the official one: every window of ``batch_size`` frames at each stride
(1, 3, 5), once with its forward and once with its backward flow, in a shuffled order, is
optimised for ``iters_per_batch`` Adam steps; after every ``batches_per_pass`` batches the
middle window (stride 1) gets its steps too and a pass ends; ``passes`` passes in all. Then
every window at stride 1 is run through the generator and each frame is taken from the
window in which it lies in the second half (the first window gives its first half too). The
generator stays in training mode throughout, batch normalisation included, as in the
official code. A ``budget`` (optimiser steps or seconds) stops the optimisation early.
"""
from __future__ import annotations

import random
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox.registry import MODELS
from toolbox.value_range import from_model_range, to_model_range
from toolbox.video.models import BaseVideoInpaintor

from .flows import clip_flows
from .generator import SkipEncoderDecoder, min_side
from .losses import LOSS_WEIGHTS, consistency_loss, flow_loss, image_loss, perceptual_loss

__all__ = ['InternalLearning', 'schedule']


def schedule(frames: int, batch_size: int, strides, seed: int) -> list[tuple[int, int, str]]:
    """One shuffled round of ``(first frame, stride, 'f' | 'b')`` batches: every window of
    ``batch_size`` frames at each stride that fits in ``frames``, once per flow direction
    (``''``: no flow, when ``strides`` is empty)."""
    batches = []
    for s in strides:
        for direction in 'fb':
            batches += [(i, s, direction) for i in range(frames - (batch_size - 1) * s)]
    if not batches:
        batches = [(i, 1, '') for i in range(frames - batch_size + 1)]
    random.Random(seed).shuffle(batches)
    return batches


@MODELS.register_module()
class InternalLearning(BaseVideoInpaintor):
    """Internal learning for video inpainting; no checkpoint, ``inpaint`` optimises.

    Args:
        generator: keywords of :class:`SkipEncoderDecoder` (the paper's by default).
        loss_weights: ``recon_image``, ``recon_flow``, ``consistency``, ``perceptual`` (the
            paper's: 1, 0.1, 1, 0.01); a zero weight skips the loss, and ``recon_flow`` and
            ``consistency`` at zero with no flow head is DIP-Vid.
        vgg_weights: torchvision's VGG16 weights file for the perceptual loss (``None``:
            the caches); ``pretrained=False`` builds random weights (tests only).
        batch_size, lr, iters_per_batch, batches_per_pass, passes: the schedule (5, 1e-2,
            100, 50, 20 in the official DIP_Vid_Flow.py).
        budget: ``dict(iterations=N)`` and/or ``dict(seconds=S)``: stop after N optimiser
            steps or S seconds of optimisation, whichever comes first; empty or ``None``:
            the full schedule (``passes * (batches_per_pass + 1) * iters_per_batch``
            steps).
        noise_scale: the input noise is U[0, 1) times this, one map per frame.
        flow_preset: the DIS preset of the clip's flow.
        seed: seeds the generator's initial weights, the noise and the batch order; the
            ``seed`` option of ``inpaint`` overrides it.
        progress: show a progress bar of the optimiser steps.
    """

    trainable = False
    sample_options = ('seed',)
    tiny_cfg = dict(generator=dict(down=(4,) * 6, up=(4,) * 6, skip=(2,) * 6),
                    loss_weights=dict(perceptual=0), budget=dict(iterations=2),
                    iters_per_batch=1, progress=False, flow_preset='ultrafast')

    def __init__(self, generator: dict | None = None, loss_weights: dict | None = None,
                 vgg_weights: str | None = None, pretrained: bool = True,
                 batch_size: int = 5, lr: float = 1e-2, iters_per_batch: int = 100,
                 batches_per_pass: int = 50, passes: int = 20, budget: dict | None = None,
                 noise_scale: float = 0.1, flow_preset: str = 'medium', seed: int = 0,
                 progress: bool = True, data_preprocessor=None, init_cfg=None) -> None:
        super().__init__(data_preprocessor, init_cfg)
        self.generator_cfg = dict(generator or {})
        unknown = set(loss_weights or {}) - set(LOSS_WEIGHTS)
        if unknown:
            raise ValueError(f'InternalLearning: unknown loss_weights {sorted(unknown)}; '
                             f'the losses are {sorted(LOSS_WEIGHTS)}')
        self.loss_weights = {**LOSS_WEIGHTS, **(loss_weights or {})}
        for name, value in dict(batch_size=batch_size, iters_per_batch=iters_per_batch,
                                batches_per_pass=batches_per_pass, passes=passes).items():
            if int(value) < 1:
                raise ValueError(f'InternalLearning: {name} must be >= 1, got {value}')
        budget = dict(budget or {})
        if set(budget) - {'iterations', 'seconds'}:
            raise ValueError(f'InternalLearning: budget takes iterations and/or seconds, got '
                             f'{sorted(budget)}')
        if any(v is not None and v <= 0 for v in budget.values()):
            raise ValueError(f'InternalLearning: budget values must be > 0, got {budget}')
        self.budget = budget
        self.batch_size, self.lr = int(batch_size), float(lr)
        self.iters_per_batch, self.batches_per_pass = int(iters_per_batch), int(batches_per_pass)
        self.passes, self.noise_scale = int(passes), float(noise_scale)
        self.flow_preset, self.seed, self.progress = flow_preset, int(seed), bool(progress)
        # the generator is rebuilt for every clip; this one fixes the configuration (and
        # fails early on a bad one), built on the meta device: no memory, no random numbers
        with torch.device('meta'):
            probe = SkipEncoderDecoder(**self.generator_cfg)
        self.flow_strides = probe.flow_strides
        self.min_side = min_side(probe.levels, probe.k_down)
        self.use_flow = bool(self.flow_strides) and (self.loss_weights['recon_flow'] > 0 or
                                                     self.loss_weights['consistency'] > 0)
        vgg = None
        self.vgg_layers = (3, 8, 15)
        if self.loss_weights['perceptual'] > 0:
            from toolbox.nn.vgg import shared_vgg
            # relu1_2, relu2_2, relu3_3 of VGG16, fed [0, 1] without normalisation as the
            # official LossNetwork is
            vgg = shared_vgg('vgg16', self.vgg_layers, pretrained=pretrained,
                             weights=vgg_weights, name='the perceptual loss of '
                             'InternalLearning', option='model.vgg_weights=PATH',
                             vgg_input='unit')
        # kept out of the module tree: the frozen VGG is no learned network, so the model
        # needs no checkpoint (toolbox.engine.checkpoint.learned_networks) and saves none
        self.__dict__['vgg'] = vgg
        #: per clip of the last ``inpaint``: optimiser steps, wall and process (CPU) seconds
        #: of the optimisation, frames, the last step's loss
        self.last_stats: list[dict] = []

    @property
    def full_iterations(self) -> int:
        """Optimiser steps of the whole schedule."""
        return self.passes * (self.batches_per_pass + 1) * self.iters_per_batch

    def inpaint(self, video: Tensor, masks: Tensor, **options: Any) -> Tensor:
        self.check_inputs(video, masks)
        _, sampler = self.split_options(options)
        seed = int(sampler.get('seed', self.seed))
        self.last_stats = []
        out = []
        for clip, hole in zip(video, masks):
            out.append(self._inpaint_clip(clip, (hole > 0.5).to(clip.dtype), seed))
        result = torch.stack(out)
        return torch.where(masks > 0.5, result, video)

    # -- one clip ---------------------------------------------------------------------------

    def _inpaint_clip(self, clip: Tensor, hole: Tensor, seed: int) -> Tensor:
        t, _, h, w = clip.shape
        side = self.min_side
        ph, pw = max(0, side - h), max(0, side - w)
        frames = from_model_range(clip.detach()).float()                    # [T, 3, H, W]
        holes = hole.float()
        if ph or pw:      # too small for the six levels: replicate the border, as known pixels
            frames = F.pad(frames, (0, pw, 0, ph), mode='replicate')
            holes = F.pad(holes, (0, pw, 0, ph))
        with torch.enable_grad():
            result = self._optimise(frames, holes, seed)
        return to_model_range(result[..., :h, :w], 1.0).to(clip)        # from [0, 1]

    def _optimise(self, frames: Tensor, holes: Tensor, seed: int) -> Tensor:
        device = frames.device
        t, _, h, w = frames.shape
        n = min(self.batch_size, t)
        strides = [s for s in self.flow_strides if (n - 1) * s < t and n > 1] \
            if self.use_flow else []
        flows = None
        if strides:
            uint8 = (frames * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
            flows = clip_flows(uint8, holes[:, 0].cpu().numpy() > 0.5, strides,
                               self.flow_preset)
        with torch.random.fork_rng(devices=[device] if device.type == 'cuda' else []):
            torch.manual_seed(seed)
            net = SkipEncoderDecoder(**self.generator_cfg).to(device)
            noise = (torch.rand(t, 1, h, w) * self.noise_scale).to(device)
        net.train()                       # batch statistics, in optimisation and inference
        optimizer = torch.optim.Adam(net.parameters(), lr=self.lr)
        frames, holes = frames.to(device), holes.to(device)
        if flows is not None:
            flows = {k: {s: v.to(device) if isinstance(v, Tensor) else v
                         for s, v in getattr(flows, k).items()}
                     for k in ('forward', 'backward', 'forward_ok', 'backward_ok',
                               'forward_region', 'backward_region', 'scale')}

        limit = self.budget.get('iterations')
        total = self.full_iterations if limit is None else min(limit, self.full_iterations)
        seconds = self.budget.get('seconds')
        start, cpu = time.perf_counter(), time.process_time()
        from tqdm import tqdm
        bar = tqdm(total=total, desc='internal learning', unit='step',
                   disable=not self.progress, leave=False)
        steps, batches, passes, order, last = 0, 0, 0, 0, float('nan')
        queue: list = []
        median = (min(t // 2, t - n), 1, 'f' if strides and 1 in strides else '')

        def out_of_budget() -> bool:
            return steps >= total or (seconds is not None and
                                      time.perf_counter() - start >= seconds)

        def run_batch(batch) -> None:
            nonlocal steps, last
            for _ in range(self.iters_per_batch):
                if out_of_budget():
                    return
                optimizer.zero_grad(set_to_none=True)
                loss = self._loss(net, noise, frames, holes, flows, strides, n, batch)
                loss.backward()
                optimizer.step()
                steps, last = steps + 1, float(loss.detach())
                bar.update()

        try:
            while passes < self.passes and not out_of_budget():
                if not queue:
                    queue = schedule(t, n, strides, seed + order)
                    order += 1
                run_batch(queue.pop(0))
                batches += 1
                if batches % self.batches_per_pass == 0:
                    run_batch(median)
                    passes += 1
        finally:
            # draw the last count: tqdm skips updates within its refresh interval, so a fast
            # run would otherwise be cleared while showing an earlier step (a flaky test)
            bar.refresh()
            bar.close()
        self.last_stats.append(dict(iterations=steps, seconds=time.perf_counter() - start,
                                    cpu_seconds=time.process_time() - cpu, frames=t,
                                    loss=last))
        return self._infer(net, noise, n)

    def _loss(self, net, noise, frames, holes, flows, strides, n, batch) -> Tensor:
        first, s, direction = batch
        idx = torch.arange(first, first + n * s, s, device=noise.device)
        out = net(noise[idx])
        image, img, hole = out[:, :3], frames[idx], holes[idx]
        weights = self.loss_weights
        loss = weights['recon_image'] * image_loss(image, img, hole)
        if direction and flows is not None:
            c = 3 + 4 * self.flow_strides.index(s) + (0 if direction == 'f' else 2)
            pairs = idx[:-1] if direction == 'f' else idx[1:] - s    # pair index t of (t, t+s)
            key = 'forward' if direction == 'f' else 'backward'
            predicted = out[:-1, c:c + 2] if direction == 'f' else out[1:, c:c + 2]
            flow, ok = flows[key][s][pairs], flows[key + '_ok'][s][pairs]
            region, scale = flows[key + '_region'][s][pairs], flows['scale'][s]
            if weights['recon_flow'] > 0:
                loss = loss + weights['recon_flow'] * flow_loss(predicted, flow, region, ok,
                                                                scale)
            if weights['consistency'] > 0:
                source, target = (image[1:], image[:-1]) if direction == 'f' else \
                    (image[:-1], image[1:])
                loss = loss + weights['consistency'] * consistency_loss(
                    source, target, predicted, region, scale)
        if self.vgg is not None:
            vgg = self.vgg.to(noise.device)
            loss = loss + weights['perceptual'] * perceptual_loss(vgg, image, img, hole,
                                                                  self.vgg_layers)
        return loss

    @torch.no_grad()
    def _infer(self, net, noise: Tensor, n: int) -> Tensor:
        t = len(noise)
        result = torch.empty(t, 3, *noise.shape[-2:], device=noise.device)
        for first in range(t - n + 1):
            out = net(noise[first:first + n])[:, :3]
            # the official rule: the first window gives all its frames, later ones their
            # second half, so each frame comes from the last window with it past the middle
            keep = 0 if first == 0 else n // 2
            result[first + keep:first + n] = out[keep:]
        return result
