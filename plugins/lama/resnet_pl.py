"""The network of LaMa's ResNet-PL: the encoder of the ADE20k scene-parsing
``resnet50dilated`` model (Zhou et al., "Scene Parsing through ADE20K Dataset", CVPR 2017;
the CSAIL semantic-segmentation models), whose four stages' features LaMa's
high-receptive-field perceptual loss compares.

Its layout differs from torchvision's and timm's default ResNet-50 in the stem: three 3x3
convolutions (64, 64, 128 channels, the first with stride 2), each with BN and ReLU, then
the 3x3 max-pool; and, dilated to output stride 8, the last two stages run at stride 1 with
dilation 2 and 4 (their first block's 3x3 convolution one step less, as the stride it
replaces). That is timm's ``resnet50`` with ``stem_type='deep', stem_width=64,
output_stride=8``: the network is built by timm, only the names of the ADE20k file
(``encoder_epoch_20.pth``) are mapped here.
"""
from __future__ import annotations

import os.path as osp
import re

from torch import Tensor, nn

from toolbox.weights import load_state_dict_file, resolve_weights, torch_hub_dir

__all__ = ['ADE20K_FILE', 'ADE20K_URL', 'ade20k_resnet50dilated', 'from_ade20k', 'to_ade20k']

ADE20K_FILE = 'encoder_epoch_20.pth'
ADE20K_URL = ('http://sceneparsing.csail.mit.edu/model/pytorch/'
              'ade20k-resnet50dilated-ppm_deepsup/' + ADE20K_FILE)


def lama_location() -> str:
    """Where LaMa's README has users put the file: ``$TORCH_HOME/ade20k/
    ade20k-resnet50dilated-ppm_deepsup/encoder_epoch_20.pth`` (its configs'
    ``weights_path: ${env:TORCH_HOME}``)."""
    torch_home = osp.dirname(osp.dirname(torch_hub_dir()))
    return osp.join(torch_home, 'ade20k', 'ade20k-resnet50dilated-ppm_deepsup', ADE20K_FILE)

#: the ADE20k file's stem names -> timm's (``conv1`` is timm's deep stem, a Sequential of
#: conv, BN, ReLU three times; its last BN is timm's ``bn1``)
_STEM = {'conv1.': 'conv1.0.', 'bn1.': 'conv1.1.', 'conv2.': 'conv1.3.', 'bn2.': 'conv1.4.',
         'conv3.': 'conv1.6.', 'bn3.': 'bn1.'}


def from_ade20k(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """An ADE20k encoder state dict under timm's names (the four stages keep theirs; the
    decoder's or classifier's keys, if any, are dropped)."""
    out = {}
    for key, value in state.items():
        key = re.sub(r'^(module\.|encoder\.)', '', key)
        for old, new in _STEM.items():
            if key.startswith(old):
                out[new + key[len(old):]] = value
                break
        else:
            if key.startswith('layer'):
                out[key] = value
    return out


def to_ade20k(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The inverse of :func:`from_ade20k`: timm's names to the ADE20k file's."""
    back = {new: old for old, new in _STEM.items()}
    out = {}
    for key, value in state.items():
        for new, old in back.items():
            if key.startswith(new):
                out[old + key[len(new):]] = value
                break
        else:
            out[key] = value
    return out


def ade20k_resnet50dilated(layers=(1, 2, 3, 4), pretrained: bool = True,
                           weights: str | None = None) -> nn.Module:
    """The encoder as a timm feature extractor returning the stages in ``layers`` (1-4:
    ``layer1`` .. ``layer4``, LaMa's four). ``pretrained``: load ``encoder_epoch_20.pth``
    from ``weights`` (the file or its folder), LaMa's location (:func:`lama_location`) or
    the weight caches, failing within a
    second offline with a message naming the file, the folder to put it in and its
    address; ``False``: random weights (tests, parity runs with shared random weights)."""
    import timm
    net = timm.create_model('resnet50', pretrained=False, features_only=True,
                            out_indices=tuple(layers), stem_type='deep', stem_width=64,
                            output_stride=8)
    if pretrained:
        if weights is None and osp.isfile(lama_location()):
            weights = lama_location()           # a LaMa user's copy
        path = resolve_weights("LaMa's ResNet-PL network (ADE20k resnet50dilated encoder)",
                               ADE20K_FILE, url=ADE20K_URL, path=weights,
                               option='HRFPerceptualLoss(weights=...)')
        state = from_ade20k(load_state_dict_file(path))
        own = net.state_dict()
        missing = sorted(set(own) - set(state))
        if missing:
            raise ValueError(f'{path}: not an ADE20k resnet50dilated encoder ({len(missing)} '
                             f'of its tensors are missing, e.g. {missing[0]})')
        net.load_state_dict({k: state[k] for k in own})
    return net
