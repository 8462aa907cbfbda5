"""Run a graph written by :func:`toolbox.apis.export.export_onnx` in onnxruntime, in place
of the PyTorch model: :func:`toolbox.apis.inpaint` takes an :class:`OnnxInpaintor` as it
takes an inpaintor, with the same padding, size rules and large-image strategies."""
from __future__ import annotations

import os.path as osp

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .export import FORMAT, FORMAT_KEY, METADATA_KEYS


class OnnxModelError(ValueError):
    """An ONNX file that is missing, unreadable or not an exported inpainting graph."""


class OnnxInpaintor:
    """An exported graph with the inpaintor attributes :func:`toolbox.apis.inpaint` uses:
    ``inpaint(image, mask, **guidance)``, ``size_multiple``, ``fixed_size``,
    ``max_inference_side``, ``guidance_keys``, ``sample_options`` (none: a graph has no
    sampler), ``split_options`` and ``parameters()`` (none: inputs stay on the CPU).

    A graph exported at a fixed size takes inputs up to that size: smaller ones are padded
    (edge pixels repeated, the padding marked known) and cropped back; its
    ``max_inference_side`` is the export size's shorter side unless the model's own limit
    is lower, so :func:`~toolbox.apis.inpaint` handles larger images window by window.
    """

    sample_options: tuple[str, ...] = ()
    fixed_size = None     # smaller inputs are padded to the export size, not resized

    def split_options(self, options):
        from toolbox.models.base import BaseInpaintor
        return BaseInpaintor.split_options(self, options)   # the same rule as every model

    def __init__(self, path: str, threads: int | None = None) -> None:
        from toolbox.extras import require
        require('onnx', 'running an ONNX graph', 'onnxruntime')
        import onnxruntime as ort
        if not osp.isfile(path):
            raise OnnxModelError(f'ONNX model {path} does not exist')
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        try:
            self.session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        except Exception as exc:   # onnxruntime raises its own exception types
            raise OnnxModelError(f'cannot load ONNX model {path}: {exc}') from exc
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get(FORMAT_KEY) != FORMAT:
            raise OnnxModelError(f'{path} was not written by tools/export.py (no '
                                 f'{FORMAT_KEY}={FORMAT} in its metadata)')
        self.path = path
        self.metadata = meta

        def get(name: str) -> str:
            return meta.get(METADATA_KEYS[name], '')

        self.size_multiple = int(get('size_multiple'))
        self.dynamic = get('dynamic') == 'true'
        self.export_size = (int(get('height')), int(get('width')))
        self.guidance_keys = tuple(k for k in get('guidance').split(',') if k)
        side = int(get('max_inference_side')) if get('max_inference_side') else None
        if not self.dynamic:
            fits = min(self.export_size)
            side = fits if side is None else min(side, fits)
        self.max_inference_side = side
        self.model_name = get('model')

    def parameters(self):
        return iter(())

    def inpaint(self, image: Tensor, mask: Tensor, **guidance: Tensor) -> Tensor:
        """Composited result for ``image`` [B, 3, H, W] in [-1, 1] and ``mask`` [B, 1, H, W]
        (1 = hole), H and W multiples of ``size_multiple``."""
        b, _, h, w = image.shape
        inputs = [image, mask] + [guidance[k] for k in self.guidance_keys]
        if not self.dynamic:
            eh, ew = self.export_size
            if h > eh or w > ew:
                raise ValueError(f'{self.path} was exported for {ew}x{eh} (not dynamic) and '
                                 f'cannot take {w}x{h}; export with --dynamic, or pass '
                                 f'max_side={min(eh, ew)}')
            pad = (0, ew - w, 0, eh - h)
            inputs = [F.pad(x, pad, mode='replicate') for x in inputs]
            inputs[1] = F.pad(mask, pad, value=0.0)
            outs = [self._run([x[i:i + 1] for x in inputs]) for i in range(b)]
            return torch.cat(outs)[..., :h, :w]
        return self._run(inputs)

    def _run(self, inputs: list[Tensor]) -> Tensor:
        feed = {i.name: np.ascontiguousarray(x.detach().cpu().float().numpy())
                for i, x in zip(self.session.get_inputs(), inputs)}
        return torch.from_numpy(self.session.run(None, feed)[0])

    def __repr__(self) -> str:
        kind = 'dynamic' if self.dynamic else 'x'.join(map(str, self.export_size[::-1]))
        return f'OnnxInpaintor({self.path!r}, {self.model_name}, {kind})'
