"""The non-finite guard's cost, and the bf16 spectral-norm case it was built for.

``cost`` (default): a DeepFill v2 + SN-PatchGAN training step (the paper's widths) at
``--size`` against the guard's fused gradient check over all the parameters of the step's
two updates, both measured in this run; the figure is the check's share of the step.

``bf16``: DeepFill v2 + SN-PatchGAN at 32x32 under bfloat16 autocast (``--amp`` on a CPU:
``CPUAutocastOptimWrapper``), the reported case of NaN discriminator weights with finite
losses, for ``--steps`` steps with ``nonfinite='raise'``: prints the CPU's bf16 flags and the
first non-finite gradient the guard reports, if any.

    python tools/benchmark.py nonfinite [--mode cost|bf16] [--size 256] [--batch 2]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch


def parser():
    p = argparse.ArgumentParser(prog='benchmark.py nonfinite', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--mode', choices=('cost', 'bf16'), default='cost')
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--batch', type=int, default=2)
    p.add_argument('--cnum', type=int, default=48)
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--steps', type=int, default=30, help='bf16 mode: training steps')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--threads', type=int, default=torch.get_num_threads())
    return p


def _model(cnum, disc_layers=6, **kw):
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='DeepFillv2Generator', cnum=cnum),
        discriminator=dict(type='SNPatchGANDiscriminator', base_channels=64,
                           num_layers=disc_layers),
        losses=[dict(type='L1Loss', outputs=('coarse', 'output')),
                dict(type='HingeGANLoss', loss_weight=0.1)], **kw))


def _optim(model, wrapper='OptimWrapper'):
    from toolbox.models import MultiOptimWrapperConstructor
    adam = lambda: dict(type=wrapper, optimizer=dict(type='Adam', lr=1e-4,  # noqa: E731
                                                     betas=(0.5, 0.999)))
    return MultiOptimWrapperConstructor(dict(generator=adam(), discriminator=adam()))(model)


def _data(batch, size, seed=0):
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(batch, 3, max(2, size // 8), max(2, size // 8), generator=g)
    gt = torch.nn.functional.interpolate(low, size=(size, size), mode='bilinear')
    mask = torch.zeros(batch, 1, size, size, dtype=torch.uint8)
    mask[..., size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1
    return dict(inputs=dict(gt=list((gt * 255).round().to(torch.uint8)), mask=list(mask)),
                data_samples=[{}] * batch)


def _sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def cost(args) -> None:
    from toolbox.models.nonfinite import gradients_finite
    torch.manual_seed(0)
    model = _model(args.cnum).to(args.device).train()
    optim = _optim(model)
    data = _data(args.batch, args.size)
    model.train_step(data, optim)                       # warm-up
    steps = []
    for _ in range(args.repeats):
        _sync(args.device)
        start = time.perf_counter()
        model.train_step(data, optim)
        _sync(args.device)
        steps.append(time.perf_counter() - start)
    # gradients on every parameter, as after the two backward passes of a step
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    params = list(model.parameters())
    gradients_finite(params)                            # warm-up
    checks = []
    for _ in range(max(args.repeats, 20)):
        start = time.perf_counter()
        assert gradients_finite(params)
        checks.append(time.perf_counter() - start)
    step, check = statistics.median(steps), statistics.median(checks)
    n = sum(p.numel() for p in params)
    print(f'# DeepFill v2 (cnum={args.cnum}) + SN-PatchGAN, {args.size}x{args.size}, batch '
          f'{args.batch}, {args.device}, {torch.get_num_threads()} threads, {n / 1e6:.1f} M '
          'parameters checked')
    print(f'training step {step * 1e3:.1f} ms; gradient check over all parameters '
          f'{check * 1e3:.3f} ms = {100 * check / step:.2f} % of the step')


def bf16(args) -> None:
    from toolbox.models import NonFiniteLossError
    from toolbox.system import describe_cpu, onednn_bf16
    print(f'# {describe_cpu()}; {torch.get_num_threads()} threads; oneDNN bf16 kernels: '
          f'{onednn_bf16()}')
    torch.manual_seed(0)
    model = _model(args.cnum).train()
    optim = _optim(model, 'CPUAutocastOptimWrapper')
    for i in range(args.steps):
        try:
            log = model.train_step(_data(4, 32, seed=i), optim)
        except NonFiniteLossError as e:
            print(f'step {i}: {e}')
            return
        print(f'step {i}: ' + ', '.join(f'{k} {v:.4g}' for k, v in log.items()), flush=True)
    print(f'no non-finite value in {args.steps} steps')


def main(argv) -> int:
    args = parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    from mmengine.registry import DefaultScope
    from toolbox.plugins import load_plugins
    load_plugins()
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('benchmark-nonfinite', scope_name='toolbox')
    cost(args) if args.mode == 'cost' else bf16(args)
    return 0
