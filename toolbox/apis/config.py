"""Loading configs and preparing them for the Runner (shared by tools/*.py)."""
from __future__ import annotations

import ast
import datetime
import difflib
import os
import os.path as osp
import sys
from collections.abc import Mapping, Sequence

import torch
from mmengine.config import Config


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


class ProcessGroupError(RuntimeError):
    """This process could not join the distributed process group (a rank that never came,
    a wrong address); the message names the rendezvous and the timeout."""


def install_safe_yaml() -> None:
    """Make mmengine read YAML (``Config.fromfile('x.yaml')``, ``mmengine.load``) with
    ``yaml.safe_load``: its own handler uses PyYAML's full loader, which builds arbitrary
    Python objects from tags such as ``!!python/object/apply``."""
    import yaml
    from mmengine.fileio import register_handler
    from mmengine.fileio.handlers import YamlHandler

    @register_handler(['yaml', 'yml'])
    class SafeYamlHandler(YamlHandler):
        def load_from_fileobj(self, file, **kwargs):
            return yaml.safe_load(file)


def load_config(path: str, cfg_options: Mapping | Sequence[str] | None = None) -> Config:
    """Read a config file (Python; it is code and runs when loaded) and merge overrides.

    ``path``: a file, or a shipped config's name (``deepfillv2/places_256``; see
    :mod:`toolbox.config_names`), whose ``_base_`` entries may name shipped configs too.

    ``cfg_options``: a dict of dotted keys, or the ``KEY=VALUE`` strings of
    ``--cfg-options`` (see :func:`parse_cfg_options`).
    """
    from toolbox.config_names import UnknownNameError, resolve_config, shipped_bases
    try:
        path = resolve_config(path).path
    except UnknownNameError as exc:
        raise ConfigError(str(exc)) from None
    install_safe_yaml()
    try:
        with shipped_bases():
            cfg = Config.fromfile(path)
    except Exception as exc:  # syntax errors, missing _base_ files ...
        raise ConfigError(f'config file {path} cannot be loaded: {type(exc).__name__}: '
                          f'{exc}') from exc
    if cfg_options:
        if not isinstance(cfg_options, Mapping):
            cfg_options = parse_cfg_options(cfg_options, cfg)
        check_overrides(cfg, cfg_options)
        cfg.merge_from_dict(dict(cfg_options))
    if 'model' not in cfg:
        raise ConfigError(f'config file {path} defines no `model`')
    return cfg


_MISSING = object()


def _lookup(cfg, key: str):
    node = cfg
    for part in key.split('.'):
        if (isinstance(node, (Mapping, Config))) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _balanced(text: str) -> bool:
    depth = []
    pairs = {')': '(', ']': '['}
    for char in text:
        if char in '([':
            depth.append(char)
        elif char in ')]':
            if not depth or depth.pop() != pairs[char]:
                return False
    return not depth


def _literal(item: str, key: str, raw: str):
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    text = raw.strip()
    if text[:1] in ('[', '('):
        if not _balanced(text):
            raise ConfigError(f'--cfg-options {item}: the brackets of {key} do not match')
        from mmengine.config import DictAction
        return DictAction._parse_iterable(text)     # bare words: [a,b] -> ['a', 'b']
    return raw


def _fit(item: str, key: str, raw: str, value, current):
    """``value`` checked against the type of the config's ``current`` value."""
    if current is _MISSING or current is None:
        return value

    def wrong(expected: str):
        return ConfigError(f'--cfg-options {item}: {key} is {expected} in the config '
                           f'({current!r}), got {raw!r}')
    if isinstance(current, bool):
        if isinstance(value, bool):
            return value
        if raw.strip().lower() in ('true', 'false'):
            return raw.strip().lower() == 'true'
        raise wrong('True or False')
    if isinstance(current, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise wrong('an integer')
    if isinstance(current, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise wrong('a number')
    if isinstance(current, str):
        return value if isinstance(value, str) else raw     # the text exactly as given
    if isinstance(current, (list, tuple)):
        if isinstance(value, str) and ',' in value:
            from mmengine.config import DictAction
            value = DictAction._parse_iterable(value)
        if isinstance(value, (list, tuple)):
            return value
        raise wrong('a list')
    if isinstance(current, Mapping):
        if isinstance(value, Mapping):
            return value
        raise wrong('a dict')
    return value


def parse_cfg_options(items: Sequence[str], cfg=None) -> dict:
    """``{key: value}`` from ``KEY=VALUE`` strings, raising :class:`ConfigError` naming the
    item at fault.

    A value is a Python literal when it parses as one (``8``, ``1e-4``, ``'text'``,
    ``[1, 2]``, ``(64, 64)``, ``None``); a bracketed list of bare words (``[a,b]``) is a
    list of strings; anything else is the text as given, spaces included. With ``cfg``,
    a value must have the type of the value it replaces (an integer for an integer, ...),
    and replaces a string as the text given.
    """
    out = {}
    for item in items:
        key, sep, raw = item.partition('=')
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f'--cfg-options {item!r}: expected KEY=VALUE')
        value = _literal(item, key, raw)
        if cfg is not None:
            value = _fit(item, key, raw, value, _lookup(cfg, key))
        out[key] = value
    return out


def config_name(config_path: str) -> str:
    """A config's name for work dirs, tables and benchmark rows: its file name, and for a
    config in a method's folder ``configs/<m>/NAME.py`` ``<m>_NAME``, so that every
    method's ``demo.py`` gets a name of its own. A shipped config, named by its path or its
    name (``deepfillv2/demo``), gets its name with ``_`` for ``/``, wherever it is installed."""
    from toolbox.config_names import config_root, flat_name
    root = config_root()
    full = osp.abspath(config_path) if osp.isfile(config_path) else \
        osp.join(root, f'{config_path[:-3] if config_path.endswith(".py") else config_path}.py')
    if osp.isfile(full) and osp.commonpath([full, root]) == root:
        return flat_name(osp.splitext(osp.relpath(full, root))[0].replace(osp.sep, '/'))
    stem = osp.splitext(osp.basename(config_path))[0]
    folder = osp.dirname(osp.abspath(config_path))
    if osp.basename(osp.dirname(folder)) == 'configs':
        stem = f'{osp.basename(folder)}_{stem}'
    return stem


def default_work_dir(config_path: str) -> str:
    """``work_dirs/<config name>`` (:func:`config_name`)."""
    return osp.join('work_dirs', config_name(config_path))
#: Top-level keys that mmengine's Runner (``Runner.from_cfg`` and the ``cfg.get`` calls in
#: its methods) and the toolbox read. Every other top-level key is a helper variable of
#: the config file (``data_root``, ``size``, ``train_pipeline``).
RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
    'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler',
    'val_evaluator', 'test_evaluator', 'default_hooks', 'custom_hooks', 'data_preprocessor',
    'load_from', 'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level', 'visualizer',
    'default_scope', 'randomness', 'experiment_name', 'runner_type', 'model_wrapper_cfg',
    'sync_bn', 'find_unused_parameters', 'activation_checkpointing', 'efficient_conv_bn_eval',
    'compile', 'strategy')

#: Sections whose keys nothing checks, because they are passed on as they are (to
#: ``init_process_group`` and to the model wrapper): ``--cfg-options`` may add any key
#: there (``env_cfg.dist_cfg.timeout=60``). Every other section is checked.
FREE_FORM_SECTIONS = ('env_cfg.dist_cfg', 'model_wrapper_cfg')


def _paths(node, prefix=''):
    """``(dotted path, value)`` of every entry below ``node``."""
    if isinstance(node, Mapping):
        items = [(f'{prefix}.{k}' if prefix else str(k), v) for k, v in node.items()]
    elif isinstance(node, (list, tuple)):
        items = [(f'{prefix}.{i}', v) for i, v in enumerate(node)]
    else:
        return
    for path, value in items:
        yield path, value
        yield from _paths(value, path)


def _computed_from(cfg, helper: str) -> list[str]:
    """Config keys whose values were probably computed from the helper variable: equal to
    its value, or, for a string, containing it (``data_root + '/train.txt'``)."""
    value = cfg[helper]
    found = []
    for path, other in _paths({k: v for k, v in cfg.items() if k in RUNNER_KEYS}):
        same = other == value and type(other) is type(value)
        inside = (isinstance(value, str) and len(value) > 1 and isinstance(other, str)
                  and value in other)
        if (same or inside) and not any(path.startswith(f + '.') for f in found):
            found.append(path)
    return found


def check_overrides(cfg, overrides: Mapping) -> None:
    """Refuse ``--cfg-options`` keys that would change nothing, with one line each:

    * a key whose first part is nowhere in the config and not read by the Runner
      (``foo.bar=1``);
    * a top-level helper variable (``data_root``, ``size``, ``train_mask``): the config
      used it when it was read, so changing it now changes nothing; the error names the
      keys computed from it, which are the ones to set.

    Unknown keys inside known sections are caught by the checks of the sections themselves
    (``toolbox.engine.config_check``, the component builders).
    """
    for key in overrides:
        top = str(key).split('.')[0]
        if top in RUNNER_KEYS:
            continue
        if top not in cfg:
            known = sorted(set(cfg.keys()) | set(RUNNER_KEYS))
            close = difflib.get_close_matches(top, known, n=1, cutoff=0.6)
            hint = f'; did you mean {close[0]!r}?' if close else ''
            raise ConfigError(f'--cfg-options {key}: the config has no {top!r} and nothing '
                              f'reads it{hint}')
        targets = _computed_from(cfg, top)
        instead = (f'set {", ".join(targets)} instead' if targets else
                   'no other key holds its value')
        raise ConfigError(
            f'--cfg-options {key}: {top!r} is a helper variable of the config file, used '
            f'only while the file was read; changing it now changes nothing: {instead}')


def set_work_dir(cfg: Config, config_path: str, work_dir: str | None = None) -> str:
    """``work_dir`` if given, else the config's own, else :func:`default_work_dir`."""
    cfg.work_dir = work_dir or cfg.get('work_dir') or default_work_dir(config_path)
    return cfg.work_dir


def apply_amp(cfg: Config) -> None:
    """Switch every optimizer wrapper of ``cfg`` to mixed precision.

    On CUDA this is mmengine's ``AmpOptimWrapper`` (float16 with loss scaling); on the CPU,
    where that wrapper refuses to run, the toolbox's bfloat16 ``CPUAutocastOptimWrapper``.
    """
    wrapper = 'AmpOptimWrapper' if torch.cuda.is_available() else 'CPUAutocastOptimWrapper'
    optim = cfg.get('optim_wrapper')
    if optim is None:
        raise ConfigError('--amp: the config has no optim_wrapper')
    if optim.get('constructor') == 'MultiOptimWrapperConstructor':
        for key, sub in optim.items():
            if isinstance(sub, dict) and 'optimizer' in sub:
                sub['type'] = wrapper
    else:
        optim['type'] = wrapper


def setup_launcher(cfg: Config, launcher: str) -> None:
    """Prepare distributed training. On a machine without CUDA, mmengine's own setup
    calls ``torch.cuda.set_device`` and fails, so the gloo process group is created here
    first (mmengine then skips its own), and the sub-modules are wrapped separately, which
    a two-optimizer GAN step needs (per stage for a progressive inpaintor)."""
    cfg.launcher = launcher
    if launcher == 'none':
        return
    if launcher == 'slurm' and 'RANK' not in os.environ:
        # mmengine's slurm setup reads SLURM_* variables itself.
        return
    import torch.distributed as dist
    if not torch.cuda.is_available() and not dist.is_initialized():
        # mmengine passes dist_cfg (timeout included) to the process group only on its
        # own (CUDA) path; without it gloo waits 30 minutes for a rank that has stopped.
        options = process_group_options(cfg)
        try:
            dist.init_process_group(backend='gloo', **options)
        except (RuntimeError, ValueError) as exc:     # torch's DistError is a RuntimeError
            env = os.environ
            timeout = options.get('timeout')
            raise ProcessGroupError(
                f"rank {env.get('RANK', '?')} of {env.get('WORLD_SIZE', '?')} could not join "
                f"the gloo process group at {env.get('MASTER_ADDR', '?')}:"
                f"{env.get('MASTER_PORT', '?')} within "
                f"{f'{timeout.total_seconds():g} s' if timeout else 'the default timeout'} "
                f"(env_cfg.dist_cfg.timeout): {str(exc).splitlines()[0] if str(exc) else exc!r}"
                '; start every rank with the same MASTER_ADDR/MASTER_PORT') from exc
    wrapper = cfg.get('model_wrapper_cfg') or {}
    # scoped: mmengine's Runner looks the type up in its root registry
    wrapper.setdefault('type', 'toolbox.StagewiseDistributedDataParallel')
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters', False)
    if not torch.cuda.is_available():
        # mmengine passes device_ids=[local_rank], which DDP rejects for CPU modules.
        wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper


def process_group_options(cfg: Config) -> dict:
    """``init_process_group`` keywords from ``env_cfg.dist_cfg``: its ``timeout`` (seconds)."""
    dist_cfg = (cfg.get('env_cfg') or {}).get('dist_cfg') or {}
    timeout = dist_cfg.get('timeout')
    if timeout is None:
        return {}
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ConfigError(f'env_cfg.dist_cfg.timeout must be a number of seconds, got '
                          f'{timeout!r}')
    return {'timeout': datetime.timedelta(seconds=timeout)}


#: Set by ``tools/dist_train.sh``: the file rank 0 writes once every process has finished
#: (see :func:`shutdown_distributed`).
COMPLETION_MARKER_ENV = 'TOOLBOX_COMPLETION_MARKER'


def stop_dataloader_workers(runner) -> None:
    """Stop the worker processes of every dataloader iterator the runner's loops hold
    (persistent workers, and the iterator an iteration-based loop keeps across epochs)."""
    for name in ('_train_loop', '_val_loop', '_test_loop'):
        loop = getattr(runner, name, None)
        if loop is None or isinstance(loop, Mapping):      # a loop that was never built
            continue
        for holder in (getattr(loop, 'dataloader', None),
                       getattr(loop, 'dataloader_iterator', None)):
            iterator = getattr(holder, '_iterator', None)
            if hasattr(iterator, '_shutdown_workers'):
                iterator._shutdown_workers()
                holder._iterator = None


def shutdown_distributed(runner=None) -> bool:
    """End a run in order: the dataloader workers, then a barrier, then the process group.

    Returns whether a process group was closed; the caller should then end the process
    with :func:`exit_after_distributed`. Without the barrier, a process that finishes
    first can exit while gloo's threads still talk to the others. After the barrier,
    rank 0 writes the completion marker named by ``$TOOLBOX_COMPLETION_MARKER`` (when
    set): evidence for the launcher that every process finished its work.
    """
    if runner is not None:
        stop_dataloader_workers(runner)
    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        return False
    dist.barrier()
    marker = os.environ.get(COMPLETION_MARKER_ENV)
    if marker and dist.get_rank() == 0:
        # written before the group is closed: a rank that aborts while closing it makes
        # torchrun stop the others, and the evidence must already exist by then
        with open(marker, 'w') as f:
            f.write('every process finished and passed the final barrier\n')
    dist.destroy_process_group()
    return True


def exit_after_distributed(code: int):
    """End a process whose process group :func:`shutdown_distributed` closed, skipping the
    interpreter's teardown.

    torch's ``DistributedDataParallel`` keeps a reference to the gloo process group after
    ``destroy_process_group`` (its ``pt_gloo_runloop`` and ``gloo_tcp_loop`` threads stay
    alive), so the group is torn down during interpreter finalisation, in no defined order
    with the threads still running; now and then that aborts the process
    ("terminate called without an active exception", SIGABRT) after a run that
    succeeded. Everything the run wrote is flushed first.
    """
    import logging
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
