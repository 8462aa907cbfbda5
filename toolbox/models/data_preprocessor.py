"""Turns packed samples into the tensors the models use."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import BaseDataElement

from toolbox.registry import MODELS
from toolbox.value_range import to_model_range


@MODELS.register_module()
class InpaintingDataPreprocessor(BaseDataPreprocessor):
    """Stack, move to the device and normalise a batch from ``PackInpaintingInputs``.

    Input (collated by ``pseudo_collate`` or ``default_collate``, both accepted)::

        {'inputs': {'gt': uint8 [3, H, W] per sample, 'mask': uint8 [1, H, W] (1 = hole),
                    optional guidance such as 'sketch': uint8 [1, H, W]},
         'data_samples': {'img_path': [...], ...}}

    Output: ``{'gt': float [B, 3, H, W] in [-1, 1], 'mask': float {0, 1} [B, 1, H, W],
    'sketch': float [B, 1, H, W] in [0, 1], 'data_samples': list of per-sample dicts}``.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if not isinstance(inputs, Mapping) or 'gt' not in inputs or 'mask' not in inputs:
            raise ValueError('InpaintingDataPreprocessor: a batch needs inputs["gt"] and '
                             'inputs["mask"]; end the pipeline with PackInpaintingInputs')
        # float32 unless a caller sets torch's default (compare-training --dtype float64)
        dtype = torch.get_default_dtype()
        out: dict = {}
        for key, value in inputs.items():
            if isinstance(value, Sequence):
                value = torch.stack(list(value))
            value = self.cast_data(value)
            if key == 'gt':
                value = to_model_range(value)                 # [B, 3, H, W] in [-1, 1]
            elif key == 'mask':
                value = (value > 0).to(dtype)                 # [B, 1, H, W], 1 = hole
            elif value.dtype == torch.uint8:
                value = value.to(dtype) / 255.0               # guidance in [0, 1]
            out[key] = value
        # [-2:]: clips [B, T, C, H, W] pass through unchanged (toolbox.video)
        if out['mask'].shape[-2:] != out['gt'].shape[-2:]:
            raise ValueError(f'mask {list(out["mask"].shape)} and image '
                             f'{list(out["gt"].shape)} differ in size')
        out['data_samples'] = _unbatch(data.get('data_samples'), out['gt'].shape[0])
        return out


def _unbatch(samples, batch_size: int) -> list[dict]:
    if samples is None:
        return [{} for _ in range(batch_size)]
    if isinstance(samples, BaseDataElement):
        samples = [samples]
    return [dict(s.metainfo) if isinstance(s, BaseDataElement) else dict(s) for s in samples]
