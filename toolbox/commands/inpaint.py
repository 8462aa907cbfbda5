"""Inpaint images with a trained model.

    toolbox inpaint --config CONFIG [--checkpoint CKPT] --image I --mask M \\
        [--sketch S] [--hd-strategy crop] --out O

``--checkpoint`` is required for models with learned parameters; the classical ones
(``configs/classical/telea.py``, ``configs/classical/ns.py``) run without.

    toolbox inpaint --onnx MODEL.onnx --image I --mask M --out O

``--image``, ``--mask`` (white = hole) and ``--sketch`` (white strokes on black, for models
trained with a sketch channel) are files, or folders: then every image of ``--image`` is
paired with the mask (and sketch) of the same file stem, and ``--out`` is a folder that
receives ``<stem>.png`` per image. A single mask file may also serve a whole folder of
images of its size. ``--manifest FILE`` lists the pairs instead (CSV/TSV with a header
row ``image,mask[,output][,sketch]``, or JSON lines; see ``toolbox.apis.batch``).

Folder and manifest runs are batches: pairs whose output exists are skipped (rerun to
resume), outputs are written atomically, a bad pair is reported and the others go on, and
a summary (also ``<out>/inpaint_summary.json``) names each failure; the exit status is 1
when some pair failed.

``--onnx`` runs a graph written by ``toolbox export`` in onnxruntime instead of a config
and checkpoint, with the same padding and large-image handling.

Sizes that are not a multiple of the generator's size multiple (8 for DeepFill v2) are
padded and cropped back. Images larger than the training size are processed at full
resolution up to ``--max-side`` pixels on the longer side (default: the generator's limit,
1024 for DeepFill v2, unlimited for others); larger ones are inpainted window by window
around the holes. ``--hd-strategy`` chooses: whole, resize, crop (each hole with a margin,
once the image is longer than ``--crop-trigger``) or window: see ``toolbox.apis.hd``.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys



def parse_args(argv=None):
    from toolbox.apis.hd import CROP_MARGIN, CROP_TRIGGER, HD_STRATEGIES
    p = argparse.ArgumentParser(prog='toolbox inpaint', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', '--model', dest='config',
                   help='the model: a config file, a shipped config\'s name '
                        '(classical/telea) or a model-zoo name (big-lama: its config and '
                        'weights; `toolbox configs` lists them)')
    p.add_argument('--download', action='store_true',
                   help='download a model-zoo model\'s weights if they are not cached '
                        '(also: TOOLBOX_DOWNLOAD=1)')
    p.add_argument('--checkpoint', help='checkpoint (.pth) to load; not needed by models '
                                         'without learned parameters (classical ones)')
    p.add_argument('--onnx', metavar='FILE', help='a graph from toolbox export, instead of '
                                                  '--config and --checkpoint')
    p.add_argument('--image', help='image file or folder')
    p.add_argument('--video', help='video file or folder of frames, for a video model; --mask '
                   'is then a mask video, a folder of mask frames or one mask image, and '
                   '--out the folder of PNG frames (toolbox.video.inference)')
    p.add_argument('--video-out', help='also write an MP4 (lossy; the PNG frames are exact)')
    p.add_argument('--window', type=int, default=15, help='frames per window (--video)')
    p.add_argument('--overlap', type=int, default=4, help='frames shared by windows (--video)')
    p.add_argument('--mask', help='mask file or folder (white = hole)')
    p.add_argument('--manifest', help='CSV/TSV/JSON-lines file of (image, mask) pairs, '
                                      'instead of --image and --mask')
    p.add_argument('--sketch', help='sketch file or folder (white strokes on black); only for '
                                    'models with a sketch channel')
    p.add_argument('--invert-sketch', action='store_true',
                   help='the sketch is dark strokes on a white background')
    p.add_argument('--out', required=True, help='output file, or folder for folder input')
    p.add_argument('--no-progress', action='store_true', help='no progress bar in batches')
    p.add_argument('--resize-mask', action='store_true',
                   help='resize a mask of another size than its image (nearest neighbour)')
    p.add_argument('--device', default='cpu', help='cpu, cuda, cuda:1 ...')
    p.add_argument('--max-side', type=int, default=None,
                   help='longest side processed in one piece (default: the generator\'s)')
    p.add_argument('--hd-strategy', '--large-strategy', dest='hd_strategy',
                   choices=HD_STRATEGIES, default='window',
                   help='how large images are handled (see toolbox.apis.hd)')
    p.add_argument('--crop-trigger', type=int, default=CROP_TRIGGER,
                   help='--hd-strategy crop: images longer than this are cropped per hole')
    p.add_argument('--crop-margin', type=int, default=CROP_MARGIN,
                   help='--hd-strategy crop: context pixels around each hole')
    p.add_argument('--seed', type=int, default=None,
                   help='random seed of a stochastic model\'s sampler (e.g. RePaint)')
    p.add_argument('--steps', type=int, default=None,
                   help='sampling steps of a stochastic model (e.g. RePaint\'s t_T)')
    p.add_argument('--blend', choices=('paste', 'poisson'), default=None,
                   help="how a GAN model's output meets the known pixels: pasted (default) "
                        'or Poisson-blended (Global&Local\'s post-processing)')
    p.add_argument('--threads', type=int, default=None, help='CPU threads for torch')
    p.add_argument('--default-malloc', action='store_true',
                   help="keep glibc's default policy of returning large freed blocks at once "
                        '(by default the tool keeps them: 512² DeepFill inference took 0.83x '
                        'the time)')
    p.add_argument('--cfg-options', nargs='+', action='extend', metavar='KEY=VALUE',
                   help='override config entries, as in toolbox train')
    return p.parse_args(argv)


def _jobs(args):
    """The pairs to process, and whether they are a batch (folder or manifest input)."""
    from toolbox.apis import ConfigError
    from toolbox.apis.batch import BatchItem, folder_items, read_manifest
    if args.manifest:
        if args.image or args.mask or args.sketch:
            raise ConfigError('--manifest replaces --image, --mask and --sketch')
        return read_manifest(args.manifest, args.out), True
    if not args.image or not args.mask:
        raise ConfigError('give --image and --mask, or --manifest')
    for name in ('image', 'mask', 'sketch'):
        path = getattr(args, name)
        if path is not None and not osp.exists(path):
            raise FileNotFoundError(f'--{name} {path} does not exist')
    if not osp.isdir(args.image):
        for name in ('mask', 'sketch'):
            if getattr(args, name) and osp.isdir(getattr(args, name)):
                raise FileNotFoundError(f'--{name} is a folder but --image is a file')
        return [BatchItem(args.image, args.mask, args.out, args.sketch)], False
    return folder_items(args.image, args.mask, args.out, args.sketch), True


def _model(args):
    from toolbox.apis import ConfigError, init_inpaintor
    if args.onnx:
        if args.config or args.checkpoint:
            raise ConfigError('--onnx replaces --config and --checkpoint')
        from toolbox.apis.onnx_model import OnnxInpaintor
        model = OnnxInpaintor(args.onnx, threads=args.threads)
        return model, f'{model.model_name} of {args.onnx}'
    if not args.config:
        raise ConfigError('give --config (and --checkpoint for a trained model), or --onnx')
    if args.checkpoint is not None and not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    # no checkpoint: fine for models without learned parameters, refused for the others
    model = init_inpaintor(args.config, args.checkpoint, device=args.device,
                           cfg_options=args.cfg_options, download=args.download or None)
    if model.resolved.kind != 'file':    # a name: say which config (and weights) it meant
        print(f'toolbox inpaint: {args.config}: {model.resolved.describe()}', file=sys.stderr)
    return model, f'{type(model).__name__} of {args.config}'


def main(argv=None) -> int:
    args = parse_args(argv)
    from toolbox.apis.errors import run_reporting_errors
    if not args.default_malloc:
        from toolbox.apis.memory import keep_freed_memory
        keep_freed_memory()      # before torch allocates its first large tensor
    status = []

    def run():
        import torch

        from toolbox.apis import ConfigError, inpaint
        from toolbox.apis.batch import SUMMARY_NAME, run_batch
        from toolbox.datasets import MaskSizeError, fit_mask, read_image, read_mask
        from toolbox.fileio import check_image_path, write_image
        if args.threads:
            torch.set_num_threads(args.threads)
        if args.video:
            from toolbox.video.inference import inpaint_video
            result = inpaint_video(_model(args)[0], args.video, args.mask, args.out,
                                   window=args.window, overlap=args.overlap,
                                   video_out=args.video_out, device=args.device,
                                   progress=not args.no_progress)
            print(f'{args.video} -> {result["frames"]} frames in {args.out}'
                  + (f' and {args.video_out} (lossy)' if args.video_out else ''))
            return
        jobs, batch = _jobs(args)
        for job in jobs:          # before any work: an unknown extension costs nothing
            check_image_path(job.output, '--out')
        model, name = _model(args)
        wants_sketch = 'sketch' in model.guidance_keys
        if not wants_sketch and (args.sketch or any(job.sketch for job in jobs)):
            raise ConfigError(f'a sketch is given, but {name} was not built with a sketch '
                              'channel')
        # sampler options go to the sampler, apart from the guidance images
        options = {k: v for k, v in (('seed', args.seed), ('steps', args.steps),
                                                ('blend', args.blend))
                   if v is not None}
        refused = sorted(set(options) - set(getattr(model, 'sample_options', ())))
        if refused:
            raise ConfigError(f'--{refused[0]} given, but {name} takes no such sampler '
                              f'option (it takes '
                              f'{list(getattr(model, "sample_options", ())) or "none"})')

        def process(job):
            guidance = {}
            if job.sketch is not None:
                s = read_image(job.sketch)[..., 0]
                guidance['sketch'] = 255 - s if args.invert_sketch else s
            img, mask = read_image(job.image), job.mask
            if args.resize_mask:
                mask = fit_mask(read_mask(mask), img.shape[:2], f'mask {mask}', resize=True)
            try:
                return inpaint(model, img, mask, max_side=args.max_side,
                               hd_strategy=args.hd_strategy, crop_trigger=args.crop_trigger,
                               crop_margin=args.crop_margin, sample_options=options,
                               **guidance)
            except MaskSizeError as exc:
                raise MaskSizeError(f'{exc} ({job.image}); pass --resize-mask to resize masks '
                                    'to their images') from exc

        if not batch:
            job = jobs[0]
            write_image(job.output, process(job), '--out')
            print(f'{job.image} -> {job.output}')
            return
        summary = run_batch(jobs, process, osp.join(args.out, SUMMARY_NAME),
                            progress=not args.no_progress)
        print('\n'.join(summary.lines()))
        print(f'summary: {summary.summary_path}')
        if summary.failed:
            status.append(1)

    code = run_reporting_errors(run, args.onnx or args.config or 'inpaint')
    return code or (status[0] if status else 0)


if __name__ == '__main__':
    sys.exit(main())
