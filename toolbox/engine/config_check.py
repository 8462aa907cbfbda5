"""Checking the parts of a training config that mmengine's Runner builds itself.

The toolbox checks its own components (model, datasets, optimizers) against their
constructors when they are built. The Runner's own objects are built late and take
``**kwargs`` in places, so a misspelled key surfaces far from its cause:
``default_hooks.checkpoint.intervl=5`` reached ``Runner.save_checkpoint`` at the first save,
after every iteration of training; ``train_cfg.max_iter`` and
``train_dataloader.batch_sise`` ended 300-line tracebacks; ``batch_size=0`` and
``max_iters=-5`` either crashed or trained nothing. :func:`check_training_config` checks
hooks (default and custom), loops, dataloaders and their samplers, optimiser wrappers,
parameter schedulers, the visualiser, the log processor, ``env_cfg`` and ``randomness``
against the signatures of the classes their ``type`` resolves to, before anything is
built.
"""
from __future__ import annotations

import difflib
import inspect
from collections.abc import Mapping, Sequence

from toolbox.builder import ConfigKeywordError, UnknownComponentError, config_path

__all__ = ['ConfigValueError', 'check_training_config', 'accepted_keywords']


class ConfigValueError(ValueError):
    """A config value that cannot work (a batch size of 0, negative iterations)."""


# Classes whose ``**kwargs`` go nowhere a user could add to: CheckpointHook hands them to
# ``Runner.save_checkpoint``, which already receives every argument it takes from the hook.
_KWARGS_ABSORBED = ('CheckpointHook',)

# Keys of the dataloader dict that mmengine's ``Runner.build_dataloader`` consumes itself;
# the rest go to ``torch.utils.data.DataLoader``.
_DATALOADER_OWN = ('dataset', 'sampler', 'batch_sampler', 'collate_fn', 'worker_init_fn',
                   'disable_subprocess_warning')
# Keys of ``env_cfg`` and ``randomness`` the Runner reads (``setup_env``, ``set_randomness``).
_ENV_KEYS = ('cudnn_benchmark', 'mp_cfg', 'dist_cfg', 'resource_limit')
_RANDOMNESS_KEYS = ('seed', 'deterministic', 'diff_rank_seed')

# Values that must be whole numbers of at least this much.
_AT_LEAST = {'max_iters': 1, 'max_epochs': 1, 'val_interval': 1, 'val_begin': 0,
             'batch_size': 1, 'num_workers': 0, 'accumulative_counts': 1, 'window_size': 1,
             'interval': 1, 'max_keep_ckpts': -1, 'save_begin': 0}


def _registries():
    # mmengine registers its own hooks, loops and wrappers when these modules are imported;
    # the toolbox registries find them through their parents.
    import mmengine.hooks  # noqa: F401
    import mmengine.optim  # noqa: F401
    import mmengine.runner  # noqa: F401
    import mmengine.visualization  # noqa: F401

    from toolbox import registry
    return registry


def accepted_keywords(cls) -> tuple[list[str], list[str]] | None:
    """``(accepted, required)`` keyword names of ``cls``'s constructor, following
    ``**kwargs`` up the MRO (``AmpOptimWrapper(**kwargs)`` -> ``OptimWrapper``), or ``None``
    when anything is accepted (``**kwargs`` that reach ``object``)."""
    accepted: list[str] = []
    required: list[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        if klass is object:
            return None
        try:
            params = list(inspect.signature(init).parameters.values())[1:]   # no self
        except (TypeError, ValueError):
            return None
        first = klass is cls.__mro__[0] or not any(
            c.__dict__.get('__init__') for c in cls.__mro__[:cls.__mro__.index(klass)])
        for p in params:
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in accepted:
                accepted.append(p.name)
                # only the first constructor's: a mixin may fill in its parent's
                # (mmengine's MultiStepLR passes param_name='lr')
                if p.default is p.empty and first:
                    required.append(p.name)
        if not any(p.kind is p.VAR_KEYWORD for p in params) or klass.__name__ in _KWARGS_ABSORBED:
            return accepted, required
    return None


def _check_value(path: str, key: str, value, cls=None) -> None:
    if key not in _AT_LEAST or value is None:
        return
    least = _AT_LEAST[key]
    default = None
    if cls is not None:
        try:
            default = inspect.signature(cls).parameters.get(key)
            default = None if default is None else default.default
        except (TypeError, ValueError):
            pass
    if key == 'interval' and value == -1 and default == -1:
        return                                            # CheckpointHook: -1 means never
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        need = 'a positive whole number' if least == 1 else f'a whole number >= {least}'
        raise ConfigValueError(f'{path}.{key} must be {need}, got {value!r}')


def _check_keys(cls, cfg: Mapping, path: str, *, given=(), what=None) -> None:
    """Unknown keys of ``cfg`` (a dict built into ``cls``) and impossible values."""
    found = accepted_keywords(cls)
    keys = [k for k in cfg if k not in ('type', '_scope_')]
    name = what or getattr(cls, '__name__', str(cls))
    if found is not None:
        accepted, required = found
        for key in keys:
            if key not in accepted:
                close = difflib.get_close_matches(key, accepted, n=1, cutoff=0.6)
                hint = f'; did you mean {close[0]!r}?' if close else ''
                raise ConfigKeywordError(
                    f'{path}.{key}: {name} has no key {key!r}{hint} '
                    f'(it takes: {", ".join(a for a in accepted if a not in given)})')
        missing = [r for r in required if r not in cfg and r not in given]
        if missing:
            raise ConfigKeywordError(f'{path}: {name} needs ' + ', '.join(
                repr(m) for m in missing))
    for key in keys:
        _check_value(path, key, cfg[key], cls)


def _resolve(registry, cfg: Mapping, path: str, default: str | None = None):
    kind = cfg.get('type', default)
    if not isinstance(kind, str):
        return kind if inspect.isclass(kind) else None
    with config_path(path):
        try:
            return registry.get(kind)
        except UnknownComponentError:
            raise
        except KeyError as exc:
            raise UnknownComponentError(registry, kind) from exc


def _component(registry, cfg, path: str, *, default: str | None = None, given=()) -> None:
    if not isinstance(cfg, Mapping):
        return
    cls = _resolve(registry, cfg, path, default)
    if inspect.isclass(cls):
        _check_keys(cls, cfg, path, given=given)


def _check_hooks(reg, cfg) -> None:
    default_hooks = cfg.get('default_hooks') or {}
    if isinstance(default_hooks, Mapping):
        for name, hook in default_hooks.items():
            _component(reg.HOOKS, hook, f'default_hooks.{name}')
    custom = cfg.get('custom_hooks') or []
    if isinstance(custom, Sequence) and not isinstance(custom, str):
        for i, hook in enumerate(custom):
            _component(reg.HOOKS, hook, f'custom_hooks[{i}]')


def _check_loops(reg, cfg) -> None:
    train = cfg.get('train_cfg')
    if isinstance(train, Mapping):
        if 'type' in train:
            _component(reg.LOOPS, train, 'train_cfg', given=('runner', 'dataloader'))
        else:   # mmengine picks the loop from by_epoch
            loop = 'EpochBasedTrainLoop' if train.get('by_epoch') else 'IterBasedTrainLoop'
            rest = {k: v for k, v in train.items() if k != 'by_epoch'}
            _check_keys(reg.LOOPS.get(loop), rest, 'train_cfg',
                        given=('runner', 'dataloader'))
    for key, loop in (('val_cfg', 'ValLoop'), ('test_cfg', 'TestLoop')):
        sub = cfg.get(key)
        if isinstance(sub, Mapping):
            _component(reg.LOOPS, sub, key, default=loop,
                       given=('runner', 'dataloader', 'evaluator'))


def _check_dataloaders(reg, cfg) -> None:
    from torch.utils.data import DataLoader
    accepted = list(inspect.signature(DataLoader).parameters)
    accepted += [k for k in _DATALOADER_OWN if k not in accepted]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if not isinstance(loader, Mapping):
            continue
        for name in loader:
            if name not in accepted:
                close = difflib.get_close_matches(name, accepted, n=1, cutoff=0.6)
                hint = f'; did you mean {close[0]!r}?' if close else ''
                raise ConfigKeywordError(f'{key}.{name}: a dataloader has no key {name!r}{hint}')
            _check_value(key, name, loader[name])
        _component(reg.DATA_SAMPLERS, loader.get('sampler'), f'{key}.sampler',
                   given=('dataset', 'seed'))
        _component(reg.DATA_SAMPLERS, loader.get('batch_sampler'), f'{key}.batch_sampler',
                   given=('sampler', 'batch_size'))


def _check_optim(reg, cfg) -> None:
    optim = cfg.get('optim_wrapper')
    if not isinstance(optim, Mapping):
        return
    if optim.get('constructor') == 'MultiOptimWrapperConstructor':
        subs = [(f'optim_wrapper.{name}', sub) for name, sub in optim.items()
                if isinstance(sub, Mapping) and 'optimizer' in sub]
    else:
        subs = [('optim_wrapper', {k: v for k, v in optim.items()
                                   if k not in ('constructor', 'paramwise_cfg')})]
    for path, sub in subs:
        rest = {k: v for k, v in sub.items() if k not in ('paramwise_cfg',)}
        _component(reg.OPTIM_WRAPPERS, rest, path, default='OptimWrapper')
    schedulers = cfg.get('param_scheduler')
    if isinstance(schedulers, Mapping):
        schedulers = [schedulers]
    if isinstance(schedulers, Sequence) and not isinstance(schedulers, str):
        for i, sched in enumerate(schedulers):
            _component(reg.PARAM_SCHEDULERS, sched, f'param_scheduler[{i}]',
                       given=('optimizer',))


def _check_plain(cfg, key: str, accepted: Sequence[str], prefix: str = '') -> None:
    section = cfg.get(key)
    if not isinstance(section, Mapping):
        return
    for name in section:
        if name not in accepted:
            close = difflib.get_close_matches(name, accepted, n=1, cutoff=0.6)
            hint = f'; did you mean {close[0]!r}?' if close else ''
            raise ConfigKeywordError(f'{prefix}{key}.{name}: {key} has no key {name!r}{hint} '
                                     f'(it takes: {", ".join(accepted)})')


def check_training_config(cfg) -> None:
    """Raise :class:`~toolbox.builder.ConfigKeywordError` (an unknown key, with a
    did-you-mean), :class:`~toolbox.builder.UnknownComponentError` (an unknown ``type``) or
    :class:`ConfigValueError` (an impossible value), naming the config path, for every
    section of ``cfg`` the Runner builds itself."""
    reg = _registries()
    _check_hooks(reg, cfg)
    _check_loops(reg, cfg)
    _check_dataloaders(reg, cfg)
    _check_optim(reg, cfg)
    visualizer = cfg.get('visualizer')
    if isinstance(visualizer, Mapping):
        _component(reg.VISUALIZERS, visualizer, 'visualizer')
        backends = visualizer.get('vis_backends') or []
        if isinstance(backends, Mapping):
            backends = [backends]
        for i, backend in enumerate(backends):
            _component(reg.VISBACKENDS, backend, f'visualizer.vis_backends[{i}]',
                       given=('save_dir',))
    log_processor = cfg.get('log_processor')
    if isinstance(log_processor, Mapping):
        _component(reg.LOG_PROCESSORS, log_processor, 'log_processor', default='LogProcessor')
    _check_plain(cfg, 'env_cfg', _ENV_KEYS)
    env = cfg.get('env_cfg')
    if isinstance(env, Mapping) and isinstance(env.get('mp_cfg'), Mapping):
        _check_plain(env, 'mp_cfg', ('mp_start_method', 'opencv_num_threads'), 'env_cfg.')
    _check_plain(cfg, 'randomness', _RANDOMNESS_KEYS)
