"""Train a model from a config: ``toolbox train CONFIG [options]``.

``--cfg-options`` takes ``key=value`` pairs; values are literals (numbers, strings,
``[a,b]`` lists, ``(a,b)`` tuples; other text is a string exactly as given, spaces
included) and must have the type of the entry they replace; nested keys use dots, e.g.
``--cfg-options train_cfg.max_iters=10 model.generator.base_channels=8``. A list of dicts
(``custom_hooks``) cannot be given this way: write a small config that inherits from the
original with ``_base_ = ['original.py']`` and sets it.
"""
from __future__ import annotations

import argparse
import os
import sys



def parse_args(argv=None):
    p = argparse.ArgumentParser(prog='toolbox train', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config', help='config file')
    p.add_argument('--work-dir', help='where logs, checkpoints and images go '
                   '(default: work_dirs/<config name>)')
    p.add_argument('--resume', nargs='?', const='auto', metavar='CKPT',
                   help='resume from CKPT, or without a value from the latest checkpoint '
                        'in the work dir')
    p.add_argument('--amp', action='store_true',
                   help='mixed precision (float16 on CUDA, bfloat16 autocast on the CPU)')
    p.add_argument('--cfg-options', nargs='+', action='extend', metavar='KEY=VALUE',
                   help='override config entries')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
                   help='distributed launcher (tools/dist_train.sh uses pytorch)')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from toolbox.apis import (apply_amp, load_config, set_work_dir, setup_launcher,
                              shutdown_distributed)
    from toolbox.apis.config import exit_after_distributed
    from toolbox.apis.errors import run_reporting_errors
    closed = []

    def train():
        cfg = load_config(args.config, args.cfg_options)
        set_work_dir(cfg, args.config, args.work_dir)
        if args.amp:
            apply_amp(cfg)
        if args.resume == 'auto':
            cfg.resume, cfg.load_from = True, None
        elif args.resume:
            cfg.resume, cfg.load_from = True, args.resume
        setup_launcher(cfg, args.launcher)
        from toolbox.engine import ToolboxRunner
        runner = ToolboxRunner.from_cfg(cfg)
        runner.train()
        closed.append(shutdown_distributed(runner))

    code = run_reporting_errors(train, args.config)
    if any(closed):
        exit_after_distributed(code)
    return code


if __name__ == '__main__':
    sys.exit(main())
