"""Converting released checkpoints of other projects into toolbox checkpoints.

``convert_weights('mmagic-deepfillv2', 'deepfillv2_places.pth', 'out.pth')`` reads the file
weights-only, checks that it is of that format (naming what it looks like when it is not),
builds the inpaintor of the format's config, maps every tensor onto it, checks every key
and shape, and writes a toolbox checkpoint that ``init_inpaintor``, ``tools/inpaint.py``,
``tools/evaluate.py`` and ``load_from=`` load strictly.

The formats are provided by plugins (registered in ``WEIGHT_CONVERTERS``); see
:func:`weight_formats`.
"""
from __future__ import annotations

import os
import os.path as osp

import torch

from toolbox.converters import (BaseWeightConverter, WeightConversionError,
                                read_foreign_checkpoint, source_state_dict, summarise_keys)

__all__ = ['convert_weights', 'convert_state_dict', 'weight_formats', 'find_converter',
           'WeightConversionError']

from toolbox.config_names import config_root

#: the shipped configs (the checkout's configs/, installed as the package toolbox_configs);
#: converted weights name their config relative to it
CONFIG_ROOT = config_root()


def weight_formats() -> dict[str, type[BaseWeightConverter]]:
    """``{format: converter class}`` of every registered converter."""
    from toolbox.registry import WEIGHT_CONVERTERS
    return {cls.format: cls for cls in WEIGHT_CONVERTERS.module_dict.values()}


def find_converter(source_format: str) -> BaseWeightConverter:
    formats = weight_formats()
    if source_format not in formats:
        import difflib
        close = difflib.get_close_matches(source_format, list(formats), n=1)
        hint = f'did you mean {close[0]!r}? ' if close else ''
        raise WeightConversionError(f'unknown source format {source_format!r}; {hint}'
                                    f'formats: {", ".join(sorted(formats)) or "none"}')
    return formats[source_format]()


def looks_like(state: dict, exclude: str | None = None) -> str:
    """What a state dict looks like: a registered format, a toolbox checkpoint, or its keys."""
    for fmt, cls in sorted(weight_formats().items()):
        if fmt != exclude and cls().matches(state):
            return f"a {fmt!r} checkpoint ({cls.source}): convert it with that format"
    if any(k.startswith('generator.') for k in state) and 'train_steps' in state:
        return 'a toolbox checkpoint (open it with its config, no conversion needed)'
    return f'another model: {summarise_keys(state)}'


def convert_state_dict(source_format: str, state: dict, model: torch.nn.Module, *,
                       filename: str = 'checkpoint',
                       allow_missing_discriminator: bool = False) -> tuple[dict, dict]:
    """``(state dict of model, notes)`` from a source state dict; every key and shape of
    ``model`` is checked. Without a discriminator in the source, ``model``'s own
    (freshly initialised) discriminator weights are kept if ``allow_missing_discriminator``."""
    converter = find_converter(source_format)
    if not converter.matches(state):
        raise WeightConversionError(f'{filename} is not a {source_format!r} checkpoint '
                                    f'({converter.source}); it looks like '
                                    f'{looks_like(state, source_format)}')
    converted = converter.convert(state, model)
    target = model.state_dict()
    unexpected = sorted(set(converted) - set(target))
    if unexpected:
        raise WeightConversionError(f'{filename}: converter {source_format!r} produced keys '
                                    f'the model lacks: {", ".join(unexpected[:4])}')
    for key, value in converted.items():
        if tuple(value.shape) != tuple(target[key].shape):
            raise WeightConversionError(
                f'{filename}: {key} is {list(value.shape)} in the file but '
                f'{list(target[key].shape)} in the model; is the config the one for this '
                f'checkpoint ({converter.config})?')
    missing = sorted(set(target) - set(converted))
    notes = {'format': source_format, 'source': converter.source}
    disc = [k for k in missing if k.startswith('discriminator.')]
    if disc:
        if len(disc) < sum(k.startswith('discriminator.') for k in target) or \
                not allow_missing_discriminator:
            raise WeightConversionError(
                f'{filename} has no (complete) discriminator for the config ({disc[0]} is '
                'missing); convert with allow_missing_discriminator (--no-discriminator) to '
                "keep the config's freshly initialised one")
        notes['discriminator'] = 'freshly initialised (not in the source)'
    # Engine state that no source has (the inpaintor's step counter) keeps its fresh value.
    others = [k for k in missing if not k.startswith('discriminator.')
              and not _is_engine_state(k)]
    if others:
        raise WeightConversionError(f'{filename}: {len(others)} weights of the model are not '
                                    f'in the file, e.g. {others[0]}')
    out = {k: (converted[k] if k in converted else v).detach().clone().contiguous()
           for k, v in target.items()}
    return out, notes


def _is_engine_state(key: str) -> bool:
    return '.' not in key           # the inpaintor's own buffers (train_steps)


def convert_weights(source_format: str, src: str, dst: str, config: str | None = None, *,
                    allow_missing_discriminator: bool = False,
                    provenance: dict | None = None) -> dict:
    """Convert ``src`` (a checkpoint of ``source_format``) into the toolbox checkpoint
    ``dst`` for ``config`` (default: the format's own config). Returns the notes stored
    in the checkpoint's ``meta`` (with ``provenance`` under ``'zoo'``: the model zoo's
    record of URL, hash and converter version). ``dst`` is written atomically and never
    equals ``src``."""
    from toolbox.builder import config_path
    from toolbox.registry import MODELS

    from .config import load_config
    converter = find_converter(source_format)
    if not osp.isfile(src):
        raise FileNotFoundError(f'{src}: no such file' if not osp.exists(src)
                                else f'{src} is not a file')
    if osp.abspath(src) == osp.abspath(dst):
        raise WeightConversionError(f'{dst}: the output must not overwrite the input')
    state = source_state_dict(read_foreign_checkpoint(src), src)
    if config is None:
        config = osp.join(CONFIG_ROOT, converter.config)
    cfg = load_config(config)
    with config_path('model'):
        model = MODELS.build(cfg.model)
    converted, notes = convert_state_dict(source_format, state, model, filename=src,
                                          allow_missing_discriminator=allow_missing_discriminator)
    notes.update(config=osp.relpath(config, osp.dirname(CONFIG_ROOT))
                 if osp.abspath(config).startswith(CONFIG_ROOT) else config,
                 converted_from=osp.basename(src))
    if provenance is not None:
        notes['zoo'] = dict(provenance)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    tmp = f'{dst}.tmp-{os.getpid()}'
    try:
        torch.save({'state_dict': converted, 'meta': dict(notes)}, tmp)
        os.replace(tmp, dst)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return notes
