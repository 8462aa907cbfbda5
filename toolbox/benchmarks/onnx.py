"""onnxruntime against PyTorch on the CPU: the exported graph against the model it came
from, for the full-width DeepFill v2 (cnum=48) and big-lama, random weights.

usage: toolbox benchmark onnx [--models deepfill big-lama] [--sizes 256 512]
                              [--repeats R] [--threads N] [--dynamic]

For each model and size: the model is exported (``toolbox.apis.export.export_onnx``; a
fixed-size graph unless ``--dynamic``), then the same computation, ``model.inpaint(image,
mask)`` (composited output, batch 1), is timed in PyTorch (fp32, ``torch.inference_mode``)
and in onnxruntime (CPU execution provider, all graph optimisations) in interleaved
rounds (one call of each per round, so load that comes and goes hits both alike), best of
``--repeats`` after a warm-up. Both use the same number of threads. Printed: seconds per
image for each, the ratio PyTorch / onnxruntime (above 1: onnxruntime is faster), the
largest absolute difference of the outputs, and the export time. The header gives the CPU
model, its SIMD flags, the versions, the thread count and the load average: on a shared
machine the ratio means more than the seconds.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import argparse  # noqa: E402
import os.path as osp  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

MODELS = {
    'deepfill': dict(type='DeepFillv2Generator', cnum=48),
    'big-lama': dict(type='FFCResNetGenerator', preset='big-lama'),
}
FLAGS = ('avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_bf16', 'amx_tile')


def parse(argv):
    p = argparse.ArgumentParser(prog='benchmark.py onnx', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--models', nargs='+', default=list(MODELS), choices=list(MODELS))
    p.add_argument('--sizes', type=int, nargs='+', default=[256, 512])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--dynamic', action='store_true',
                   help='export one dynamic graph per model instead of one per size')
    return p.parse_args(argv)


def inpaintor(generator: dict):
    from toolbox.registry import MODELS as REGISTRY
    return REGISTRY.build(dict(type='GANInpaintor', generator=generator,
                               losses=[dict(type='L1Loss')])).eval()


def main(argv) -> int:
    args = parse(argv)
    from toolbox.apis.memory import keep_freed_memory
    keep_freed_memory()
    import onnxruntime as ort
    import torch

    from toolbox.apis.export import InpaintingGraph, example_inputs, export_onnx
    from toolbox.benchmarks.deepfill import interleaved
    from toolbox.system import describe_cpu

    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'CPU: {describe_cpu()}')
    print(f'torch {torch.__version__}, onnxruntime {ort.__version__}, {threads} thread(s) '
          f'each, {os.cpu_count()} logical CPUs, load average {load:.2f}, '
          f'OMP_WAIT_POLICY={os.environ.get("OMP_WAIT_POLICY")}')
    print(f'batch 1, fp32, composited output; best of {args.repeats} interleaved rounds '
          'after a warm-up; random weights')
    print(f'  {"model":9s} {"size":>5s} {"graph":7s} {"export s":>8s} {"torch s":>8s} '
          f'{"ort s":>8s} {"torch/ort":>9s} {"max|diff|":>9s}')
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            torch.manual_seed(0)
            model = inpaintor(MODELS[name])
            graph = InpaintingGraph(model).eval()
            exported = {}
            for size in args.sizes:
                key = 'dynamic' if args.dynamic else size
                if key not in exported:
                    path = osp.join(tmp, f'{name}-{key}.onnx')
                    start = time.perf_counter()
                    export_onnx(model, path, size=(size, size), dynamic=args.dynamic,
                                check=False)
                    options = ort.SessionOptions()
                    options.intra_op_num_threads = threads
                    session = ort.InferenceSession(path, options,
                                                   providers=['CPUExecutionProvider'])
                    exported[key] = session, time.perf_counter() - start
                session, export_seconds = exported[key]
                inputs = example_inputs(model, (size, size))
                feed = {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)}
                results = {}

                def run_torch():
                    with torch.inference_mode():
                        results['torch'] = graph(*inputs)

                def run_ort():
                    results['ort'] = session.run(None, feed)[0]

                best = interleaved(dict(torch=run_torch, ort=run_ort), args.repeats)
                diff = float(abs(results['torch'].numpy() - results['ort']).max())
                kind = 'dynamic' if args.dynamic else 'fixed'
                print(f'  {name:9s} {size:5d} {kind:7s} {export_seconds:8.1f} '
                      f'{best["torch"]:8.3f} {best["ort"]:8.3f} '
                      f'{best["torch"] / best["ort"]:9.2f} {diff:9.2e}', flush=True)
    return 0
