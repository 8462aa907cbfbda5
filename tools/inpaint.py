#!/usr/bin/env python
"""Inpaint images with a trained model.

    python tools/inpaint.py --config CONFIG [--checkpoint CKPT] --image I --mask M \\
        [--sketch S] [--hd-strategy crop] --out O

``--checkpoint`` is required for models with learned parameters; the classical ones
(``configs/classical_telea.py``, ``classical_ns.py``) run without.

``--image``, ``--mask`` (white = hole) and ``--sketch`` (white strokes on black, for models
trained with a sketch channel) are files, or folders: then every image of ``--image`` is
paired with the mask (and sketch) of the same file stem, and ``--out`` is a folder that
receives ``<stem>.png`` per image. A single mask file may also serve a whole folder of
images of its size.

Sizes that are not a multiple of the generator's size multiple (8 for DeepFill v2) are
padded and cropped back. Images larger than the training size are processed at full
resolution up to ``--max-side`` pixels on the longer side (default: the generator's limit,
1024 for DeepFill v2, unlimited for others); larger ones are inpainted window by window
around the holes. ``--hd-strategy`` chooses: whole, resize, crop (each hole with a margin,
once the image is longer than ``--crop-trigger``) or window: see ``toolbox.apis.hd``.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout


def parse_args(argv=None):
    from mmengine.config import DictAction

    from toolbox.apis.hd import CROP_MARGIN, CROP_TRIGGER, HD_STRATEGIES
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', required=True, help='config file of the model')
    p.add_argument('--checkpoint', help='checkpoint (.pth) to load; not needed by models '
                                         'without learned parameters (classical ones)')
    p.add_argument('--image', required=True, help='image file or folder')
    p.add_argument('--mask', required=True, help='mask file or folder (white = hole)')
    p.add_argument('--sketch', help='sketch file or folder (white strokes on black); only for '
                                    'models with a sketch channel')
    p.add_argument('--invert-sketch', action='store_true',
                   help='the sketch is dark strokes on a white background')
    p.add_argument('--out', required=True, help='output file, or folder for folder input')
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
    p.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                   help='override config entries, as in tools/train.py')
    return p.parse_args(argv)


def _images(folder: str) -> dict[str, str]:
    from toolbox.datasets.image_folder import IMG_EXTENSIONS
    found = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if ext.lower() in IMG_EXTENSIONS and osp.isfile(osp.join(folder, name)):
            found.setdefault(stem, osp.join(folder, name))
    return found


def _jobs(args) -> list[tuple[str, str, str | None, str]]:
    """(image, mask, sketch or None, output) per image to process."""
    for name in ('image', 'mask', 'sketch'):
        path = getattr(args, name)
        if path is not None and not osp.exists(path):
            raise FileNotFoundError(f'--{name} {path} does not exist')
    if not osp.isdir(args.image):
        for name in ('mask', 'sketch'):
            if getattr(args, name) and osp.isdir(getattr(args, name)):
                raise FileNotFoundError(f'--{name} is a folder but --image is a file')
        return [(args.image, args.mask, args.sketch, args.out)]
    images = _images(args.image)
    if not images:
        raise FileNotFoundError(f'--image folder {args.image} holds no images')

    def partner(kind: str, folder: str | None, stem: str) -> str | None:
        if folder is None or not osp.isdir(folder):
            return folder
        found = _images(folder).get(stem)
        if found is None:
            raise FileNotFoundError(f'no {kind} named {stem}.* in {folder} for image '
                                    f'{images[stem]}')
        return found

    return [(path, partner('mask', args.mask, stem), partner('sketch', args.sketch, stem),
             osp.join(args.out, stem + '.png')) for stem, path in images.items()]


def main(argv=None) -> int:
    args = parse_args(argv)
    from toolbox.apis.errors import run_reporting_errors
    if not args.default_malloc:
        from toolbox.apis.memory import keep_freed_memory
        keep_freed_memory()      # before torch allocates its first large tensor

    def run():
        import cv2
        import torch

        from toolbox.apis import ConfigError, init_inpaintor, inpaint
        from toolbox.datasets import read_image
        if args.threads:
            torch.set_num_threads(args.threads)
        jobs = _jobs(args)
        if args.checkpoint is not None and not osp.isfile(args.checkpoint):
            raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
        model = init_inpaintor(args.config, args.checkpoint, device=args.device,
                               cfg_options=args.cfg_options)
        wants_sketch = 'sketch' in model.guidance_keys
        if args.sketch and not wants_sketch:
            raise ConfigError(f'--sketch given, but {type(model).__name__} '
                                    f'of {args.config} was not built with a sketch channel')
        # sampler options go to the sampler, apart from the guidance images
        options = {k: v for k, v in (('seed', args.seed), ('steps', args.steps),
                                                ('blend', args.blend))
                   if v is not None}
        refused = sorted(set(options) - set(model.sample_options))
        if refused:
            raise ConfigError(f'--{refused[0]} given, but {type(model).__name__} of '
                              f'{args.config} takes no such sampler option (it takes '
                              f'{list(model.sample_options) or "none"})')
        for image, mask, sketch, out in jobs:
            guidance = {}
            if sketch is not None:
                s = read_image(sketch)[..., 0]
                guidance['sketch'] = 255 - s if args.invert_sketch else s
            result = inpaint(model, image, mask, max_side=args.max_side,
                             hd_strategy=args.hd_strategy, crop_trigger=args.crop_trigger,
                             crop_margin=args.crop_margin, sample_options=options,
                             **guidance)
            folder = osp.dirname(osp.abspath(out))
            os.makedirs(folder, exist_ok=True)
            if not cv2.imwrite(out, result[..., ::-1]):
                raise FileNotFoundError(f'cannot write {out} (unknown extension or '
                                        'unwritable folder)')
            print(f'{image} -> {out}')

    return run_reporting_errors(run, args.config)


if __name__ == '__main__':
    sys.exit(main())
