"""Feature extractors for FID.

A feature extractor is any ``nn.Module`` (or callable) that maps images ``[B, 3, H, W]`` in
``[0, 1]`` to features ``[B, D]``, one row per image independent of the others. The
:class:`~toolbox.evaluation.metrics.FID` metric builds it from
``feature_extractor=dict(type=NAME, ...)`` through the ``MODELS`` registry, so a plugin
supplies another one by registering its class there (or a user passes an instance)::

    @MODELS.register_module()
    class CLIPFeatures(nn.Module):
        def forward(self, images):          # [B, 3, H, W] in [0, 1]
            return self.encoder(images)     # [B, D]

    val_evaluator = [dict(type='FID', feature_extractor=dict(type='CLIPFeatures'))]
"""
from __future__ import annotations

from torch import Tensor, nn

from toolbox.registry import MODELS
from toolbox.weights import load_state_dict_file, resolve_weights

__all__ = ['FIDInceptionV3', 'FID_INCEPTION_FILE', 'FID_INCEPTION_URL']

FID_INCEPTION_FILE = 'pt_inception-2015-12-05-6726825d.pth'
FID_INCEPTION_URL = ('https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/'
                     + FID_INCEPTION_FILE)


@MODELS.register_module()
class FIDInceptionV3(nn.Module):
    """The standard FID feature extractor: Inception-v3 pool features (2048-d) of the
    TensorFlow FID graph, as ported by pytorch-fid (see :mod:`.inception`).

    Args:
        pretrained: load the FID Inception weights ``pt_inception-2015-12-05-6726825d.pth``.
            ``False`` keeps a random initialisation -- for tests only: such features give
            numbers that are not FID.
        weights: path of that file or of a folder holding it; ``None`` searches the
            caches (:mod:`toolbox.weights`).
        resize: resize inputs to 299x299 (bilinear) as the reference does.
    """

    feature_dim = 2048

    def __init__(self, pretrained: bool = True, weights: str | None = None,
                 resize: bool = True) -> None:
        super().__init__()
        path = None
        if pretrained:
            # Resolved before the network is built: a missing file fails within a second.
            path = resolve_weights('FID Inception-v3 (pytorch-fid)', FID_INCEPTION_FILE,
                                   FID_INCEPTION_URL, weights,
                                   option="dict(type='FIDInceptionV3', weights=PATH) or "
                                          '--fid-weights')
        from .inception import build_fid_inception
        self.net = build_fid_inception()
        self.resize = resize
        if path is not None:
            state = load_state_dict_file(path)
            missing, unexpected = self.net.load_state_dict(state, strict=False)
            missing = [k for k in missing if not k.startswith('fc.')]
            unexpected = [k for k in unexpected if not k.startswith('AuxLogits.')]
            if missing or unexpected:
                raise ValueError(f'FID Inception weights {path} do not fit the network: '
                                 f'missing {missing[:5]}, unexpected {unexpected[:5]}')
        self.eval().requires_grad_(False)

    def train(self, mode: bool = True) -> FIDInceptionV3:
        # Batch norm must keep its running statistics: always evaluate.
        return super().train(False)

    def forward(self, images: Tensor) -> Tensor:
        from .inception import fid_inception_features
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f'FIDInceptionV3: images must be [B, 3, H, W] in [0, 1], got '
                             f'{list(images.shape)}')
        return fid_inception_features(self.net, images, self.resize)
