"""Export a trained model to ONNX.

    toolbox export CONFIG CHECKPOINT --format onnx [--out FILE] [--size H W]
        [--dynamic]

The graph takes ``image`` [B, 3, H, W] (RGB in [-1, 1]), ``mask`` [B, 1, H, W] (1 = hole)
and, for models with guidance, e.g. ``sketch`` [B, 1, H, W] in [0, 1], and returns
``output`` [B, 3, H, W] in [-1, 1], composited (known pixels pass through). H and W are
multiples of the model's size multiple, stored with the rest of what
``toolbox inpaint --onnx`` needs in the graph's metadata. Without ``--dynamic`` the graph
takes only the export size (default 256 x 256) and batch 1; with it, any batch, height
and width. After writing, the graph is run in onnxruntime on example inputs and compared
with PyTorch: the largest absolute difference is printed, and above ``--atol`` the tool
exits with status 1 (the file stays, for inspection).
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys



def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(prog='toolbox export', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config', help='config file of the model')
    p.add_argument('checkpoint', help="checkpoint (.pth) to load, or 'none' for a model "
                                      'without learned weights')
    p.add_argument('--format', choices=['onnx'], default='onnx', help='output format')
    p.add_argument('--out', help='output file (default: the checkpoint with .onnx)')
    p.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'), default=(256, 256),
                   help='size traced (the only size accepted without --dynamic)')
    p.add_argument('--dynamic', action='store_true',
                   help='accept any batch size, height and width (multiples of the size '
                        'multiple)')
    p.add_argument('--no-check', action='store_true',
                   help='skip the comparison with PyTorch in onnxruntime')
    p.add_argument('--atol', type=float, default=1e-4,
                   help='largest accepted |onnxruntime - PyTorch| (default 1e-4)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                   help='override config entries, as in toolbox train')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from toolbox.apis.errors import run_reporting_errors
    status = []

    def run():
        from toolbox.extras import require
        # before the model is built: a missing extra is the first thing to fix
        require('onnx', 'toolbox export', 'onnx', 'onnxscript',
                *([] if args.no_check else ['onnxruntime']))
        from toolbox.apis import init_inpaintor
        from toolbox.apis.export import export_onnx
        # 'none', as in test.py and evaluate.py: a model without learned weights (the
        # classical baselines); init_inpaintor refuses it for the others
        checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
        out = args.out or osp.splitext(checkpoint or osp.basename(args.config))[0] + '.onnx'
        model = init_inpaintor(args.config, checkpoint, cfg_options=args.cfg_options)
        source = f'{osp.basename(args.config)} {osp.basename(args.checkpoint)}'
        report = export_onnx(model, out, size=tuple(args.size), dynamic=args.dynamic,
                             check=not args.no_check, source=source)
        kind = 'any batch and size' if report.dynamic else \
            f'batch 1, {report.size[1]}x{report.size[0]} only'
        print(f'{args.checkpoint} -> {out} ({kind}; size multiple '
              f'{report.metadata["toolbox.size_multiple"]})')
        worst = 0.0
        for (h, w), diff in report.max_abs_diff.items():
            print(f'  max |onnxruntime - PyTorch| at {w}x{h}: {diff:.3g}')
            worst = max(worst, diff)
        if worst > args.atol:
            print(f'error: the exported graph differs from PyTorch by {worst:.3g} > --atol '
                  f'{args.atol:g}', file=sys.stderr)
            status.append(1)

    code = run_reporting_errors(run, args.config)
    return code or (status[0] if status else 0)


if __name__ == '__main__':
    sys.exit(main())
