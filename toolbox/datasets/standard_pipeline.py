"""The standard inpainting data pipeline, built from a few dataset keys.

A config sets ``mask=``, ``crop_size=`` (and, rarely, ``resize=``, ``random_crop=``,
``flip=``, ``guidance=``) on its dataset instead of writing the transform list. mmengine
merges dicts key by key but replaces lists whole, so a mask buried in a ``pipeline`` list
forced every config that changed it to repeat the list; a dataset key is one line in a
config that inherits the rest.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence


def standard_pipeline(crop_size: int | None = None,
                      mask: dict | None = None,
                      test_mode: bool = False,
                      resize: dict | None = None,
                      random_crop: bool = True,
                      flip: bool = True,
                      guidance: Sequence[dict] = (),
                      guidance_keys: Sequence[str] | None = None,
                      load_mask: bool = False) -> list[dict]:
    """The transform configs of the standard pipeline.

    Training (``test_mode=False``): load, ``resize`` (a transform config run first, e.g.
    ``RandomResize`` for scale augmentation), a random ``crop_size`` crop (or, with
    ``random_crop=False``, the whole image resized to it), a horizontal flip (``flip``),
    the ``guidance`` transforms, the mask, pack. Evaluation (``test_mode=True``): load,
    resize to ``crop_size`` squared, the ``guidance`` transforms, the mask drawn
    deterministically per sample, pack.

    The mask is drawn by the ``MASK_GENERATORS`` config ``mask``; with ``load_mask`` (a
    dataset with ``mask_dir=`` and no ``mask``) it is read from the mask folder instead.
    ``guidance_keys`` are passed to ``PackInpaintingInputs`` (e.g. ``('edge',)``).
    """
    pipeline = [dict(type='LoadImage')]
    if crop_size is not None:
        square = dict(type='Resize', scale=(crop_size, crop_size), keep_ratio=False)
        if test_mode:
            pipeline.append(square)
        else:
            if resize is not None:
                pipeline.append(copy.deepcopy(dict(resize)))
            pipeline.append(dict(type='RandomCrop', size=crop_size) if random_crop else square)
    if flip and not test_mode:
        pipeline.append(dict(type='RandomFlip', prob=0.5, direction='horizontal'))
    pipeline += [copy.deepcopy(dict(t)) for t in guidance]
    if mask is not None:
        step = dict(type='GenerateMask', generator=copy.deepcopy(dict(mask)))
        if test_mode:
            step['deterministic'] = True
        pipeline.append(step)
    elif load_mask:
        pipeline.append(dict(type='LoadMask'))
    pack = dict(type='PackInpaintingInputs')
    if guidance_keys is not None:
        pack['guidance_keys'] = tuple(guidance_keys)
    pipeline.append(pack)
    return pipeline


#: the dataset keys :func:`standard_pipeline` reads
PIPELINE_KEYS = ('crop_size', 'mask', 'resize', 'random_crop', 'flip', 'guidance',
                 'guidance_keys')


def dataset_pipeline(dataset: dict) -> list[dict]:
    """The transform configs that the dataset config ``dataset`` runs: its ``pipeline``, or
    the standard pipeline built from its keys (as :class:`ImageFolderDataset` builds it)."""
    if dataset.get('pipeline') is not None:
        return [dict(t) for t in dataset['pipeline']]
    return standard_pipeline(test_mode=bool(dataset.get('test_mode', False)),
                             load_mask=dataset.get('mask_dir') is not None,
                             **{k: dataset[k] for k in PIPELINE_KEYS if k in dataset})
