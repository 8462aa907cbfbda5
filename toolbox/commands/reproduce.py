"""Reproduce a paper's table on real photos, against OpenCV, in one command.

    toolbox reproduce sa_patchgan [--budget cpu-60min|quick|gpu-paper] [--out DIR]

For ``sa_patchgan`` (Cai et al., NTIRE 2022) it:

1. materialises real photos (scikit-image's samples, Debian's
   lomiri-wallpapers when installed) into train / val / test splits by scene
   (toolbox/datasets/photos.py), and cuts the test photos into evaluation crops;
2. writes one seeded mask set per mask type of the paper (7 types);
3. trains the ablation rows B, B_3s, B_5s and B_5s+SA (configs/sa_patchgan/reproduce_*.py) under one
   compute budget per row: **equal generator training FLOPs**. A row's budget is
   ``full_iters`` iterations at the full size; an iteration of a stage at h x w costs
   ``h w / (H W)`` of one (the generator's convolutions scale with the pixels). The last
   stage gets ``final_share`` of the budget and the earlier stages share the rest equally,
   so B_5s trains its first stage for many cheap iterations. FLOPs, not wall time, so that
   a row's result does not depend on the machine's load;
   A row whose final checkpoint exists and whose config is unchanged is not trained
   again, so a rerun only re-evaluates;
4. evaluates every row, OpenCV Telea and Navier-Stokes on the test crops for each mask
   type (PSNR, SSIM), and writes ``table.md/.csv/.json``, the rows' final checkpoints with
   their configs, ``grid.png`` (rows: mask types; columns: input, Telea, B, B_5s, B_5s+SA,
   ground truth) and ``summary.json`` (wall times, budget, what C was, verdicts).

Budgets: ``cpu-60min`` (default; 128x128, DeepFill v2 cnum=16, bf16 autocast where the CPU
has native bf16), ``quick`` (64x64, tiny widths, the bundled photos only: the test suite
runs it end to end), ``gpu-paper`` (256x256, cnum=48, the paper's scale; needs a GPU).
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys
import time


from toolbox.budget import RULE as BUDGET_RULE
from toolbox.budget import stage_iterations
from toolbox.system import cpu_info, native_bf16

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))  # the checkout

#: The ablation rows of the paper (Table 4 of seed 000) and their configs.
ROWS = {
    'B': 'configs/sa_patchgan/reproduce_b_128.py',
    'B_3s': 'configs/sa_patchgan/reproduce_b3s_128.py',
    'B_5s': 'configs/sa_patchgan/reproduce_b5s_128.py',
    'B_5s+SA': 'configs/sa_patchgan/reproduce_b5s_sa_128.py',
}
BASELINES = {'Telea': 'configs/classical/telea.py', 'Navier-Stokes': 'configs/classical/ns.py'}
GRID_COLUMNS = ('input', 'Telea', 'B', 'B_5s', 'B_5s+SA', 'ground truth')

BUDGETS = {
    'quick': dict(size=64, cnum=8, batch_size=2, full_iters=6, final_share=0.5, lr=4e-4,
                  sources='bundled', crops_per_photo=1, amp='off', threads=1, jobs=2,
                  disc_channels=8, semantic_model='test_resnet', embed_dim=16),
    'cpu-60min': dict(size=128, cnum=16, batch_size=4, full_iters=800, final_share=0.5,
                      lr=4e-4, sources='all', crops_per_photo=4, amp='auto', threads=1, jobs=2,
                      disc_channels=32, semantic_model='resnet18', embed_dim=128),
    'gpu-paper': dict(size=256, cnum=48, batch_size=16, full_iters=200000, final_share=0.5,
                      lr=1e-4, sources='all', crops_per_photo=4, amp='off', threads=None, jobs=1,
                      disc_channels=64, semantic_model='resnet50', embed_dim=256),
}


class UsageError(ValueError):
    """Bad arguments: one line, exit code 2."""


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog='toolbox reproduce', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('paper', help="the paper to reproduce: 'sa_patchgan'")
    p.add_argument('--budget', default='cpu-60min', help=f'one of {", ".join(BUDGETS)}')
    p.add_argument('--out', help='output folder (default work_dirs/reproduce/<paper>_<budget>)')
    p.add_argument('--rows', default=','.join(ROWS), help='comma-separated rows to train')
    p.add_argument('--amp', choices=['auto', 'on', 'off'],
                   help="bf16 autocast on the CPU: 'auto' uses it where the CPU has native "
                        'bf16 (AMX or AVX-512 BF16); default: the budget\'s')
    p.add_argument('--full-iters', type=int,
                   help="override the budget's compute per row, in full-size iterations")
    p.add_argument('--jobs', type=int, help="rows trained at once (default: the budget's)")
    p.add_argument('--device', default=None, help='cpu or cuda (default: cuda if available)')
    p.add_argument('--semantic-weights',
                   help='pretrained weights of the semantic network C (timm); without them C '
                        'has random weights, and the row says so')
    return p.parse_args(argv)


# -- data -------------------------------------------------------------------------------
def make_crops(src: str, dst: str, size: int, per_photo: int) -> int:
    """Evaluation images: each photo's centre square (short side ``2 * size`` when
    ``per_photo`` is 4, else ``size``) cut into ``per_photo`` tiles of ``size`` x ``size``."""
    import cv2

    from toolbox.datasets import read_image
    os.makedirs(dst, exist_ok=True)
    tiles = 2 if per_photo == 4 else 1
    side = tiles * size
    count = 0
    for name in sorted(os.listdir(src)):
        image = read_image(osp.join(src, name))
        h, w = image.shape[:2]
        scale = side / min(h, w)
        image = cv2.resize(image, (max(side, round(w * scale)), max(side, round(h * scale))),
                           interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
        top, left = (h - side) // 2, (w - side) // 2
        for i in range(tiles):
            for j in range(tiles):
                tile = image[top + i * size: top + (i + 1) * size,
                             left + j * size: left + (j + 1) * size]
                path = osp.join(dst, f'{osp.splitext(name)[0]}_{i}{j}.png')
                if not osp.exists(path):
                    cv2.imwrite(path + '.part.png', tile[..., ::-1].copy())
                    os.replace(path + '.part.png', path)
                count += 1
    return count


def make_mask_sets(out: str, size: int, num: int, seed: int = 2022) -> dict[str, str]:
    """One folder of ``num`` seeded masks per mask type of the paper."""
    from toolbox.datasets.mask_sets import build_mask_generator, ensure_set, expand_types
    from toolbox.evaluation.report import column_for_folder
    folders = {}
    for name in expand_types(['all']):
        folder = osp.join(out, name)
        ensure_set(*build_mask_generator(name, {}), folder, (size, size), num, seed)
        folders[column_for_folder(name)] = folder
    return folders


# -- training ---------------------------------------------------------------------------
def row_config(row: str, budget: dict, data: str, work_dir: str, amp: bool,
               semantic_weights: str | None):
    from toolbox.apis import apply_amp, load_config
    from toolbox.registry import STAGE_SCHEDULERS
    cfg = load_config(osp.join(ROOT, ROWS[row]))
    size = budget['size']
    cfg.work_dir = work_dir
    model = cfg.model
    model.generator.cnum = budget['cnum']
    sched = STAGE_SCHEDULERS.build(model.scheduler)
    iters = stage_iterations(sched, (size, size), budget['full_iters'], budget['final_share'])
    model.scheduler.stage_iters = tuple(iters)
    disc = model.discriminator
    disc.base_channels = budget['disc_channels']
    if disc.type == 'SAPatchGANDiscriminator':
        disc.semantic_model = budget['semantic_model']
        disc.embed_dim = budget['embed_dim']
        disc.pretrained = bool(semantic_weights)
        disc.semantic_weights = semantic_weights
    cfg.train_cfg.max_iters = sum(iters)
    for hook in cfg.custom_hooks:
        if hook.type == 'ProgressiveStageHook':
            hook.full_size = (size, size)
        if hook.type == 'InpaintingVisualizationHook':
            hook.interval = max(1, sum(iters) // 4)
    cfg.default_hooks.logger.interval = max(1, min(100, sum(iters) // 10))
    cfg.default_hooks.checkpoint.interval = sum(iters)
    train = cfg.train_dataloader.dataset
    train.crop_size = size
    if train.get('resize'):
        train.resize.scale = (2 * size, 2 * size)
    cfg.train_dataloader.batch_size = budget['batch_size']
    train.data_root = osp.join(data, 'train')
    for key in ('val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = osp.join(data, 'val_crops')
        cfg[key].dataset.crop_size = size
    for sub in ('generator', 'discriminator'):
        cfg.optim_wrapper[sub].optimizer.lr = budget['lr']
    if amp:
        apply_amp(cfg)
    return cfg, iters


def train_rows(configs: dict, jobs: int, threads: int | None) -> dict[str, float]:
    """Train each row with ``toolbox train`` in its own process, ``jobs`` at a time, each
    with ``threads`` torch threads (two one-thread processes use two cores better than one
    two-thread process: small convolutions parallelise poorly, and an oversubscribed
    OpenMP team spins). Returns the wall seconds per row; a failed row raises, naming its
    log."""
    import subprocess
    env = dict(os.environ)
    if threads:
        env['OMP_NUM_THREADS'] = str(threads)
    pending, running, seconds = list(configs.items()), {}, {}
    while pending or running:
        while pending and len(running) < jobs:
            row, path = pending.pop(0)
            work_dir = osp.dirname(path)
            log = open(osp.join(work_dir, 'train.log'), 'w')
            proc = subprocess.Popen([sys.executable, '-m', 'toolbox', 'train', path,
                                     '--work-dir', work_dir], stdout=log, stderr=subprocess.STDOUT,
                                    env=env)
            running[row] = (proc, log, time.time())
            print(f'{row}: training (log {log.name})', flush=True)
        time.sleep(0.5)
        for row, (proc, log, t0) in list(running.items()):
            if proc.poll() is None:
                continue
            log.close()
            del running[row]
            if proc.returncode:
                for other, _, _ in running.values():
                    other.kill()
                raise RuntimeError(f'training row {row} failed (exit {proc.returncode}); see '
                                   f'{log.name}')
            seconds[row] = time.time() - t0
    return seconds


def _same_config(path: str, text: str) -> bool:
    """Whether the config at ``path`` (which the Runner rewrites, adding ``launcher``)
    equals ``text``."""
    from mmengine.config import Config
    try:
        saved = Config.fromfile(path).to_dict()
    except Exception:  # noqa: BLE001 -- an unreadable old config just means: train again
        return False
    fresh = Config.fromstring(text, '.py').to_dict()
    saved.pop('launcher', None)
    fresh.pop('launcher', None)
    return saved == fresh


def _previous_summary(out: str) -> dict:
    try:
        with open(osp.join(out, 'summary.json')) as f:
            return json.load(f).get('rows', {})
    except (OSError, ValueError):
        return {}


# -- evaluation -------------------------------------------------------------------------
def evaluate(model, test_dir: str, mask_sets: dict[str, str], size: int):
    from toolbox.evaluation.report import evaluate_mask_sets
    from toolbox.registry import METRICS
    metrics = [METRICS.build(dict(type='PSNR')), METRICS.build(dict(type='SSIM'))]
    return evaluate_mask_sets(model, test_dir, mask_sets, metrics, size=size,
                              resize='stretch', batch_size=8, progress=False)


def combined_table(tables: dict) -> dict:
    """``{metric: {method: {column: value}}}`` with a Mean column."""
    out: dict = {}
    for method, table in tables.items():
        for metric in ('PSNR', 'SSIM'):
            out.setdefault(metric, {})[method] = {c: table.get(metric, c) for c in table.header}
    return out


def to_markdown(values: dict, columns: list[str]) -> str:
    lines = []
    for metric, methods in values.items():
        lines += [f'**{metric}**', '', '| method | ' + ' | '.join(columns) + ' |',
                  '|---|' + '---:|' * len(columns)]
        for method, cols in methods.items():
            digits = 2 if metric == 'PSNR' else 4
            lines.append(f'| {method} | ' + ' | '.join(
                '' if cols.get(c) is None else f'{cols[c]:.{digits}f}' for c in columns) + ' |')
        lines.append('')
    return '\n'.join(lines)


def verdicts(values: dict, rows: list[str], columns: list[str]) -> dict:
    """Whether the best row beats both OpenCV methods on every type, and the ordering."""
    types = [c for c in columns if c != 'Mean']
    psnr, ssim = values['PSNR'], values['SSIM']
    best = max(rows, key=lambda r: psnr[r]['Mean'])
    beats = {}
    for c in types:
        beats[c] = all(psnr[best][c] > psnr[b][c] and ssim[best][c] > ssim[b][c]
                       for b in BASELINES)
    order = [r for r in ROWS if r in rows]
    ordered = all(psnr[a]['Mean'] < psnr[b]['Mean'] for a, b in zip(order, order[1:]))
    return dict(best_row=best, best_beats_opencv_per_type=beats,
                best_beats_opencv_everywhere=all(beats.values()),
                paper_order=' < '.join(order), paper_order_holds_in_mean_psnr=ordered)


def picture_grid(models: dict, test_dir: str, mask_sets: dict[str, str], size: int,
                 path: str) -> None:
    """Rows: mask types; columns: input (holes white), each method, ground truth."""
    import cv2
    import numpy as np
    import torch

    from toolbox.datasets import read_image
    from toolbox.value_range import from_model_range, to_model_range
    image_path = osp.join(test_dir, sorted(os.listdir(test_dir))[0])
    gt = read_image(image_path)
    x = to_model_range(torch.from_numpy(gt).permute(2, 0, 1)[None])
    rows = []
    for column, folder in mask_sets.items():
        mask = cv2.imread(osp.join(folder, '000000.png'), cv2.IMREAD_GRAYSCALE) > 127
        m = torch.from_numpy(mask.astype(np.float32))[None, None]
        cells = []
        for name in GRID_COLUMNS:
            if name == 'input':
                cell = np.where(mask[..., None], 255, gt)
            elif name == 'ground truth':
                cell = gt
            elif name in models:
                with torch.no_grad():
                    out = models[name].inpaint(x, m)
                cell = from_model_range(out[0], 255).round().byte().permute(1, 2, 0).numpy()
            else:
                continue
            cells.append(np.pad(cell.astype(np.uint8), ((2, 2), (2, 2), (0, 0)),
                                constant_values=255))
        label = np.full((size + 4, 120, 3), 255, np.uint8)
        cv2.putText(label, column[:14], (4, size // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                    (0, 0, 0), 1, cv2.LINE_AA)
        rows.append(np.concatenate([label, *cells], axis=1))
    header = np.full((18, rows[0].shape[1], 3), 255, np.uint8)
    x0 = 120
    for name in GRID_COLUMNS:
        if name in models or name in ('input', 'ground truth'):
            cv2.putText(header, name, (x0 + 4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0),
                        1, cv2.LINE_AA)
            x0 += size + 4
    grid = np.concatenate([header, *rows], axis=0)
    cv2.imwrite(path + '.part.png', grid[..., ::-1].copy())
    os.replace(path + '.part.png', path)


def run(args) -> int:
    import torch

    from toolbox.apis import init_inpaintor
    from toolbox.datasets.photos import materialise_photos

    if args.paper != 'sa_patchgan':
        raise UsageError(f"unknown paper {args.paper!r}; this tool reproduces 'sa_patchgan'")
    if args.budget not in BUDGETS:
        raise UsageError(f'unknown --budget {args.budget!r}; choose one of {", ".join(BUDGETS)}')
    rows = [r.strip() for r in args.rows.split(',') if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        raise UsageError(f'unknown --rows {unknown}; choose from {", ".join(ROWS)}')
    budget = dict(BUDGETS[args.budget])
    if args.full_iters is not None:
        if args.full_iters < 1:
            raise UsageError(f'--full-iters must be >= 1, got {args.full_iters}')
        budget['full_iters'] = args.full_iters
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    amp_choice = args.amp or budget['amp']
    amp = amp_choice == 'on' or (amp_choice == 'auto' and device == 'cpu' and native_bf16())
    if budget['threads']:
        torch.set_num_threads(budget['threads'] * (args.jobs or budget['jobs']))
    out = args.out or osp.join('work_dirs', 'reproduce', f'{args.paper}_{args.budget}')
    size = budget['size']
    started = time.time()
    summary = dict(paper=args.paper, budget=args.budget, budget_settings=budget,
                   budget_rule=BUDGET_RULE,
                   cpu=cpu_info()[0], threads=torch.get_num_threads(), device=device,
                   amp='bf16 autocast' if amp else 'fp32',
                   semantic_network=(f"{budget['semantic_model']} with "
                                     + ('pretrained weights ' + args.semantic_weights
                                        if args.semantic_weights else 'random weights')),
                   rows={})

    data = osp.join(out, 'photos')
    manifest = materialise_photos(data, short_side=2 * size, sources=budget['sources'])
    summary['photos'] = manifest['counts']
    n_test = make_crops(osp.join(data, 'test'), osp.join(data, 'test_crops'), size,
                        budget['crops_per_photo'])
    make_crops(osp.join(data, 'val'), osp.join(data, 'val_crops'), size,
               budget['crops_per_photo'])
    mask_sets = make_mask_sets(osp.join(out, 'mask_sets'), size, n_test)
    summary['test_images'] = n_test
    print(f'photos: {manifest["counts"]} ({budget["sources"]} sources); {n_test} test crops '
          f'of {size}x{size}; {len(mask_sets)} mask types', flush=True)

    configs, checkpoints = {}, {}
    for row in rows:
        cfg, iters = row_config(row, budget, data, osp.join(out, 'rows', row), amp,
                                args.semantic_weights)
        os.makedirs(cfg.work_dir, exist_ok=True)
        path = osp.join(cfg.work_dir, 'config.py')
        checkpoints[row] = osp.join(cfg.work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')
        summary['rows'][row] = dict(config=path, checkpoint=checkpoints[row], stage_iters=iters)
        text = cfg.pretty_text
        if (osp.isfile(checkpoints[row]) and osp.isfile(path)
                and _same_config(path, text)):
            print(f'{row}: already trained with this config ({checkpoints[row]}); kept',
                  flush=True)
            continue
        with open(path, 'w') as f:
            f.write(text)
        configs[row] = path
    jobs = args.jobs or budget['jobs']
    seconds = train_rows(configs, jobs, budget['threads'])
    tables, models = {}, {}
    previous = _previous_summary(out)
    for row in rows:
        if row in seconds:
            summary['rows'][row]['train_seconds'] = round(seconds[row], 1)
            print(f'{row}: trained {summary["rows"][row]["stage_iters"]} iterations per stage '
                  f'in {seconds[row]:.0f} s', flush=True)
        else:
            summary['rows'][row]['train_seconds'] = previous.get(row, {}).get('train_seconds')
        configs.setdefault(row, summary['rows'][row]['config'])
        models[row] = init_inpaintor(configs[row], checkpoints[row], device=device)
        tables[row] = evaluate(models[row], osp.join(data, 'test_crops'), mask_sets, size)
    for name, config in BASELINES.items():
        models[name] = init_inpaintor(osp.join(ROOT, config), device=device)
        tables[name] = evaluate(models[name], osp.join(data, 'test_crops'), mask_sets, size)

    columns = next(iter(tables.values())).header
    values = combined_table(tables)
    summary['verdicts'] = verdicts(values, rows, columns)
    summary['wall_seconds'] = round(time.time() - started, 1)
    text = (f'Test crops: {n_test} ({size}x{size}) per mask type; budget {args.budget}; '
            f'{summary["amp"]}; C = {summary["semantic_network"]}.\n\n'
            + to_markdown(values, columns))
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, 'table.md'), 'w') as f:
        f.write(text)
    with open(osp.join(out, 'table.json'), 'w') as f:
        json.dump(values, f, indent=1)
    with open(osp.join(out, 'table.csv'), 'w') as f:
        f.write('metric,method,' + ','.join(columns) + '\n')
        for metric, methods in values.items():
            for method, cols in methods.items():
                f.write(f'{metric},{method},' + ','.join(
                    '' if cols.get(c) is None else repr(cols[c]) for c in columns) + '\n')
    picture_grid(models, osp.join(data, 'test_crops'), mask_sets, size,
                 osp.join(out, 'grid.png'))
    with open(osp.join(out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1, default=str)
    print(text)
    print(json.dumps(summary['verdicts'], indent=1))
    print(f'wall time {summary["wall_seconds"]:.0f} s; results in {out}/ '
          '(table.md, table.csv, table.json, grid.png, summary.json, rows/*/config.py + .pth)')
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    from toolbox.apis.errors import run_reporting_errors
    try:
        return run_reporting_errors(lambda: run(args), 'toolbox reproduce')
    except UsageError as exc:
        print(f'error: toolbox reproduce: {exc}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
