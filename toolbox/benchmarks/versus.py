"""Models from configs, timed against the first one in the same run.

usage: toolbox benchmark versus CONFIG [CONFIG ...] [--size 256] [--train-batch 2]
                                [--repeats 3] [--no-train] [--threads N] [--device cpu]
                                [--cfg-options KEY=VALUE ...]

Each CONFIG's ``model`` is built as training builds it (random weights: the timing does not
depend on them; so are pretrained loss networks, see :func:`random_pretrained`, which
needs no weights file) and measured on the same inputs (smooth random images, a centred square
hole):

* inference: ``model.inpaint(image, mask)`` at ``--size``, batch 1, ``torch.inference_mode``;
  seconds (best of ``--repeats`` rounds after a warm-up; one call of every model per round,
  so load that comes and goes hits them alike), GFLOP (``toolbox.system.count_flops``), the
  parameters of the modules the call runs, and the peak memory it adds (on the CPU: the
  resident set's high-water mark above its level before the call, freed memory returned to
  the system first; on CUDA: the allocator's peak);
* training: one ``model.train_step`` with the config's ``optim_wrapper`` at ``--size`` with
  batch ``--train-batch``: seconds, GFLOP, peak memory, trainable parameters.

Ratios are against the first CONFIG. The header names the CPU and its flags. A model with a
fixed size runs at it; sizes are rounded up to the model's size multiple. ``--cfg-options``
applies to every config (e.g. ``model.sampler.steps=5`` for a diffusion model).
No assertions: figures only.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import argparse  # noqa: E402


def parser():
    p = argparse.ArgumentParser(prog='toolbox benchmark versus', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('configs', nargs='+', metavar='CONFIG',
                   help='config files; the first is the baseline of the ratios')
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--train-batch', type=int, default=2)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--no-train', action='store_true', help='skip the training step')
    p.add_argument('--threads', type=int, default=None,
                   help='torch threads (default: the CPUs this process may use)')
    p.add_argument('--device', default='cpu', help='cpu, cuda, cuda:1 ...')
    p.add_argument('--cfg-options', nargs='+', action='extend', metavar='KEY=VALUE',
                   help='override entries of every config, as in toolbox train')
    return p


def random_pretrained(cfg) -> int:
    """Turn every pretrained network of ``cfg.model`` (a dict with a ``vgg_weights`` or
    ``pretrained`` key: the VGG-16 of LBAM's, PRVS's and CSA's losses) into its random
    build, in place; returns how many. Their weights change no timing, and the benchmark
    then runs offline without them."""
    count = 0

    def walk(node) -> None:
        nonlocal count
        if isinstance(node, dict):
            if 'vgg_weights' in node or node.get('pretrained') is True:
                node.pop('vgg_weights', None)
                node['pretrained'] = False
                count += 1
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)
    walk(cfg.model)
    return count


class Candidate:
    """One config's model with its inputs, inference and training-step callables."""

    def __init__(self, path: str, args) -> None:
        import torch

        from toolbox.apis import init_inpaintor, load_config
        from toolbox.apis.config import config_name
        from toolbox.testing import _packed, tiny_batch
        self.path, self.device = path, args.device
        self.label = config_name(path)
        self.cfg = load_config(path, args.cfg_options)
        random_pretrained(self.cfg)
        torch.manual_seed(0)
        self.model = init_inpaintor(self.cfg, device=args.device, random_weights=True)
        model = self.model
        if model.fixed_size is not None:
            self.size = model.fixed_size
        else:
            m = model.size_multiple
            side = -(-args.size // m) * m
            self.size = (side, side)
        h, w = self.size
        one = tiny_batch(batch=1, size=h) if h == w else None
        if one is None:          # tiny_batch draws squares
            one = tiny_batch(batch=1, size=max(h, w))
            one = {k: v[..., :h, :w] for k, v in one.items()}
        self.image = one['gt'].to(args.device)
        self.mask = one['mask'].to(args.device)
        self.guidance = {k: one[k].to(args.device) for k in model.guidance_keys if k in one}
        batch = tiny_batch(batch=args.train_batch, size=max(h, w))
        batch = {k: v[..., :h, :w] for k, v in batch.items()}
        self.train_data = _packed(batch, tuple(model.guidance_keys))
        self.optim = None

    def sync(self) -> None:
        import torch
        if str(self.device).startswith('cuda'):
            torch.cuda.synchronize()

    def infer(self) -> None:
        import torch
        self.model.eval()
        with torch.inference_mode():
            self.model.inpaint(self.image, self.mask, **self.guidance)
        self.sync()

    def step(self) -> None:
        if self.optim is None:
            self.optim = build_optimizers(self.model, self.cfg)
        self.model.train()
        self.model.train_step(self.train_data, self.optim)
        self.sync()

    def inference_parameters(self) -> int:
        """Parameters that one inference call reads (a discriminator or a loss network that
        only training uses is not counted): those whose storage an operator receives."""
        from torch.utils._python_dispatch import TorchDispatchMode
        from torch.utils._pytree import tree_leaves
        import torch
        read = set()

        class Reads(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                for leaf in tree_leaves((args, kwargs or {})):
                    if isinstance(leaf, torch.Tensor):
                        read.add(leaf.untyped_storage().data_ptr())
                return func(*args, **(kwargs or {}))
        with Reads():
            self.infer()
        seen = {id(p): p for p in self.model.parameters()
                if p.untyped_storage().data_ptr() in read}
        return sum(p.numel() for p in seen.values())

    def trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)


def build_optimizers(model, cfg):
    """The config's ``optim_wrapper`` (built as the Runner builds it), or Adam in the
    model's declared layout when the config has none."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope

    from toolbox.testing import tiny_optimizers
    if not cfg.get('optim_wrapper'):
        return tiny_optimizers(model)
    with DefaultScope.overwrite_default_scope('toolbox'):
        return build_optim_wrapper(model, cfg.optim_wrapper)


def peak_memory(fn, device: str) -> float | None:
    """Bytes that one call of ``fn()`` adds at its peak; ``None`` where it cannot be read."""
    import torch
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        fn()
        return float(torch.cuda.max_memory_allocated() - before)
    try:
        import ctypes
        import gc
        gc.collect()
        ctypes.CDLL(None).malloc_trim(0)   # hand freed blocks back: the call must fault its own
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')                   # reset VmHWM to the current resident set
        before = _status_kb('VmRSS')
        fn()
        return float(_status_kb('VmHWM') - before) * 1024
    except (OSError, AttributeError, ValueError):
        return None


def _status_kb(key: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise ValueError(f'{key} not in /proc/self/status')


def _ratio(value: float) -> str:
    """Two decimals, or two significant digits for a ratio below 0.01."""
    return f'{value:.2f}' if value >= 0.01 or value == 0 else f'{value:.1e}'


def _mb(value: float | None) -> str:
    return 'n/a' if value is None else f'{value / 2 ** 20:.0f}'


def main(argv) -> int:
    args = parser().parse_args(argv)
    import torch

    from toolbox.benchmarks.deepfill import interleaved
    from toolbox.system import count_flops, describe_cpu
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'{describe_cpu()}; torch {torch.__version__}, {threads} thread(s), load average '
          f'{load:.2f}, device {args.device}')
    from toolbox.apis.errors import run_reporting_errors
    cands = []
    for path in args.configs:         # a bad config: one line naming it, before any timing
        code = run_reporting_errors(lambda: cands.append(Candidate(path, args)), path)
        if code:
            return code
    width = max(len(c.label) for c in cands)

    print(f'\ninference, batch 1, best of {args.repeats} interleaved rounds after a warm-up')
    best = interleaved({c.label: c.infer for c in cands}, args.repeats)
    rows = [(c, best[c.label], count_flops(c.infer), c.inference_parameters(),
             peak_memory(c.infer, args.device)) for c in cands]
    t0, f0 = rows[0][1], rows[0][2]
    print(f'  {"config":{width}s} {"size":>9s} {"params":>11s} {"s/image":>8s} {"x first":>7s} '
          f'{"GFLOP":>8s} {"x first":>7s} {"peak MB":>7s}')
    for c, t, f, n, peak in rows:
        size = f'{c.size[0]}x{c.size[1]}'
        print(f'  {c.label:{width}s} {size:>9s} {n:11,d} {t:8.3f} {_ratio(t / t0):>7s} '
              f'{f / 1e9:8.2f} {_ratio(f / f0) if f0 else "n/a":>7s} {_mb(peak):>7s}',
              flush=True)

    if not args.no_train:
        print(f'\ntraining step (train_step with the config\'s optim_wrapper), batch '
              f'{args.train_batch}, best of {args.repeats} interleaved rounds after a warm-up')
        best = interleaved({c.label: c.step for c in cands}, args.repeats)
        rows = [(c, best[c.label], count_flops(c.step), c.trainable_parameters(),
                 peak_memory(c.step, args.device)) for c in cands]
        t0, f0 = rows[0][1], rows[0][2]
        print(f'  {"config":{width}s} {"trainable":>11s} {"s/step":>8s} {"x first":>7s} '
              f'{"GFLOP":>8s} {"x first":>7s} {"peak MB":>7s}')
        for c, t, f, n, peak in rows:
            print(f'  {c.label:{width}s} {n:11,d} {t:8.3f} {_ratio(t / t0):>7s} {f / 1e9:8.2f} '
                  f'{_ratio(f / f0) if f0 else "n/a":>7s} {_mb(peak):>7s}', flush=True)
    return 0
