"""LaMa speed on the CPU: inference at 256², 512², 1024² (fp32 and bf16 autocast), a G+D
training step at 256², GFLOP/s next to a large convolution, and the FFT's share.

usage: python tools/benchmark.py lama [--preset lama-fourier|big-lama] [--threads N]
                                      [--sizes 256 512 1024] [--repeats R] [--dtypes fp32 bf16]
                                      [--no-train] [--train-batch 2] [--channels-last]
                                      [--no-own] [--peer-lama PATH] [--peer-sizes 512]
                                      [--peer-accuracy SIZE]

With ``--peer-lama PATH`` (a checkout of advimman/lama): LaMa's ``FFCResNetGenerator`` as
``big-lama.yaml`` builds it, in the same rounds as our big-lama: the default (BN folded,
1x1 convolutions on oneDNN, channels-last on that path), ``channels_last=False``,
``channels_last=True`` (weights too) and ``fused=False`` ("plain": LaMa's operators call
for call) in fp32, the first two in bf16; with the ratios and the issue-18 targets.
``--peer-accuracy SIZE`` (with ``--peer-lama``) times nothing: it prints the max output
difference of those variants against the plain layers, and LaMa's own difference between
a channels-last and a contiguous input and between 2 threads and 1 (LaMa given our
weights through the converter's key mapping), on a well-conditioned and on a badly
conditioned random initialisation.

Prints, for the chosen preset (lama-fourier: 27,048,835 parameters), batch 1, in
``torch.inference_mode``:

* seconds per image and the achieved GFLOP/s: convolution FLOPs counted by
  ``torch.utils.flop_counter`` (a multiply-add is 2 FLOPs; the FFTs are not counted, they
  are O(N log N) and a small part of the work) over the wall time;
* the baseline: one 3x3 convolution 256 -> 256 channels on 1 x 256 x 128 x 128 (19.3
  GFLOP) in the same dtype and format, timed in the same rounds (one call of each per
  round); "vs conv" is the model's GFLOP/s over the baseline's;
* the Fourier part's share of the time, in a separate instrumented run: "FU" is the wall
  time inside the Fourier units (FFT, 1x1 conv + BN + ReLU on the spectrum, inverse FFT)
  over the whole forward; "FFT" the self time of the FFT operators alone
  (``aten::_fft_r2c`` / ``_fft_c2r`` in ``torch.profiler``) over the profiled forward.

bf16 runs under ``torch.autocast('cpu', torch.bfloat16)``: the Fourier units stay in
float32 (torch.fft has no bf16), the convolutions run in bf16. On a CPU without oneDNN bf16
kernels (AVX-512 BF16 or AMX) bf16 convolutions fall back to a reference path hundreds of
times slower than fp32; there the bf16 rows are skipped, and the rate of a small bf16
convolution is printed to show why (``--force-bf16`` times them anyway).

Then one G+D training step (``GANInpaintor.train_step``: D update with R1, G update with
L1 on known pixels, a ResNet-50 HRFPL with random weights, feature matching and the
adversarial loss) at 256², fp32.

Timings are the best of ``--repeats`` rounds after a warm-up. The helpers (malloc tuning,
interleaved timing, FLOP counting, the baseline) are the DeepFill benchmark's.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import argparse  # noqa: E402
import time  # noqa: E402

from toolbox.system import count_flops  # noqa: E402


def _common():
    """The DeepFill benchmark's helpers (timing, inputs, FLOP counting)."""
    from toolbox.benchmarks import deepfill
    return deepfill


def parser():
    p = argparse.ArgumentParser(prog='benchmark.py lama', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--preset', default='lama-fourier', choices=['lama-fourier', 'big-lama'])
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--sizes', type=int, nargs='*', default=[256, 512, 1024],
                   help='inference sizes; none: training step only')
    p.add_argument('--dtypes', nargs='+', default=['fp32', 'bf16'], choices=['fp32', 'bf16'])
    p.add_argument('--repeats', type=int, default=2)
    p.add_argument('--force-bf16', action='store_true',
                   help='time bf16 even where oneDNN has no bf16 kernels (very slow there)')
    p.add_argument('--channels-last', action='store_true',
                   help='channels_last=True (weights and training too); default: the '
                        "generator's default (channels-last on the fused inference path)")
    p.add_argument('--no-train', action='store_true')
    p.add_argument('--train-size', type=int, default=256)
    p.add_argument('--train-batch', type=int, default=2)
    p.add_argument('--default-malloc', action='store_true')
    p.add_argument('--no-own', action='store_true',
                   help='skip the rows above; run only the peer comparison')
    p.add_argument('--peer-lama', metavar='PATH',
                   help="a checkout of advimman/lama: time its FFCResNetGenerator as "
                        'big-lama.yaml builds it, in the same rounds as our big-lama')
    p.add_argument('--peer-sizes', type=int, nargs='+', default=[512])
    p.add_argument('--peer-accuracy', type=int, metavar='SIZE', default=None,
                   help='with --peer-lama: instead of timing, the max output difference of '
                        "our rewrites against the plain layers and LaMa's own reordering "
                        'noise, on two initialisations, at SIZE² (256 in the README)')
    return p


def parse(argv):
    return parser().parse_args(argv)


def fourier_share(gen, run) -> tuple[float, float]:
    """(Fourier units' share of a forward's wall time, FFT operators' share)."""
    import torch

    spent = [0.0]
    starts = []
    handles = []
    for m in gen.modules():
        if type(m).__name__ == 'FourierUnit':     # by name: the engine imports no plugin
            handles.append(m.register_forward_pre_hook(
                lambda *_: starts.append(time.perf_counter())))
            handles.append(m.register_forward_hook(
                lambda *_: spent.__setitem__(0, spent[0] + time.perf_counter() - starts.pop())))
    try:
        start = time.perf_counter()
        run()
        total = time.perf_counter() - start
    finally:
        for h in handles:
            h.remove()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        run()
    events = prof.key_averages()
    fft = sum(e.self_cpu_time_total for e in events if '_fft_' in e.key)
    whole = sum(e.self_cpu_time_total for e in events)
    return spent[0] / total, fft / max(whole, 1e-9)


def small_bf16_rate() -> float:
    """GFLOP/s of a 64 -> 64 channel 3x3 convolution on 64 x 64 under bf16 autocast."""
    import torch
    conv, x = torch.nn.Conv2d(64, 64, 3, padding=1), torch.randn(1, 64, 64, 64)
    with torch.inference_mode(), torch.autocast('cpu', dtype=torch.bfloat16):
        conv(x)
        start = time.perf_counter()
        conv(x)
        seconds = time.perf_counter() - start
    return 2 * 64 * 64 * 9 * 64 * 64 / seconds / 1e9


def train_run(preset: str, size: int, batch: int, inputs):
    import torch
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    from toolbox.registry import MODELS
    model = MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='FFCResNetGenerator', preset=preset),
        discriminator=dict(type='NLayerDiscriminator'),
        losses=[dict(type='L1Loss', hole_weight=0.0, valid_weight=1.0, loss_weight=10.0),
                dict(type='HRFPerceptualLoss', backbone='timm:resnet50', pretrained=False,
                     output_stride=8, loss_weight=30.0),
                dict(type='DiscriminatorFeatureMatchingLoss', loss_weight=100.0),
                dict(type='NonSaturatingR1Loss', loss_weight=10.0, r1_weight=0.001)])).train()
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=1e-3)),
        discriminator=OptimWrapper(torch.optim.Adam(model.discriminator.parameters(),
                                                    lr=1e-4)))
    data = _common().train_data(*inputs(size, batch))
    return lambda: model.train_step(data, optim)


def main(argv) -> int:
    args = parse(argv)
    c = _common()
    tuned = False if args.default_malloc else c.keep_freed_memory()
    import torch

    from toolbox.registry import GENERATORS
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'torch {torch.__version__}, {threads} thread(s), OMP_WAIT_POLICY='
          f'{os.environ.get("OMP_WAIT_POLICY")}, load average {load:.2f}, oneDNN bf16 '
          f'kernels: {"yes" if c.bf16_supported() else "no"}, large blocks kept by malloc: '
          f'{"yes" if tuned else "no"}')
    if not args.no_own:
        gen = GENERATORS.build(dict(type='FFCResNetGenerator', preset=args.preset,
                                    channels_last=True if args.channels_last else None)).eval()
        print(f'FFCResNetGenerator(preset={args.preset!r}): '
              f'{sum(p.numel() for p in gen.parameters()):,} parameters, '
              f'{"channels-last" if args.channels_last else "default format"}')
        print('baseline: 3x3 convolution 256 -> 256 channels on 1 x 256 x 128 x 128 '
              '(19.3 GFLOP), same dtype and format, timed in the same rounds')
        print(f'\ninference, batch 1, best of {args.repeats} after a warm-up')
        print(f'  {"size":>5s} {"dtype":5s} {"s/image":>8s} {"GFLOP":>7s} {"GFLOP/s":>8s} '
              f'{"conv GFLOP/s":>12s} {"vs conv":>8s} {"FU share":>9s} {"FFT share":>9s}')
        bf16_ok = c.bf16_supported() or args.force_bf16
        for size in args.sizes:
            for dtype in args.dtypes:
                if dtype == 'bf16' and not bf16_ok:
                    print(f'  {size:5d} bf16  skipped: no oneDNN bf16 kernels on this CPU '
                          f'(a small bf16 3x3 convolution runs at {small_bf16_rate():.2f} GFLOP/s)',
                          flush=True)
                    continue
                run = c.generator_run(gen, size, dtype)
                best = c.interleaved(dict(gen=run, conv=c.conv_baseline(args.channels_last, dtype)),
                                     args.repeats)
                flops = c.count_flops(run)
                fu, fft = fourier_share(gen, run)
                rate, conv_rate = flops / best['gen'] / 1e9, c.CONV_FLOPS / best['conv'] / 1e9
                print(f'  {size:5d} {dtype:5s} {best["gen"]:8.3f} {flops / 1e9:7.1f} {rate:8.1f} '
                      f'{conv_rate:12.1f} {rate / conv_rate:8.2f} {fu:9.1%} {fft:9.1%}', flush=True)

        if not args.no_train:
            print(f'\nG+D training step (D with R1; G with L1 known, HRFPL ResNet-50, feature '
                  f'matching, adversarial), {args.train_size}² batch {args.train_batch}, fp32')
            run = train_run(args.preset, args.train_size, args.train_batch, c.inputs)
            best = c.interleaved(dict(step=run, conv=c.conv_baseline(False, 'fp32')),
                                 max(1, args.repeats - 1))
            flops = count_flops(run)
            rate, conv_rate = flops / best['step'] / 1e9, c.CONV_FLOPS / best['conv'] / 1e9
            print(f'  {best["step"]:7.3f} s/step {flops / 1e9:7.1f} GFLOP {rate:6.1f} GFLOP/s, '
                  f'conv {conv_rate:6.1f} GFLOP/s, {rate / conv_rate:5.2f} vs conv', flush=True)
    if args.peer_lama and args.peer_accuracy:
        lama_accuracy(args, c)
    elif args.peer_lama:
        compare_lama(args, c)
    return 0


def _aggressive_init(net, seed: int) -> None:
    """N(0, 1/fan_in) weights and random BN statistics: a badly conditioned network that
    amplifies rounding differences (the error table's second column)."""
    import math

    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                fan_in = m.weight[0].numel()
                if isinstance(m, torch.nn.ConvTranspose2d):
                    fan_in = m.weight.shape[0] * m.weight[0, 0].numel()
                m.weight.normal_(0, 1 / math.sqrt(fan_in), generator=g)
                if m.bias is not None:
                    m.bias.normal_(0, 0.1, generator=g)
            elif isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.normal_(0, 0.1, generator=g)
                m.running_mean.normal_(0, 0.1, generator=g)
                m.running_var.uniform_(0.5, 2, generator=g)


def lama_accuracy(args, c) -> None:
    """Max |output difference| ([-1, 1] units) of our big-lama variants against the plain
    layers, and of LaMa's generator (our weights, through the converter's key mapping)
    against itself with a channels-last input and with 2 threads."""
    import torch

    from toolbox.registry import GENERATORS, WEIGHT_CONVERTERS
    BigLaMaConverter = WEIGHT_CONVERTERS.get('BigLaMaConverter')
    size = args.peer_accuracy
    theirs = c.peers().lama_big(args.peer_lama)
    image, mask = c.inputs(size)
    masked = image * (1 - mask)
    x = torch.cat([(image + 1) / 2 * (1 - mask), mask], dim=1)    # LaMa's input
    cfg = dict(type='FFCResNetGenerator', preset='big-lama', value_range='[0,1]')
    threads = torch.get_num_threads()

    def run(fn, n=threads):
        torch.set_num_threads(n)
        try:
            with torch.inference_mode():
                return fn()
        finally:
            torch.set_num_threads(threads)
    print(f'\nmax |difference| of the output ([-1, 1] units), big-lama, value_range=[0,1], '
          f'{size}², LaMa at commit {c.peers().commit_of(args.peer_lama)}')
    for init in ('well-conditioned (default init, BN identity)',
                 'aggressive (N(0, 1/fan_in), random BN statistics)'):
        torch.manual_seed(0)
        plain = GENERATORS.build(dict(cfg, fused=False, channels_last=False)).eval()
        if init.startswith('aggressive'):
            _aggressive_init(plain, 1)
        state = plain.state_dict()
        ref = run(lambda: plain(masked, mask)['output'])
        rows = {'ours plain, 2 threads vs 1': run(lambda: plain(masked, mask)['output'], 2)}
        for name, kw in (('ours default (fused, channels-last)', {}),
                         ('ours channels_last=False (fused)', dict(channels_last=False)),
                         ('ours channels_last=True', dict(channels_last=True)),
                         ('ours plain, channels_last=True', dict(fused=False,
                                                                 channels_last=True))):
            gen = GENERATORS.build(dict(cfg, **kw)).eval()
            gen.load_state_dict(state)
            rows[name] = run(lambda: gen(masked, mask)['output'])
        # ours -> LaMa's keys: the converter's mapping run on the key names
        keys = {'generator.' + k: k for k in theirs.state_dict()}
        mapping = BigLaMaConverter().convert(keys, None)
        theirs.load_state_dict({lama_key: state[ours[len('generator.'):]]
                                for ours, lama_key in mapping.items()})
        lama = run(lambda: theirs(x)) * 2 - 1
        rows["LaMa (same weights) vs ours plain"] = lama
        lama_rows = {
            'LaMa, channels-last input vs contiguous':
                run(lambda: theirs(x.contiguous(memory_format=torch.channels_last))) * 2 - 1,
            'LaMa, 2 threads vs 1': run(lambda: theirs(x), 2) * 2 - 1}
        print(f'  {init}:')
        for name, out in rows.items():
            print(f'    {name:42s} {(out - ref).abs().max().item():.2e}')
        for name, out in lama_rows.items():
            print(f'    {name:42s} {(out - lama).abs().max().item():.2e}', flush=True)


def compare_lama(args, c) -> None:
    """Our big-lama against LaMa's FFCResNetGenerator (big-lama.yaml), one call of each per
    round; LaMa's input is [masked image in [0, 1], mask], ours the masked image in [-1, 1]
    and the mask."""
    import torch

    from toolbox.registry import GENERATORS
    p = c.peers()
    theirs = p.lama_big(args.peer_lama)
    ours = GENERATORS.build(dict(type='FFCResNetGenerator', preset='big-lama')).eval()
    # default: fused, channels-last on that path; the others for comparison ('plain' is
    # the module before issue 18's changes, operator for operator LaMa's)
    variants = {'': ours}
    for name, kw in (('contiguous', dict(channels_last=False)),
                     ('channels-last weights', dict(channels_last=True)),
                     ('plain', dict(fused=False, channels_last=False))):
        variants[name] = GENERATORS.build(dict(type='FFCResNetGenerator', preset='big-lama',
                                               **kw)).eval()
        variants[name].load_state_dict(ours.state_dict())
    bf16 = c.bf16_supported()
    print(f'\nvs LaMa FFCResNetGenerator (configs/training/big-lama.yaml), {args.peer_lama} at '
          f'commit {p.commit_of(args.peer_lama)}: '
          f'{sum(q.numel() for q in theirs.parameters()):,} parameters; ours big-lama '
          f'{sum(q.numel() for q in ours.parameters()):,}; batch 1, inference_mode, best of '
          f'{args.repeats} interleaved rounds')
    for size in args.peer_sizes:
        image, mask = c.inputs(size)
        x = torch.cat([(image + 1) / 2 * (1 - mask), mask], dim=1)

        def peer(dtype):
            def run():
                with torch.inference_mode(), c.autocast(dtype):
                    theirs(x)
            return run
        fns = {'LaMa fp32': peer('fp32')}
        for name, gen in variants.items():
            fns[f'ours fp32 {name}'.rstrip()] = c.generator_run(gen, size, 'fp32')
        if bf16:
            for name, gen in variants.items():
                if name in ('', 'contiguous'):
                    fns[f'ours bf16 {name}'.rstrip()] = c.generator_run(gen, size, 'bf16')
            try:
                peer('bf16')()
                fns['LaMa bf16'] = peer('bf16')
            except RuntimeError as e:
                print(f'  LaMa under bf16 autocast fails: {str(e).splitlines()[0]}')
        best = c.interleaved(fns, args.repeats)
        ref = best['LaMa fp32']
        print(f'  {size}²: ' + ', '.join(f'{k} {v:.3f} s' for k, v in best.items()))
        for key, value in best.items():
            if key.startswith('ours'):
                kind = 'bf16' if 'bf16' in key else 'fp32'
                r = value / ref
                print(f'  {size}² {key} / LaMa fp32 = {r:.2f}x '
                      + (c.target(f'{kind} at 512²', r, 0.3 if kind == 'bf16' else 0.7)
                         if size == 512 else ''))
        # the plain module runs LaMa's operators call for call, so this ratio is the
        # optimisations' own effect, less exposed to load that hits one side of a round
        print(f'  {size}² ours fp32 / ours fp32 plain = '
              f'{best["ours fp32"] / best["ours fp32 plain"]:.2f}x; plain / LaMa = '
              f'{best["ours fp32 plain"] / ref:.2f}x')
        if not bf16:
            print(f'  {size}² bf16: {c.target("bf16", 0, 0.3, applies=False)}')
        print(flush=True)
