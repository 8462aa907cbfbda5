"""Checkpoints that load with ``torch.load(weights_only=True)``.

torch >= 2.6 loads weights-only by default, and mmengine's checkpoints hold Python objects
(its message hub's ``HistoryBuffer``, numpy arrays and scalars), so out of the box resuming
fails on torch 2.14. Rather than allow-listing those classes for every file (which weakens
the protection for files the user did not make), the toolbox stores them as plain
tensors, numbers and tagged dicts when saving and rebuilds them after loading. A toolbox
checkpoint is then a file ``torch.load`` opens in its safe mode, like any weights file.
"""
from __future__ import annotations

import glob
import os
import os.path as osp
import pickle
import re
from collections import OrderedDict

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio import io as _mm_io
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import is_model_wrapper

from toolbox.models.distributed import unwrap
from toolbox.registry import HOOKS

_TAG = '__toolbox_type__'
_PLAIN = (str, int, float, bool, type(None), torch.Tensor, torch.Size, torch.dtype,
          torch.device)


class CheckpointMismatchError(RuntimeError):
    """The checkpoint's weights do not fit the model (missing or unexpected keys)."""


class CheckpointLoadError(RuntimeError):
    """A checkpoint that cannot be loaded safely."""


#: Set to 1 to load checkpoints that need full unpickling (only for files you trust).
ENV_UNSAFE = 'TOOLBOX_ALLOW_UNSAFE_CHECKPOINTS'


def read_checkpoint(filename: str, map_location='cpu') -> dict:
    """Load ``filename`` with torch's weights-only unpickler (mmengine's loaders, so URLs
    and other backends work); refuse files that need full unpickling, saying why, unless
    ``TOOLBOX_ALLOW_UNSAFE_CHECKPOINTS=1`` is set and the file is local."""
    from mmengine.runner.checkpoint import _load_checkpoint
    try:
        return _load_checkpoint(filename, map_location=map_location)
    except pickle.UnpicklingError as exc:
        if os.environ.get(ENV_UNSAFE, '') == '1' and osp.isfile(filename):
            return torch.load(filename, map_location=map_location, weights_only=False)
        raise CheckpointLoadError(
            f'checkpoint {filename} holds Python objects beyond tensors and numbers, so it is '
            'not loaded: unpickling them could run code hidden in the file. Checkpoints '
            'saved by the toolbox never need this. If you trust the file, set '
            f'{ENV_UNSAFE}=1 to load it anyway, or re-save it as a plain state dict.') from exc


def load_weights(model: torch.nn.Module, checkpoint: dict, filename: str) -> None:
    """Load ``checkpoint['state_dict']`` (or the dict itself) into ``model``, strictly.

    A leading ``module.`` and in-place wrapper prefixes are accepted; any other missing or
    unexpected key raises :class:`CheckpointMismatchError` naming the keys.
    """
    state = checkpoint.get('state_dict', checkpoint)
    state = OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                        for k, v in state.items())
    prefixes = wrapper_prefixes(model)
    state = strip_wrapper_prefixes(state, prefixes)
    check_keys(model, state, filename)
    model.load_state_dict(add_wrapper_prefixes(state, prefixes), strict=True)


def to_safe(obj, path: str = 'checkpoint'):
    """``obj`` with numpy values and HistoryBuffers replaced by weights-only-loadable data."""
    if isinstance(obj, HistoryBuffer):
        log, count = obj.data
        return {_TAG: 'HistoryBuffer', 'log': torch.from_numpy(np.array(log, np.float64)),
                'count': torch.from_numpy(np.array(count, np.float64)),
                'max_length': int(obj.max_length)}
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError(f'{path}: numpy object arrays cannot be stored in a checkpoint')
        return {_TAG: 'ndarray', 'data': torch.from_numpy(np.array(obj))}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, dict):
        items = ((k, to_safe(v, f'{path}[{k!r}]')) for k, v in obj.items())
        return OrderedDict(items) if isinstance(obj, OrderedDict) else dict(items)
    if isinstance(obj, (list, tuple)):
        seq = [to_safe(v, f'{path}[{i}]') for i, v in enumerate(obj)]
        return seq if isinstance(obj, list) else tuple(seq)
    raise TypeError(f'{path}: a {type(obj).__module__}.{type(obj).__qualname__} cannot be '
                    'stored in a weights-only checkpoint; store tensors, numbers, strings, '
                    'lists or dicts')


def from_safe(obj):
    """Inverse of :func:`to_safe`."""
    if isinstance(obj, dict):
        tag = obj.get(_TAG)
        if tag == 'HistoryBuffer':
            return HistoryBuffer(obj['log'].numpy(), obj['count'].numpy(), obj['max_length'])
        if tag == 'ndarray':
            return obj['data'].numpy()
        items = ((k, from_safe(v)) for k, v in obj.items())
        return OrderedDict(items) if isinstance(obj, OrderedDict) else dict(items)
    if isinstance(obj, list):
        return [from_safe(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(from_safe(v) for v in obj)
    return obj


def wrapper_prefixes(model: torch.nn.Module) -> list[str]:
    """State-dict prefixes (``'generator.module.'``) that model wrappers inside ``model`` add."""
    return [f'{name}.module.' for name, sub in model.named_modules()
            if name and is_model_wrapper(sub)]


def strip_wrapper_prefixes(state: dict, prefixes: list[str]) -> OrderedDict:
    """Keys as the bare (unwrapped) model names them.

    A model whose sub-modules are wrapped in place (MMSeparateDistributedDataParallel) names
    its weights ``generator.module.x``; the bare model names them ``generator.x``. Saving
    bare keys, and mapping them back when loading into a wrapped model, keeps a resumed
    distributed run from silently keeping random weights.
    """
    out = OrderedDict()
    for key, value in state.items():
        for p in prefixes:
            if key.startswith(p):
                key = p[:-len('module.')] + key[len(p):]
                break
        out[key] = value
    return out


def add_wrapper_prefixes(state: dict, prefixes: list[str]) -> OrderedDict:
    """Inverse of :func:`strip_wrapper_prefixes`."""
    bare = [p[:-len('module.')] for p in prefixes]
    out = OrderedDict()
    for key, value in state.items():
        for b, p in zip(bare, prefixes):
            if key.startswith(b):
                key = p + key[len(b):]
                break
        out[key] = value
    return out


def check_keys(model: torch.nn.Module, state: dict, filename: str) -> None:
    """Raise :class:`CheckpointMismatchError` unless ``state`` (bare keys) fits ``model``."""
    expected = set(strip_wrapper_prefixes(model.state_dict(), wrapper_prefixes(model)))
    given = set(state)
    missing, unexpected = sorted(expected - given), sorted(given - expected)
    if missing or unexpected:
        def show(keys):
            return ', '.join(keys[:8]) + (f' ... ({len(keys)} in all)' if len(keys) > 8 else '')
        parts = []
        if missing:
            parts.append(f'missing keys: {show(missing)}')
        if unexpected:
            parts.append(f'unexpected keys: {show(unexpected)}')
        raise CheckpointMismatchError(
            f'checkpoint {filename} does not fit the model {type(model).__name__}: '
            + '; '.join(parts) + '. Was it saved by another config?')


def share_like_model(state: dict, model: torch.nn.Module,
                     prefixes: list[str] | None = None) -> dict:
    """``state`` (bare keys) with one tensor object for the entries that are one tensor in
    ``model``, e.g. a frozen network several sub-modules share.

    mmengine copies every entry to the CPU on its own before saving, so a shared GPU tensor
    would be written once per key; ``torch.save`` writes a shared storage once.
    ``prefixes``: the model's :func:`wrapper_prefixes`, when the caller has them.
    """
    first: dict[tuple, str] = {}
    out = dict(state)
    live = model.state_dict(keep_vars=True)
    if prefixes is None:
        prefixes = wrapper_prefixes(model)
    for key, tensor in strip_wrapper_prefixes(live, prefixes).items():
        if key not in out or not isinstance(tensor, torch.Tensor) or tensor.numel() == 0:
            continue
        ident = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(),
                 tuple(tensor.shape), tuple(tensor.stride()), tensor.dtype, tensor.device)
        if ident in first:
            out[key] = out[first[ident]]
        else:
            first[ident] = key
    return type(state)(out) if isinstance(state, OrderedDict) else out


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Converts checkpoints to weights-only-loadable data on save and back on load.

    The toolbox runner always installs it (at the lowest priority, so it sees the checkpoint
    after every other hook has added to it); do not add it to a config yourself.
    """

    priority = 'LOWEST'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model = unwrap(runner.model)
        if 'state_dict' in checkpoint:
            prefixes = wrapper_prefixes(model)
            bare = strip_wrapper_prefixes(checkpoint['state_dict'], prefixes)
            checkpoint['state_dict'] = share_like_model(bare, model, prefixes)
        safe = to_safe(checkpoint)
        checkpoint.clear()
        checkpoint.update(safe)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        restored = from_safe(checkpoint)
        checkpoint.clear()
        checkpoint.update(restored)


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend, but every write goes to a temporary file that is
    flushed, synced and renamed over the target: a process killed while saving leaves the
    previous file intact, never a truncated checkpoint that resume would pick up."""

    def put(self, obj: bytes, filepath) -> None:
        filepath = str(filepath)
        os.makedirs(osp.dirname(filepath) or '.', exist_ok=True)
        tmp = f'{filepath}.tmp-{os.getpid()}'
        try:
            with open(tmp, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        finally:
            if osp.exists(tmp):
                os.remove(tmp)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


def install_atomic_local_backend() -> None:
    """Make mmengine write local files atomically (process-wide; idempotent)."""
    register_backend('local', AtomicLocalBackend, force=True)
    for key, backend in list(_mm_io.backend_instances.items()):
        if type(backend) is LocalBackend:   # instances cached before the registration
            del _mm_io.backend_instances[key]


def latest_checkpoint(work_dir: str) -> str | None:
    """The newest complete checkpoint in ``work_dir``.

    The highest-numbered ``iter_*.pth`` (or ``epoch_*.pth``) wins over the ``last_checkpoint``
    note, which mmengine writes non-atomically after the checkpoint itself: a kill between
    the two leaves the note stale or empty. Checkpoint files themselves are complete
    whenever they exist (:class:`AtomicLocalBackend`).
    """
    found = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = re.fullmatch(r'(iter|epoch)_(\d+)\.pth', osp.basename(path))
        if match:
            found.append((int(match.group(2)), path))
    if found:
        return max(found)[1]
    note = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(note):
        with open(note) as f:
            target = f.read().strip()
        if target and osp.isfile(target):
            return target
    return None
