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
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio import io as _mm_io
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import is_model_wrapper

from toolbox.models.distributed import unwrap
from toolbox.fileio import atomic_write
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
    ``TOOLBOX_ALLOW_UNSAFE_CHECKPOINTS=1`` is set and the file is local. An empty,
    truncated or corrupt file raises :class:`CheckpointLoadError` naming it."""
    from mmengine.runner.checkpoint import _load_checkpoint
    if osp.isfile(filename) and osp.getsize(filename) == 0:
        raise CheckpointLoadError(f'checkpoint {filename} is empty (0 bytes)')
    try:
        checkpoint = _load_checkpoint(filename, map_location=map_location)
    except pickle.UnpicklingError as exc:
        # garbage, not a pickled object (a plain ``pickle.dump`` file has no global in
        # torch's message, only an opcode the weights-only reader does not take)
        if 'global' not in str(exc).lower() and not _is_plain_pickle(filename):
            raise _corrupt(filename, exc) from exc
        if os.environ.get(ENV_UNSAFE, '') == '1' and osp.isfile(filename):
            return torch.load(filename, map_location=map_location, weights_only=False)
        raise CheckpointLoadError(
            f'checkpoint {filename} holds Python objects beyond tensors and numbers, so it is '
            'not loaded: unpickling them could run code hidden in the file. Checkpoints '
            'saved by the toolbox never need this. If you trust the file, set '
            f'{ENV_UNSAFE}=1 to load it anyway, or re-save it as a plain state dict.') from exc
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (RuntimeError, EOFError, KeyError, ValueError, OSError, AttributeError,
            IndexError, TypeError) as exc:     # torch's readers fail in many ways
        raise _corrupt(filename, exc) from exc
    if not isinstance(checkpoint, dict):
        raise CheckpointLoadError(f'checkpoint {filename} holds a {type(checkpoint).__name__}, '
                                  'not a dict of weights')
    return checkpoint


def _is_plain_pickle(filename: str) -> bool:
    """Whether a local ``filename`` is one whole pickle stream (``pickle.dump``, not
    torch's zip format), checked by reading its opcodes, which runs nothing."""
    import pickletools
    import zipfile
    if not osp.isfile(filename) or zipfile.is_zipfile(filename):
        return False
    try:
        with open(filename, 'rb') as f:
            for _ in pickletools.genops(f):     # stops after the STOP opcode
                pass
    except Exception:  # noqa: BLE001 - any parse failure means: not a pickle
        return False
    return True


def _reason(exc: BaseException, limit: int = 160) -> str:
    """The informative part of a reader's message, on one line, cut at a word."""
    text = str(exc)
    if 'WeightsUnpickler error:' in text:    # torch's advice first, the cause after it
        text = text.split('WeightsUnpickler error:', 1)[1]
    text = (text.strip().splitlines() or [''])[0].strip()
    if len(text) > limit:
        text = text[:limit].rsplit(' ', 1)[0] + ' ...'
    return text


def _corrupt(filename: str, exc: BaseException) -> CheckpointLoadError:
    return CheckpointLoadError(f'checkpoint {filename} cannot be read: it is truncated, '
                               f'corrupt or not a checkpoint ({type(exc).__name__}: '
                               f'{_reason(exc)})')


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
    live = strip_wrapper_prefixes(model.state_dict(), wrapper_prefixes(model))
    expected, given = set(live), set(state)
    missing, unexpected = sorted(expected - given), sorted(given - expected)

    def show(keys):
        return ', '.join(keys[:8]) + (f' ... ({len(keys)} in all)' if len(keys) > 8 else '')
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f'missing keys: {show(missing)}')
        if unexpected:
            parts.append(f'unexpected keys: {show(unexpected)}')
        raise CheckpointMismatchError(
            f'checkpoint {filename} does not fit the model {type(model).__name__}: '
            + '; '.join(parts) + '. Was it saved by another config?')
    shapes = [f'{k} is {list(v.shape)} in the file but {list(live[k].shape)} in the model'
              for k, v in state.items() if isinstance(v, torch.Tensor)
              and isinstance(live[k], torch.Tensor) and v.shape != live[k].shape]
    if shapes:
        raise CheckpointMismatchError(
            f'checkpoint {filename} does not fit the model {type(model).__name__}: '
            + '; '.join(shapes[:3]) + (f' ... ({len(shapes)} in all)' if len(shapes) > 3 else '')
            + '. Was it saved by another config (other widths)?')


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
    """mmengine's local file backend, but every write is atomic (:func:`toolbox.fileio.atomic_write`):
    a process killed while saving leaves the previous file intact, never a truncated
    checkpoint that resume would pick up."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write(filepath, obj)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write(filepath, obj.encode(encoding))


def install_atomic_local_backend() -> None:
    """Make mmengine write local files atomically (process-wide; idempotent).

    Plain paths (no ``scheme://``) resolve through the backend of the prefix ``''``, not
    through the name ``'local'``: both are replaced, and cached instances are dropped.
    """
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    for key, backend in list(_mm_io.backend_instances.items()):
        if type(backend) is LocalBackend:   # instances cached before the registration
            del _mm_io.backend_instances[key]


@HOOKS.register_module()
class ToolboxCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook``, in an order that a kill at any moment survives.

    mmengine deletes the oldest checkpoint (``max_keep_ckpts``) *before* writing the new
    one, and writes the ``last_checkpoint`` note with a plain ``open``: a kill in between
    leaves one checkpoint fewer than promised (with ``max_keep_ckpts=1``: none) and a note
    naming a deleted file. Here the new checkpoint is written first, then the note
    (atomically), and only then the old checkpoint is deleted. The toolbox runner uses this
    hook in place of a configured ``CheckpointHook``.
    """

    def _save_checkpoint_with_step(self, runner, step, meta):
        doomed = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids
                                            and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                doomed.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(self.out_dir, ckpt_filename, self.file_client_args,
                               save_optimizer=self.save_optimizer,
                               save_param_scheduler=self.save_param_scheduler, meta=meta,
                               by_epoch=self.by_epoch, backend_args=self.backend_args,
                               **self.args)
        if not is_main_process():
            return
        atomic_write(osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt.encode())
        if self.max_keep_ckpts > 0 and self.keep_ckpt_ids:   # the list exists only then
            doomed += self._orphans(min(self.keep_ckpt_ids))
        for old in doomed:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):   # deepspeed saves folders
                self.file_backend.rmtree(path)

    def _orphans(self, oldest_kept: int) -> list[int]:
        """Steps of older checkpoints a kill left between a save and its pruning (the
        resumed run's list of kept checkpoints does not name them)."""
        if not osp.isdir(str(self.out_dir)) or self.filename_tmpl.count('{}') != 1:
            return []
        pattern = re.compile(re.escape(self.filename_tmpl).replace(re.escape('{}'), r'(\d+)'))
        steps = []
        for name in os.listdir(str(self.out_dir)):
            match = pattern.fullmatch(name)
            if match and int(match.group(1)) < oldest_kept:
                steps.append(int(match.group(1)))
        return steps


def checkpoint_candidates(work_dir: str) -> list[str]:
    """The checkpoints of ``work_dir``, newest first.

    Numbered files (``iter_*.pth``, ``epoch_*.pth``) by number, then the file the
    ``last_checkpoint`` note names if it is another one. The note alone is not trusted:
    an older mmengine wrote it after the checkpoint, non-atomically.
    """
    found = []
    for path in glob.glob(osp.join(glob.escape(work_dir), '*.pth')):
        match = re.fullmatch(r'(iter|epoch)_(\d+)\.pth', osp.basename(path))
        if match:
            found.append((int(match.group(2)), path))
    paths = [p for _, p in sorted(found, reverse=True)]
    target = read_note(work_dir)
    if target and osp.isfile(target) and not any(osp.samefile(target, p) for p in paths):
        paths.append(target)
    return paths


def read_note(work_dir: str) -> str | None:
    """The path in ``work_dir/last_checkpoint`` (``''`` when empty), ``None`` without a note."""
    note = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(note):
        return None
    with open(note, encoding='utf-8', errors='replace') as f:
        return f.read().strip()


def latest_checkpoint(work_dir: str) -> str | None:
    """The newest checkpoint file of ``work_dir`` (see :func:`checkpoint_candidates`)."""
    paths = checkpoint_candidates(work_dir)
    return paths[0] if paths else None


def learned_networks(model: torch.nn.Module) -> list[str]:
    """Class names of the networks of ``model`` (its direct children, the elements of a
    per-stage list) that hold parameters: generators, denoisers, discriminators. The
    classical baselines have none, so they need no checkpoint."""
    children = [m for child in model.children()
                for m in (child if isinstance(child, torch.nn.ModuleList) else [child])]
    return sorted({type(child).__name__ for child in children
                   if next(child.parameters(), None) is not None})


def has_learned_weights(model: torch.nn.Module) -> bool:
    """Whether ``model`` needs trained weights (see :func:`learned_networks`)."""
    return bool(learned_networks(model))
