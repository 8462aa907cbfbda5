"""The models a server offers: the classical ones, and a folder of configs with checkpoints.

Convention of the models folder (``toolbox serve --models DIR``): ``DIR/NAME.py`` is a
config and ``DIR/NAME.pth`` its checkpoint; the model is offered as ``NAME``. A config
without a checkpoint is offered only when its model has no learned parameters (classical
methods); others are skipped with a warning. The built-in Telea and Navier-Stokes models
need no file at all.
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


@dataclass
class ModelEntry:
    name: str
    description: str
    #: config file, or None for a built-in model
    config: str | None = None
    checkpoint: str | None = None
    generator: dict | None = None

    def as_json(self) -> dict:
        return dict(name=self.name, description=self.description, config=self.config,
                    checkpoint=self.checkpoint, builtin=self.config is None)


def _builtin_config(generator: dict):
    from mmengine.config import Config
    # Never trained; the inpaintor requires a loss.
    return Config(dict(model=dict(type='GANInpaintor', generator=generator,
                                  losses=[dict(type='L1Loss')])))


class Catalog:
    """Model entries by name, and the models themselves, built on first use and kept."""

    def __init__(self, models_dir: str | None = None, device: str = 'cpu') -> None:
        self.device = device
        self.entries: dict[str, ModelEntry] = {}
        self._models: dict[str, object] = {}
        self._lock = threading.Lock()
        if models_dir is not None:
            if not osp.isdir(models_dir):
                raise FileNotFoundError(f'--models {models_dir} is not a folder')
            for entry in self._scan(models_dir):
                self.entries[entry.name] = entry
        for name, (generator, text) in BUILTIN.items():
            self.entries.setdefault(name, ModelEntry(name, text, generator=generator))

    def _scan(self, folder: str) -> list[ModelEntry]:
        found = []
        for file in sorted(os.listdir(folder)):
            stem, ext = osp.splitext(file)
            if ext != '.py' or stem.startswith('_'):
                continue
            config, checkpoint = osp.join(folder, file), osp.join(folder, stem + '.pth')
            if osp.isfile(checkpoint):
                found.append(ModelEntry(stem, f'{file} with {stem}.pth', config, checkpoint))
                continue
            try:                       # offered only if it needs no weights
                model = self._build(config, None)
            except Exception as exc:   # noqa: BLE001 -- one bad config must not stop the rest
                warnings.warn(f'models folder: skipped {config}: {type(exc).__name__}: {exc}')
                continue
            self._models[stem] = model
            found.append(ModelEntry(stem, f'{file}; no weights', config))
        return found

    def _build(self, config, checkpoint):
        from toolbox.apis import init_inpaintor
        return init_inpaintor(config, checkpoint, device=self.device)

    def names(self) -> list[str]:
        return list(self.entries)

    def get(self, name: str):
        """The model ``name`` in eval mode (``KeyError`` if unknown)."""
        entry = self.entries[name]
        with self._lock:
            if name not in self._models:
                if entry.config is None:
                    self._models[name] = self._build(_builtin_config(entry.generator), None)
                else:
                    self._models[name] = self._build(entry.config, entry.checkpoint)
            return self._models[name]
