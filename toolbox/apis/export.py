"""Export an inpaintor to ONNX: one graph from (image, mask) to the composited image.

The graph (what :class:`InpaintingGraph` computes, traced by ``torch.onnx.export`` with
the ``torch.export`` based exporter):

* inputs ``image`` ``[B, 3, H, W]`` float32 RGB in [-1, 1], ``mask`` ``[B, 1, H, W]``
  float32, 1 = hole, and one ``[B, 1, H, W]`` input in [0, 1] per guidance key of the
  model (``sketch`` for DeepFill v2 with a sketch channel);
* output ``output`` ``[B, 3, H, W]`` in [-1, 1], already composited
  (``prediction * mask + image * (1 - mask)``): known pixels pass through.

H and W must be multiples of the model's ``size_multiple`` (the caller pads, as
:func:`toolbox.apis.inpaint` does). A graph exported with ``dynamic=True`` accepts any
batch size and any such H and W; otherwise only the export size and batch 1.

Components take part by making their forward traceable by ``torch.export`` (branches on
tensor values are not): they may ask ``torch.compiler.is_exporting()`` and take a path that
computes the same values with exportable operators (LaMa's Fourier unit uses DFT matrix
products instead of ``torch.fft``; DeepFill's contextual attention masks instead of
gathering the known patches).

What :mod:`toolbox.apis.onnx_model` needs to run the graph like a PyTorch model is stored
in the model's ``metadata_props`` under the keys of :data:`METADATA_KEYS`.
"""
from __future__ import annotations

import contextlib
import io
import os
import os.path as osp
import warnings
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

#: Marks a graph written by :func:`export_onnx`; its value is the graph's interface version.
FORMAT_KEY = 'toolbox.format'
FORMAT = 'inpainting-v1'
#: metadata_props keys (all values are strings)
METADATA_KEYS = {
    'size_multiple': 'toolbox.size_multiple',          # H and W must be multiples of it
    'max_inference_side': 'toolbox.max_inference_side',  # '' = unlimited
    'guidance': 'toolbox.guidance',                    # comma-separated extra input names
    'dynamic': 'toolbox.dynamic',                      # 'true': any batch, H and W
    'height': 'toolbox.export_height',                 # the traced size (the only one when
    'width': 'toolbox.export_width',                   # not dynamic)
    'model': 'toolbox.model',                          # generator class name
    'source': 'toolbox.source',                        # config and checkpoint file names
}
#: ONNX opset of the exported graphs (Col2Im, used by DeepFill's attention, needs 18).
OPSET = 18


class ExportError(ValueError):
    """The model cannot be exported as asked (size, unsupported operator); one line."""


class InpaintingGraph(nn.Module):
    """``model.inpaint`` with positional inputs: ``(image, mask, *guidance)`` -> composited
    image, the guidance in the order of ``model.guidance_keys``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.guidance_keys = tuple(model.guidance_keys)

    def forward(self, image: Tensor, mask: Tensor, *guidance: Tensor) -> Tensor:
        return self.model.inpaint(image, mask, **dict(zip(self.guidance_keys, guidance)))


@dataclass
class ExportReport:
    """What :func:`export_onnx` wrote and how closely onnxruntime reproduces PyTorch."""
    path: str
    size: tuple[int, int]
    dynamic: bool
    metadata: dict[str, str]
    #: (H, W) -> max |onnxruntime - PyTorch| over the checked inputs (empty: not checked)
    max_abs_diff: dict[tuple[int, int], float] = field(default_factory=dict)


def example_inputs(model: nn.Module, size: tuple[int, int], batch: int = 1,
                   seed: int = 0) -> tuple[Tensor, ...]:
    """Deterministic inputs for tracing and checking: a smooth random image, a mask with a
    rectangular hole and scattered holes, guidance maps in [0, 1]."""
    h, w = size
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(batch, 3, max(1, h // 8), max(1, w // 8), generator=g)
    image = nn.functional.interpolate(low, size=(h, w), mode='bilinear') * 2 - 1
    image = (image + 0.1 * torch.randn(batch, 3, h, w, generator=g)).clamp(-1, 1)
    mask = (torch.rand(batch, 1, h, w, generator=g) > 0.97).float()
    mask[..., h // 4:h // 4 + h // 3, w // 3:w // 3 + w // 3] = 1
    guidance = [(torch.rand(batch, 1, h, w, generator=g) > 0.9).float()
                for _ in model.guidance_keys]
    return (image, mask, *guidance)


def graph_metadata(model: nn.Module, size: tuple[int, int], dynamic: bool,
                   source: str = '') -> dict[str, str]:
    """The ``metadata_props`` of an exported graph (see :data:`METADATA_KEYS`)."""
    side = model.max_inference_side
    values = dict(size_multiple=str(int(model.size_multiple)),
                  max_inference_side='' if side is None else str(int(side)),
                  guidance=','.join(model.guidance_keys),
                  dynamic='true' if dynamic else 'false',
                  height=str(size[0]), width=str(size[1]),
                  model=type(_generator_of(model)).__name__,
                  source=source)
    return {FORMAT_KEY: FORMAT, **{METADATA_KEYS[k]: v for k, v in values.items()}}


def export_onnx(model: nn.Module, path: str, *, size: tuple[int, int] = (256, 256),
                dynamic: bool = False, check: bool = True, source: str = '',
                check_sizes: tuple[tuple[int, int], ...] = ()) -> ExportReport:
    """Write ``model`` (an inpaintor from :func:`~toolbox.apis.init_inpaintor`) to ``path``
    as an ONNX graph (see the module docstring for its inputs and output).

    Args:
        size: ``(H, W)`` traced; multiples of the model's ``size_multiple``.
        dynamic: any batch size, height and width (multiples of ``size_multiple``);
            otherwise the graph accepts only ``size`` and batch 1.
        check: run the written graph in onnxruntime on example inputs and record the
            largest absolute difference from PyTorch per size in the report.
        source: where the weights came from, stored in the metadata.
        check_sizes: further ``(H, W)`` to check (only with ``dynamic``); by default a
            dynamic graph is also checked at batch 2 and a size other than ``size``.

    The file is written to a temporary name and renamed: an interrupted export leaves no
    truncated graph.
    """
    from toolbox.extras import require
    require('onnx', 'ONNX export', 'onnx', 'onnxscript', *(['onnxruntime'] if check else []))
    import onnx
    k = int(model.size_multiple)
    h, w = (int(v) for v in size)
    if h < k or w < k or h % k or w % k:
        raise ExportError(f'export size {h}x{w}: height and width must be positive multiples '
                          f'of {k}, the size multiple of this model')
    model = model.eval()
    graph = InpaintingGraph(model).eval()
    keys = graph.guidance_keys
    # A dynamic graph is traced at batch 2: torch.export specialises sizes of 1.
    inputs = example_inputs(model, (h, w), batch=2 if dynamic else 1)
    names = ['image', 'mask', *keys]
    dynamic_shapes = None
    if dynamic:
        batch = torch.export.Dim('batch', min=1, max=1024)
        # H = k * h': the shape arithmetic of stride-2 layers then stays exact.
        rows = torch.export.Dim('rows', min=1, max=65536 // k) * k
        cols = torch.export.Dim('cols', min=1, max=65536 // k) * k
        spec = {0: batch, 2: rows, 3: cols}
        dynamic_shapes = (spec, spec, *[spec] * len(keys)) if not keys else \
            {'image': spec, 'mask': spec, 'guidance': tuple(spec for _ in keys)}
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = f'{path}.tmp-{os.getpid()}'
    try:
        try:
            # The exporter prints its stages and warns about axis names it merges.
            with torch.no_grad(), warnings.catch_warnings(), \
                    contextlib.redirect_stdout(io.StringIO()):
                warnings.filterwarnings('ignore', message='.*will not be used, since it shares')
                program = torch.onnx.export(graph, inputs, dynamo=True, opset_version=OPSET,
                                            input_names=names, output_names=['output'],
                                            dynamic_shapes=dynamic_shapes, verbose=False)
        except Exception as exc:   # torch.export / onnxscript raise many kinds
            first = next((line for line in str(exc).splitlines() if line.strip()),
                         type(exc).__name__)
            raise ExportError(f'{type(_generator_of(model)).__name__} cannot be exported to '
                              f'ONNX: {first}') from exc
        proto = program.model_proto
        meta = graph_metadata(model, (h, w), dynamic, source)
        del proto.metadata_props[:]
        for key, value in meta.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save_model(proto, tmp)
        with open(tmp, 'rb') as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    report = ExportReport(path=path, size=(h, w), dynamic=dynamic, metadata=meta)
    if check:
        checks = [((h, w), inputs)]
        if dynamic:
            other = tuple(check_sizes) or ((h + k, w + 2 * k),)
            checks += [(s, example_inputs(model, s, batch=2, seed=1)) for s in other]
        for s, example in checks:
            report.max_abs_diff[s] = max_abs_difference(path, graph, example)
    return report


def _generator_of(model: nn.Module) -> nn.Module:
    """The (unwrapped) generator of an inpaintor, or the model itself."""
    from toolbox.models.inpaintor import _bare
    generator = getattr(model, 'generator', None)
    return _bare(generator) if isinstance(generator, nn.Module) else model


def max_abs_difference(path: str, graph: nn.Module, inputs: tuple[Tensor, ...]) -> float:
    """Largest ``|onnxruntime(path) - graph|`` on ``inputs`` (float32, CPU)."""
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    feed = {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)}
    got = session.run(None, feed)[0]
    with torch.no_grad():
        ref = graph(*inputs).numpy()
    return float(abs(got - ref).max())
