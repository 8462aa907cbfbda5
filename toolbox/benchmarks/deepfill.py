"""DeepFill v2 speed on the CPU: inference at 256² and 512², a G+D training step, GFLOP/s.

usage: python tools/benchmark.py deepfill [--threads N] [--sizes 256 512] [--repeats R]
                                          [--no-train] [--cnum 48] [--no-own]
                                          [--peer-mmagic PATH] [--peer-sizes 512]
                                          [--no-photo] [--no-flagship] [--flagship-size 512]

Prints, for the paper-size generator (``cnum=48``, 4,052,478 parameters), batch 1, in
``torch.inference_mode``:

* seconds per image at each size in fp32 with the generator on contiguous (NCHW) and on
  channels-last tensors (``DeepFillv2Generator(channels_last=...)``, default True), and
  under bf16 autocast where oneDNN supports bf16 on this CPU (AVX-512 BF16 or AMX);
* the achieved GFLOP/s: convolution and matrix-product FLOPs counted by
  ``torch.utils.flop_counter`` (a multiply-add is 2 FLOPs) over the wall time;
* the baseline: one large 3x3 convolution (256 -> 256 channels on 128 x 128, 19.3 GFLOP)
  in the same memory format and dtype, timed in the same rounds as the generator (one call
  of each per round); "vs conv" is the generator's GFLOP/s over the baseline's (target at
  512² fp32: at least 0.40);
* the paper's CPU figure for comparison: 1.9 s per 512 x 512 image on an Intel Xeon CPU at
  2 GHz — how many times faster this run is.

Then one G+D training step (``GANInpaintor.train_step``: D update, then G update with L1 on
both stages and the hinge GAN loss) at 256² with batch 4, fp32, both memory formats.

With ``--peer-mmagic PATH`` (a checkout of open-mmlab/mmagic): MMagic's
``DeepFillEncoderDecoder`` in the same rounds as ours, fp32 and bf16, with the ratios and the
issue-18 targets. Where oneDNN has bf16: the bf16-vs-fp32 PSNR on scikit-image's photos.
Then the 5-stage progressive model at inference against one DeepFill v2 (time ratio next to
the FLOP ratio). ``--no-own`` skips the rows above and runs only these.

Timings are the best of ``--repeats`` rounds after a warm-up. ``OMP_WAIT_POLICY`` defaults
to ``PASSIVE`` here: on a shared machine, OpenMP threads that spin while waiting compete
with the other processes and made small convolutions several times slower. glibc's malloc
is told to keep large freed blocks (``--default-malloc`` to skip): otherwise every 512²
feature map is a fresh ``mmap`` and pays its page faults again.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import argparse  # noqa: E402
import time  # noqa: E402
from contextlib import nullcontext  # noqa: E402

from toolbox.system import count_flops  # noqa: E402,F401 (lama and versus use it from here)

PAPER_SECONDS_512 = 1.9


def parser():
    p = argparse.ArgumentParser(prog='benchmark.py deepfill', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--threads', type=int, default=None,
                   help='torch threads (default: the CPUs this process may use)')
    p.add_argument('--sizes', type=int, nargs='+', default=[256, 512])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--cnum', type=int, default=48)
    p.add_argument('--no-train', action='store_true', help='skip the training step')
    p.add_argument('--train-size', type=int, default=256)
    p.add_argument('--train-batch', type=int, default=4)
    p.add_argument('--default-malloc', action='store_true',
                   help="keep glibc's default large-block policy (see "
                        'toolbox.apis.memory.keep_freed_memory)')
    p.add_argument('--no-own', action='store_true',
                   help='skip the rows above (GFLOP/s vs a convolution, own training step); '
                        'run only the peer, photo and flagship comparisons')
    p.add_argument('--peer-mmagic', metavar='PATH',
                   help="a checkout of open-mmlab/mmagic: time its DeepFillEncoderDecoder "
                        '(DeepFill v2 config) in the same rounds as ours')
    p.add_argument('--peer-sizes', type=int, nargs='+', default=[512])
    p.add_argument('--no-photo', action='store_true',
                   help='skip the bf16-vs-fp32 PSNR on skimage.data photos')
    p.add_argument('--no-flagship', action='store_true',
                   help='skip the 5-stage progressive inference vs one DeepFill v2')
    p.add_argument('--flagship-size', type=int, default=512)
    return p


def parse(argv):
    return parser().parse_args(argv)


def peers():
    """toolbox.benchmarks.peers (imports a peer's model code from a checkout)."""
    from toolbox.benchmarks import peers as module
    return module


def keep_freed_memory() -> bool:
    """toolbox.apis.memory.keep_freed_memory, for the benchmarks that reuse this module."""
    from toolbox.apis.memory import keep_freed_memory as keep
    return keep()


def interleaved(fns: dict, repeats: int) -> dict[str, float]:
    """Best wall time of each callable over ``repeats`` rounds; one call of each per round,
    so load that comes and goes on a shared machine hits the candidate and the baseline
    alike."""
    for fn in fns.values():
        fn()  # warm-up: oneDNN primitive creation, allocator
    best = {name: float('inf') for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def bf16_supported() -> bool:
    from toolbox.system import onednn_bf16
    return onednn_bf16()


def autocast(dtype: str):
    import torch
    return torch.autocast('cpu', dtype=torch.bfloat16) if dtype == 'bf16' else nullcontext()


CONV_FLOPS = 2 * 256 * 256 * 9 * 128 * 128


def conv_baseline(channels_last: bool, dtype: str):
    """A 3x3 convolution, 256 -> 256 channels, on 1 x 256 x 128 x 128 (19.3 GFLOP)."""
    import torch
    conv = torch.nn.Conv2d(256, 256, 3, padding=1)
    x = torch.randn(1, 256, 128, 128)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    conv, x = conv.to(memory_format=fmt), x.contiguous(memory_format=fmt)

    def run():
        with torch.inference_mode(), autocast(dtype):
            conv(x)
    return run


def inputs(size: int, batch: int = 1, seed: int = 0):
    import torch
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(batch, 3, size // 16, size // 16, generator=g)
    image = torch.nn.functional.interpolate(low, size=(size, size), mode='bilinear') * 2 - 1
    mask = torch.zeros(batch, 1, size, size)
    mask[..., size // 4:size // 4 + size // 2, size // 3:size // 3 + size // 3] = 1
    return image, mask


def train_data(image, mask) -> dict:
    """``image`` [B, 3, H, W] in [-1, 1] and ``mask`` [B, 1, H, W] as the data loader hands
    them to ``train_step`` (uint8 images and masks)."""
    from toolbox.value_range import from_model_range
    return dict(inputs=dict(gt=list(from_model_range(image, 255).round().byte()),
                            mask=list(mask.byte())))


def generator_run(gen, size: int, dtype: str):
    import torch
    image, mask = inputs(size)
    masked = image * (1 - mask)

    def run():
        with torch.inference_mode(), autocast(dtype):
            gen(masked, mask)
    return run


def train_run(cnum: int, size: int, batch: int, channels_last: bool,
              checkpointing: bool = False):
    import torch
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    from toolbox.registry import MODELS
    model = MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='DeepFillv2Generator', cnum=cnum, channels_last=channels_last,
                       checkpointing=checkpointing),
        discriminator=dict(type='SNPatchGANDiscriminator'),
        losses=[dict(type='L1Loss', outputs=('coarse', 'output')),
                dict(type='HingeGANLoss', loss_weight=0.1)])).train()
    if channels_last:
        model.discriminator.to(memory_format=torch.channels_last)
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=1e-4,
                                                betas=(0.5, 0.999))),
        discriminator=OptimWrapper(torch.optim.Adam(model.discriminator.parameters(),
                                                    lr=1e-4, betas=(0.5, 0.999))))
    data = train_data(*inputs(size, batch))

    def run():
        model.train_step(data, optim)
    return run


def main(argv) -> int:
    args = parse(argv)
    tuned = False if args.default_malloc else keep_freed_memory()
    import torch

    from toolbox.registry import GENERATORS
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    bf16 = bf16_supported()
    print(f'torch {torch.__version__}, {threads} thread(s), OMP_WAIT_POLICY='
          f'{os.environ.get("OMP_WAIT_POLICY")}, load average {load:.2f}, '
          f'oneDNN bf16: {"yes" if bf16 else "no (bf16 autocast skipped)"}, '
          f'large blocks kept by malloc: {"yes" if tuned else "no"}')
    if not args.no_own:
        gen = GENERATORS.build(dict(type='DeepFillv2Generator', cnum=args.cnum)).eval()
        params = sum(p.numel() for p in gen.parameters())
        print(f'DeepFillv2Generator(cnum={args.cnum}): {params:,} parameters')

        variants = [('fp32', False), ('fp32', True)] + ([('bf16', True)] if bf16 else [])
        gens = {cl: GENERATORS.build(dict(type='DeepFillv2Generator', cnum=args.cnum,
                                          channels_last=cl)).eval() for cl in (False, True)}
        gens[True].load_state_dict(gens[False].state_dict())
        print('\nbaseline, timed in the same rounds as each row: a 3x3 convolution 256 -> 256 '
              'channels on 1 x 256 x 128 x 128 (19.3 GFLOP), same memory format and dtype')
        print('\ninference, batch 1, torch.inference_mode; best of '
              f'{args.repeats} after a warm-up')
        print(f'  {"size":>5s} {"dtype":5s} {"format":13s} {"s/image":>8s} {"GFLOP":>7s} '
              f'{"GFLOP/s":>8s} {"conv GFLOP/s":>12s} {"vs conv":>8s}')
        for size in args.sizes:
            for dtype, cl in variants:
                run = generator_run(gens[cl], size, dtype)
                best = interleaved(dict(gen=run, conv=conv_baseline(cl, dtype)), args.repeats)
                flops = count_flops(run)
                rate, conv_rate = flops / best['gen'] / 1e9, CONV_FLOPS / best['conv'] / 1e9
                fmt = 'channels-last' if cl else 'contiguous'
                line = (f'  {size:5d} {dtype:5s} {fmt:13s} {best["gen"]:8.3f} {flops / 1e9:7.1f} '
                        f'{rate:8.1f} {conv_rate:12.1f} {rate / conv_rate:8.2f}')
                if size == 512:
                    line += f'   {PAPER_SECONDS_512 / best["gen"]:.2f}x the paper\'s 1.9 s'
                print(line, flush=True)

        if not args.no_train:
            print(f'\nG+D training step (GANInpaintor.train_step: D update, G update with L1 on '
                  f'both stages + hinge GAN), {args.train_size}² batch {args.train_batch}, fp32')
            for cl in (False, True):
                run = train_run(args.cnum, args.train_size, args.train_batch, cl)
                best = interleaved(dict(step=run, conv=conv_baseline(cl, 'fp32')),
                                   max(1, args.repeats - 1))
                flops = count_flops(run)
                rate, conv_rate = flops / best['step'] / 1e9, CONV_FLOPS / best['conv'] / 1e9
                fmt = 'channels-last' if cl else 'contiguous'
                print(f'  {fmt:13s} {best["step"]:7.3f} s/step {flops / 1e9:7.1f} GFLOP '
                      f'{rate:6.1f} GFLOP/s, conv {conv_rate:6.1f} GFLOP/s, '
                      f'{rate / conv_rate:5.2f} vs conv', flush=True)
    if args.peer_mmagic:
        compare_mmagic(args, bf16)
    if bf16 and not args.no_photo:
        photo_psnr(args)
    if not args.no_flagship:
        flagship(args)
    return 0


def target(name: str, value: float, limit: float, applies: bool = True) -> str:
    if not applies:
        return f'[target {name} <= {limit}: does not apply on this CPU]'
    return f'[target {name} <= {limit}: {"met" if value <= limit else "NOT met"}]'


def compare_mmagic(args, bf16: bool) -> None:
    """Ours against MMagic's DeepFillEncoderDecoder, one call of each per round."""
    import torch

    from toolbox.registry import GENERATORS
    p = peers()
    theirs = p.mmagic_deepfillv2(args.peer_mmagic)
    ours = GENERATORS.build(dict(type='DeepFillv2Generator', cnum=args.cnum)).eval()
    print(f'\nvs MMagic DeepFillEncoderDecoder (DeepFill v2 config), {args.peer_mmagic} at '
          f'commit {p.commit_of(args.peer_mmagic)}: '
          f'{sum(q.numel() for q in theirs.parameters()):,} parameters; ours (defaults) '
          f'{sum(q.numel() for q in ours.parameters()):,}; batch 1, inference_mode, best of '
          f'{args.repeats} interleaved rounds')
    for size in args.peer_sizes:
        image, mask = inputs(size)
        x = p.mmagic_input(image, mask)

        def peer(dtype):
            def run():
                with torch.inference_mode(), autocast(dtype):
                    theirs(x)
            return run
        fns = {'ours fp32': generator_run(ours, size, 'fp32'), 'MMagic fp32': peer('fp32')}
        if bf16:
            fns['ours bf16'] = generator_run(ours, size, 'bf16')
            try:
                peer('bf16')()
                fns['MMagic bf16'] = peer('bf16')
            except RuntimeError as e:
                print(f'  MMagic under bf16 autocast fails: {str(e).splitlines()[0]}')
        best = interleaved(fns, args.repeats)
        ref = best['MMagic fp32']
        print(f'  {size}²: ' + ', '.join(f'{k} {v:.3f} s' for k, v in best.items()))
        r = best['ours fp32'] / ref
        print(f'  {size}² ours fp32 / MMagic fp32 = {r:.2f}x '
              + (target('fp32 at 512²', r, 0.55) if size == 512 else ''))
        if 'ours bf16' in best:
            r = best['ours bf16'] / ref
            print(f'  {size}² ours bf16 / MMagic fp32 = {r:.2f}x '
                  + (target('bf16 at 512²', r, 0.3) if size == 512 else ''))
        else:
            print(f'  {size}² bf16: {target("bf16", 0, 0.3, applies=False)}')
        if 'MMagic bf16' in best:
            print(f'  {size}² ours bf16 / MMagic bf16 = '
                  f'{best["ours bf16"] / best["MMagic bf16"]:.2f}x')
        print(flush=True)


def photo_images():
    """Real photos from scikit-image, cropped to multiples of 8, in [-1, 1]."""
    import torch
    from skimage import data

    from toolbox.value_range import to_model_range
    for name in ('astronaut', 'coffee', 'chelsea'):
        a = getattr(data, name)()
        h, w = a.shape[0] // 8 * 8, a.shape[1] // 8 * 8
        t = to_model_range(torch.from_numpy(a[:h, :w].copy()).permute(2, 0, 1)[None])
        yield name, t


def photo_psnr(args) -> None:
    """PSNR of the bf16-autocast output against the fp32 output of the same generator on
    real photos with a centred hole. No pretrained weights can be had here, and with random
    weights the network's output spans only about +-0.01, so a PSNR against the image range
    (2) would flatter bf16 by about 40 dB: the peak is the fp32 output's own range instead
    (max - min), i.e. the error relative to the signal the network produces."""
    import torch

    from toolbox.registry import GENERATORS
    torch.manual_seed(0)
    gen = GENERATORS.build(dict(type='DeepFillv2Generator', cnum=args.cnum)).eval()
    print('\nbf16 autocast vs fp32 output, DeepFill v2 (random He-normal weights, seed 0), '
          'skimage.data photos, a centred rectangular hole; PSNR of the raw output with the '
          'fp32 output\'s range as the peak')
    for name, image in photo_images():
        h, w = image.shape[2:]
        mask = torch.zeros(1, 1, h, w)
        mask[..., h // 4:3 * h // 4, w // 3:2 * w // 3] = 1
        with torch.inference_mode():
            ref = gen(image * (1 - mask), mask)['output']
            with autocast('bf16'):
                low = gen(image * (1 - mask), mask)['output'].float()
        span = float(ref.max() - ref.min())
        value = psnr(low, ref, peak=span)
        print(f'  {name} {h}x{w}: {value:.1f} dB (fp32 output range {span:.4f}, max abs '
              f'difference {float((low - ref).abs().max()):.2e}) '
              + ('[target >= 40 dB: met]' if value >= 40 else '[target >= 40 dB: NOT met]'),
              flush=True)


def psnr(a, b, peak: float = 2.0) -> float:
    import math
    mse = float(((a.double() - b.double()) ** 2).mean())
    return float('inf') if mse == 0 else 10 * math.log10(peak ** 2 / mse)


def flagship(args) -> None:
    """The 5-stage progressive model (configs/_base_/models/sa_patchgan_5s.py's generator
    and scales) at inference against one DeepFill v2 at the full size: time ratio next to
    the FLOP ratio."""
    import torch

    from toolbox.registry import GENERATORS, MODELS
    size = args.flagship_size
    model = MODELS.build(dict(
        type='ProgressiveInpaintor',
        generator=dict(type='DeepFillv2Generator', cnum=args.cnum),
        scheduler=dict(type='StageScheduler', scales=(0.25, 2 ** 0.5 / 4, 0.5, 2 ** 0.5 / 2,
                                                      1.0),
                       stage_iters=(1, 1, 1, 1, 1), size_multiple=8),
        losses=[dict(type='L1Loss')])).eval()
    single = GENERATORS.build(dict(type='DeepFillv2Generator', cnum=args.cnum)).eval()
    image, mask = inputs(size)

    def five():
        with torch.inference_mode():
            model.inpaint(image, mask)
    one = generator_run(single, size, 'fp32')
    sizes = [s[0] for s in model.stage_sizes((size, size))]
    best = interleaved(dict(five=five, one=one), args.repeats)
    f5, f1 = count_flops(five), count_flops(one)
    t, f = best['five'] / best['one'], f5 / f1
    print(f'\nflagship at inference, {size}², stages {sizes}, fp32, best of {args.repeats}: '
          f'5 stages {best["five"]:.3f} s, one DeepFill v2 {best["one"]:.3f} s; time ratio '
          f'{t:.2f}, FLOP ratio {f:.2f} ({f5 / 1e9:.1f} / {f1 / 1e9:.1f} GFLOP); time / FLOP '
          f'ratio {t / f:.2f} [target within 10%: {"met" if abs(t / f - 1) <= 0.1 else "NOT met"}]',
          flush=True)
