"""The models a server offers: the classical ones, and a folder of configs with checkpoints.

Convention of the models folder (``toolbox serve --models DIR``): ``DIR/NAME.py`` is a
config and ``DIR/NAME.pth`` its checkpoint; the model is offered as ``NAME``. A config
without a checkpoint is offered only when its model has no learned parameters (classical
methods); others are skipped with a warning. The built-in Telea and Navier-Stokes models
need no file at all.

A model that fails to load (a truncated checkpoint, a config with an error) is
``unavailable``: the failure is remembered, and answered at once, until its config or
checkpoint changes (modification time or size), when the next request loads it again.
"""
from __future__ import annotations

import os
import os.path as osp
import threading
import warnings
from dataclasses import dataclass

#: name -> (generator of the built-in model, description)
BUILTIN = {
    'telea': (dict(type='TeleaInpaint', radius=3),
              "OpenCV's fast-marching inpainting (Telea 2004); no weights"),
    'navier-stokes': (dict(type='NavierStokesInpaint', radius=3),
                      "OpenCV's Navier-Stokes inpainting (Bertalmio et al. 2001); no weights"),
}


def samples(model) -> bool:
    """Whether ``model`` (an instance or its class) draws a different completion for each
    seed: its declared ``stochastic`` (``BaseInpaintor``'s contract), whatever the method."""
    return bool(getattr(model, 'stochastic', False))


def _declared_sampling(config: str) -> bool:
    """``samples`` of the model class a config file names, without building it (its
    weights load on first use); False when the class cannot be found: the loaded model
    then says."""
    try:
        from mmengine.config import Config

        from toolbox.registry import MODELS
        return samples(MODELS.get(Config.fromfile(config).model['type']))
    except Exception:  # noqa: BLE001 -- only a hint for the page; loading reports errors
        return False


class ModelUnavailable(RuntimeError):
    """A model whose files cannot be loaded; the message names the model and the file."""


def check_device(device: str) -> None:
    """Refuse a CUDA device this machine does not have (``ConfigError``, one line)."""
    if not device.startswith('cuda'):
        return
    import torch

    from toolbox.apis.config import ConfigError
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    index = device.partition(':')[2]
    if count == 0:
        raise ConfigError(f'--device {device}: no CUDA GPU is available on this machine '
                          '(torch.cuda.is_available() is False); use --device cpu')
    if index and (not index.isdigit() or int(index) >= count):
        raise ConfigError(f'--device {device}: this machine has {count} CUDA GPU(s), '
                          f'cuda:0 to cuda:{count - 1}')


def _signature(*paths: str | None) -> tuple:
    """What identifies the files' current contents: (path, mtime, size) of each."""
    found = []
    for path in paths:
        if path is None:
            continue
        try:
            st = os.stat(path)
            found.append((path, st.st_mtime_ns, st.st_size))
        except OSError:
            found.append((path, None, None))
    return tuple(found)


@dataclass
class ModelEntry:
    name: str
    description: str
    #: config file, or None for a built-in model
    config: str | None = None
    checkpoint: str | None = None
    generator: dict | None = None
    #: the model-zoo name, for a zoo model (its checkpoint is the cached converted one)
    zoo: str | None = None
    #: whether the model samples (see :func:`samples`): from its class until it is loaded
    samples: bool = False

    def as_json(self, status: str = 'available', reason: str | None = None) -> dict:
        return dict(name=self.name, description=self.description, config=self.config,
                    checkpoint=self.checkpoint, builtin=self.config is None, status=status,
                    reason=reason, samples=self.samples)


def _builtin_config(generator: dict):
    from mmengine.config import Config
    # Never trained; the inpaintor requires a loss.
    return Config(dict(model=dict(type='GANInpaintor', generator=generator,
                                  losses=[dict(type='L1Loss')])))


class Catalog:
    """Model entries by name, and the models themselves, built on first use and kept."""

    def __init__(self, models_dir: str | None = None, device: str = 'cpu',
                 plain_configs: bool = False, models: tuple = (),
                 download: bool | None = None, zoo: bool = True) -> None:
        check_device(device)
        self.device = device
        #: accept only configs of plain values over a shipped config (see plain_configs.py)
        self.plain_configs = plain_configs
        self.entries: dict[str, ModelEntry] = {}
        self._models: dict[str, object] = {}
        #: name -> (the files' signature when loading failed, the reason)
        self._failures: dict[str, tuple[tuple, str]] = {}
        self._lock = threading.Lock()
        if models_dir is not None:
            if not osp.isdir(models_dir):
                raise FileNotFoundError(f'--models {models_dir} is not a folder')
            for entry in self._scan(models_dir):
                self.entries[entry.name] = entry
        # --model NAME: offered first (the default), zoo weights fetched now if allowed
        named = {}
        for text in models:
            entry = self._named(text, download)
            named[entry.name] = entry
        self.entries = {**named, **self.entries}
        for name, (generator, text) in BUILTIN.items():
            self.entries.setdefault(name, ModelEntry(name, text, generator=generator))
        if zoo:                         # the others: offered once their weights are present
            from toolbox.zoo import converted_path, zoo_entries
            for name, info in zoo_entries().items():
                self.entries.setdefault(name, ModelEntry(
                    name, f'{info["title"]} (model zoo; toolbox download {name})',
                    info['config'], converted_path(info), zoo=name))

    @staticmethod
    def _named(text: str, download: bool | None) -> ModelEntry:
        """The entry of ``--model TEXT``: a zoo name (weights fetched now, if allowed), a
        shipped config's name or a config file (training-free models only)."""
        from toolbox.zoo import resolve_model
        config, checkpoint, resolved = resolve_model(text, allow_download=download)
        name = resolved.name if resolved.kind != 'file' else osp.splitext(osp.basename(text))[0]
        print(f'toolbox serve: --model {text}: {resolved.describe()}', flush=True)
        return ModelEntry(name, resolved.describe(), config, checkpoint,
                          zoo=resolved.name if resolved.kind == 'zoo' else None)

    @staticmethod
    def _missing_weights(entry: ModelEntry) -> str | None:
        """For a zoo model whose converted weights are not in the cache: why not offered."""
        if entry.zoo is None:
            return None
        from toolbox.zoo import weights_present
        if weights_present(entry.zoo):
            return None
        return (f'model {entry.name!r}: its weights are not downloaded; run `toolbox download '
                f'{entry.zoo}` on the server')

    def _scan(self, folder: str) -> list[ModelEntry]:
        found = []
        for file in sorted(os.listdir(folder)):
            stem, ext = osp.splitext(file)
            if ext != '.py' or stem.startswith('_'):
                continue
            config, checkpoint = osp.join(folder, file), osp.join(folder, stem + '.pth')
            if self.plain_configs:
                from .plain_configs import PlainConfigError, check_plain_config
                try:
                    check_plain_config(config)
                except PlainConfigError as exc:
                    warnings.warn(f'models folder: skipped {exc}')
                    continue
            if osp.isfile(checkpoint):
                found.append(ModelEntry(stem, f'{file} with {stem}.pth', config, checkpoint,
                                        samples=_declared_sampling(config)))
                continue
            try:                       # offered only if it needs no weights
                model = self._build(config, None)
            except Exception as exc:   # noqa: BLE001 -- one bad config must not stop the rest
                warnings.warn(f'models folder: skipped {config}: {type(exc).__name__}: {exc}')
                continue
            self._models[stem] = model
            found.append(ModelEntry(stem, f'{file}; no weights', config,
                                    samples=samples(model)))
        return found

    def _build(self, config, checkpoint):
        from toolbox.apis import init_inpaintor
        if self.plain_configs and isinstance(config, str):   # again: it may have changed
            from .plain_configs import check_plain_config
            check_plain_config(config)
        return init_inpaintor(config, checkpoint, device=self.device)

    def names(self) -> list[str]:
        return list(self.entries)

    def failure(self, name: str) -> str | None:
        """Why ``name`` cannot be loaded, while its files are those that failed; else None."""
        entry = self.entries[name]
        missing = self._missing_weights(entry)
        if missing is not None:
            return missing
        failed = self._failures.get(name)
        if failed is None or failed[0] != _signature(entry.config, entry.checkpoint):
            return None
        return failed[1]

    def as_json(self) -> list[dict]:
        """Every entry with its status: ``available``, ``unavailable`` (and why) or
        ``downloadable`` (a zoo model whose weights are not downloaded yet)."""
        answer = []
        for name, entry in self.entries.items():
            reason = self.failure(name)
            status = 'available' if reason is None else 'unavailable'
            if self._missing_weights(entry) is not None:
                status = 'downloadable'
            answer.append(entry.as_json(status, reason))
        return answer

    def get(self, name: str):
        """The model ``name`` in eval mode (``KeyError`` if unknown; ``ModelUnavailable``
        if its files cannot be loaded, remembered until they change)."""
        entry = self.entries[name]
        with self._lock:
            if name in self._models:
                return self._models[name]
            reason = self.failure(name)
            if reason is not None:
                raise ModelUnavailable(reason)
            signature = _signature(entry.config, entry.checkpoint)
            try:
                if entry.config is None:
                    model = self._build(_builtin_config(entry.generator), None)
                else:
                    model = self._build(entry.config, entry.checkpoint)
            except Exception as exc:  # noqa: BLE001 -- any failure: the model is unavailable
                reason = self._reason(entry, exc)
                self._failures[name] = (signature, reason)
                raise ModelUnavailable(reason) from exc
            self._failures.pop(name, None)
            self._models[name] = model
            entry.samples = samples(model)
            return model

    @staticmethod
    def _reason(entry: ModelEntry, exc: Exception) -> str:
        """One line: the model, the file at fault and what is wrong with it."""
        from toolbox.engine import CheckpointLoadError, CheckpointMismatchError
        text = ' '.join(str(exc).split()) or type(exc).__name__
        checkpoint = isinstance(exc, (CheckpointLoadError, CheckpointMismatchError)) or (
            entry.checkpoint is not None and entry.checkpoint in text)
        file = entry.checkpoint if checkpoint else entry.config
        where = f' ({file})' if file else ''
        return (f'model {entry.name!r} cannot be loaded{where}: {type(exc).__name__}: '
                f'{text[:300]}')
