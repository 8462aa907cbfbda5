"""Importing weights released with other code bases: the converter contract.

A plugin that can read another project's checkpoints registers :class:`BaseWeightConverter`
subclasses with ``@WEIGHT_CONVERTERS.register_module()``; :func:`toolbox.apis.convert_weights`
and ``tools/convert_weights.py`` look them up by :attr:`~BaseWeightConverter.format`. The
engine does the reading, the checks and the writing; a converter only says whether a state
dict is of its format and renames (and, where the layouts differ, reorders) its tensors.

Reading is weights-only: released checkpoints also hold their trainers' objects
(PyTorch Lightning callbacks, OmegaConf configs, mmengine log buffers). Their classes are
replaced by an inert placeholder while unpickling (:func:`read_foreign_checkpoint`), so
nothing in the file is executed and only tensors are used.
"""
from __future__ import annotations

import pickle
import re
from collections.abc import Iterable

import torch
from torch import Tensor, nn

__all__ = ['BaseWeightConverter', 'WeightConversionError', 'read_foreign_checkpoint',
           'source_state_dict', 'rename', 'summarise_keys']


class WeightConversionError(ValueError):
    """The file cannot be converted (wrong format, wrong model, unreadable)."""


class BaseWeightConverter:
    """Turns one format of released checkpoint into the state dict of a toolbox inpaintor.

    Subclasses set the class attributes and implement :meth:`matches` and :meth:`convert`.
    """

    #: the name users pass on the command line, e.g. ``'mmagic-deepfillv2'``
    format: str = ''
    #: what the files are, for messages: ``"MMagic's DeepFill v2"``
    source: str = ''
    #: the config the converted weights belong to, relative to the repository's ``configs/``
    config: str = ''
    #: raised when the conversion changes, so that checkpoints the model zoo cached with an
    #: older one are converted again (recorded in their provenance)
    version: int = 1

    def matches(self, state: dict[str, Tensor]) -> bool:
        """Whether ``state`` (the source's flat state dict) is of this format."""
        raise NotImplementedError

    def convert(self, state: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
        """The tensors of ``state`` under the keys of ``model.state_dict()`` (an inpaintor
        built from :attr:`config`). Keys the source lacks (a discriminator it did not
        release) are left out; the engine checks every key and shape."""
        raise NotImplementedError


class _Placeholder:
    """Stands in for any class or function a checkpoint names: accepts and drops whatever
    the unpickler gives it, so the file's own code never runs."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __setstate__(self, state) -> None:
        pass

    def __setitem__(self, key, value) -> None:
        pass

    def append(self, value) -> None:
        pass

    def extend(self, values) -> None:
        pass

    def __repr__(self) -> str:
        return '<placeholder>'


_GLOBAL = re.compile(r'GLOBAL ([A-Za-z_][\w.]*)')
_REASON = re.compile(r'WeightsUnpickler error:\s*(.+?)(?:\n\n|$)', re.S)


def read_foreign_checkpoint(filename: str, map_location='cpu', max_placeholders: int = 200):
    """``torch.load(filename, weights_only=True)``, with every class or function the file
    names beyond torch's allow-list replaced by an inert placeholder."""
    names: list[str] = []
    while True:
        try:
            with torch.serialization.safe_globals([(_Placeholder, n) for n in names]):
                return torch.load(filename, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as exc:
            found = _GLOBAL.search(str(exc))
            # torch's message drops the 'builtins.' of a builtin (numpy's dtypes are
            # pickled through builtins.getattr, e.g. in mmengine's message_hub)
            name = found and (found.group(1) if '.' in found.group(1)
                              else f'builtins.{found.group(1)}')
            if found is None or name in names or len(names) >= max_placeholders:
                reason = _REASON.search(str(exc))
                reason = ' '.join(reason.group(1).split()) if reason else type(exc).__name__
                raise WeightConversionError(f'{filename} cannot be read as a weights file: '
                                            f'{reason}') from exc
            names.append(name)
        except Exception as exc:  # noqa: BLE001 - a damaged file fails in many ways
            first = str(exc).splitlines()[0] if str(exc) else ''
            raise WeightConversionError(f'{filename} is not a readable torch file '
                                        f'({type(exc).__name__}{": " + first if first else ""})') \
                from exc


def source_state_dict(checkpoint, filename: str) -> dict[str, Tensor]:
    """The flat ``{key: tensor}`` of a loaded checkpoint (its ``'state_dict'`` if any).

    A checkpoint that keeps each network's state dict under its own key next to optimiser
    states and counters (``{'generator': {...}, 'optimizer_G': {...}, 'n_iter': 9}``, as
    PRVS's and other official trainers save) holds no tensor at its top level: its nested
    dicts of tensors are read with their key as prefix (``generator.enc_1...``). Optimiser
    states have integer keys, not tensors, at that level and are left out."""
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not state:
        raise WeightConversionError(f'{filename} holds no state dict (a dict of tensors, or '
                                    "a dict with one under 'state_dict')")
    tensors = {k: v for k, v in state.items() if isinstance(k, str) and isinstance(v, Tensor)}
    if not tensors:
        tensors = {f'{outer}.{k}': v for outer, inner in state.items()
                   if isinstance(outer, str) and isinstance(inner, dict)
                   for k, v in inner.items() if isinstance(k, str) and isinstance(v, Tensor)}
    if not tensors:
        raise WeightConversionError(f'{filename}: its state dict holds no tensors')
    return tensors


def rename(state: dict[str, Tensor], rules: Iterable[tuple[str, str]]) -> dict[str, Tensor]:
    """``state`` with keys rewritten by the first matching ``(regex, replacement)`` rule;
    keys no rule matches are dropped."""
    compiled = [(re.compile(p), r) for p, r in rules]
    out = {}
    for key, value in state.items():
        for pattern, repl in compiled:
            if pattern.fullmatch(key):
                out[pattern.sub(repl, key)] = value
                break
    return out


def summarise_keys(state: dict[str, Tensor]) -> str:
    """A short description of a state dict for messages: counts per top-level prefix and
    two example keys."""
    counts: dict[str, int] = {}
    for key in state:
        head = key.split('.', 1)[0]
        counts[head] = counts.get(head, 0) + 1
    top = ', '.join(f'{k}.* ({n})' for k, n in sorted(counts.items(), key=lambda t: -t[1])[:4])
    examples = ', '.join(repr(k) for k in list(state)[:2])
    return f'{len(state)} tensors under {top}; e.g. {examples}'
