"""Importing networks trained with the official CSA code (KumapowerLIU/CSA-inpainting).

The official code saves each network on its own (``<epoch>_net_G.pth``: the refinement
net, ``_net_P.pth``: the rough net, ``_net_D.pth``, ``_net_F.pth``: the discriminators);
the authors released no weights. Merge the files into one state dict, each key prefixed
with its network's letter, then convert it as ``official-csa``::

    torch.save({f'net{n}.{k}': v for n in 'GPDF'
                for k, v in torch.load(f'{epoch}_net_{n}.pth').items()}, 'csa.pth')

(``netD``/``netF`` may be left out: ``--no-discriminator``.) The official networks are
nested ``nn.Sequential`` U-Net levels: ``model.model.<i>.model.<j>...`` walks down one
level per ``model.<index>``; the sub-module index of each layer at each kind of level is
in the tables below. A ``module.`` prefix (``nn.DataParallel``) is dropped.
"""
from __future__ import annotations

from torch import Tensor, nn

from toolbox.bases import BaseWeightConverter
from toolbox.registry import WEIGHT_CONVERTERS

__all__ = ['OfficialCSAConverter']

# (the index of the deeper level, {official index: our name}) per kind of level
_ROUGH_OUTER = (1, {0: 'down.0', 3: 'up.1'})
_ROUGH_MIDDLE = (3, {1: 'down.1', 2: 'down.2', 5: 'up.1', 6: 'up.2'})
_INNERMOST = (None, {1: 'down.1', 3: 'up.1', 4: 'up.2'})
_REFINE_OUTER = (1, {0: '', 3: ''})        # the first conv and the last transposed conv
_REFINE_MIDDLE = (6, {1: 'down.1', 2: 'down.2', 4: 'down_3.1', 5: 'norm_3', 8: 'up.1',
                      9: 'up.2', 11: 'up.4', 12: 'up.5'})
_REFINE_CSA = (8, {1: 'down.1', 2: 'down.2', 4: 'down_3.1', 7: 'norm_3', 11: 'up.1',
                   12: 'up.2', 14: 'up.4', 15: 'up.5'})
#: the depth of the refinement net's CSA level (1/8 of the input)
_CSA_DEPTH = 3


def _path(key: str) -> tuple[list[int], str]:
    """``model.model.1.model.6.weight`` -> ([1, 6], 'weight')."""
    parts = key.split('.')[1:]                 # the generator's own ``model``
    path = []
    while len(parts) > 2 and parts[0] == 'model' and parts[1].isdigit():
        path.append(int(parts[1]))
        parts = parts[2:]
    return path, '.'.join(parts)


def _generator(state: dict[str, Tensor], net: str) -> dict[str, Tensor]:
    paths = {k: _path(k) for k in state}
    innermost = max(len(p) for p, _ in paths.values()) - 1
    out = {}
    for key, (path, tail) in paths.items():
        name = [f'generator.{net}']
        for depth, index in enumerate(path):
            if depth == innermost:
                kind = _INNERMOST
            elif net == 'rough':
                kind = _ROUGH_OUTER if depth == 0 else _ROUGH_MIDDLE
            else:
                kind = (_REFINE_OUTER if depth == 0 else
                        _REFINE_CSA if depth == _CSA_DEPTH else _REFINE_MIDDLE)
            deeper, layers = kind
            if index == deeper:
                name.append('inner' if not (net == 'rough' and depth == 0) else 'net.inner')
                continue
            if net == 'refinement' and depth == 0:
                name.append('first' if index == 0 else 'last.1')
            else:
                if net == 'rough' and depth == 0:
                    name.append('net')
                name.append(layers[index])
        out['.'.join(name + [tail])] = state[key]
    return out


@WEIGHT_CONVERTERS.register_module()
class OfficialCSAConverter(BaseWeightConverter):
    """The official CSA networks, merged into one file with ``netG.``/``netP.``
    (/``netD.``/``netF.``) prefixes, into ``configs/csa/paris_256.py``."""

    format = 'official-csa'
    source = 'the official CSA (KumapowerLIU/CSA-inpainting), netG/netP merged'
    config = 'csa/paris_256.py'

    @staticmethod
    def _split(state: dict[str, Tensor]) -> dict[str, dict[str, Tensor]]:
        nets: dict[str, dict[str, Tensor]] = {}
        for key, value in state.items():
            net, _, rest = key.partition('.')
            if rest.startswith('module.'):
                rest = rest[len('module.'):]
            nets.setdefault(net, {})[rest] = value
        return nets

    def matches(self, state: dict[str, Tensor]) -> bool:
        nets = self._split(state)
        return {'netG', 'netP'} <= set(nets) and all(
            k.startswith('model.') for n in ('netG', 'netP') for k in nets[n])

    def convert(self, state: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
        nets = self._split(state)
        out = {**_generator(nets['netG'], 'refinement'), **_generator(nets['netP'], 'rough')}
        for net, ours in (('netD', 'patch'), ('netF', 'feature')):
            for key, value in nets.get(net, {}).items():
                out[f'discriminator.{ours}.net.{key[len("model."):]}'] = value
        return out
