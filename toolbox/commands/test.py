"""Evaluate a checkpoint on the config's test set: ``toolbox test CONFIG CHECKPOINT``.

Prints the metrics of ``test_evaluator`` and saves a result grid to
``<work_dir>/vis/test.png``.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys



def parse_args(argv=None):
    p = argparse.ArgumentParser(prog='toolbox test', description=__doc__)
    p.add_argument('config')
    p.add_argument('checkpoint', help="checkpoint file, or 'none' for a training-free "
                   'baseline (configs/classical/*.py)')
    p.add_argument('--allow-untrained', action='store_true',
                   help="with CHECKPOINT 'none', evaluate a model with learned weights at its "
                        'random initialisation (refused without this flag)')
    p.add_argument('--work-dir')
    p.add_argument('--cfg-options', nargs='+', action='extend', metavar='KEY=VALUE')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from toolbox.apis import (ConfigError, load_config, set_work_dir, setup_launcher,
                              shutdown_distributed)
    from toolbox.apis.config import exit_after_distributed
    from toolbox.apis.errors import run_reporting_errors
    closed = []

    def test():
        cfg = load_config(args.config, args.cfg_options)
        set_work_dir(cfg, args.config, args.work_dir)
        if args.checkpoint.lower() == 'none':
            cfg.load_from = None
        elif not osp.isfile(args.checkpoint):
            raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
        else:
            cfg.load_from = args.checkpoint
        cfg.resume = False
        setup_launcher(cfg, args.launcher)
        from toolbox.engine import ToolboxRunner
        from toolbox.engine.checkpoint import has_learned_weights
        runner = ToolboxRunner.from_cfg(cfg)
        if cfg.load_from is None and not args.allow_untrained and has_learned_weights(
                runner.model):
            raise ConfigError(f"CHECKPOINT 'none': {type(runner.model).__name__} has learned "
                              'weights, which would be scored at their random '
                              'initialisation; give its checkpoint (or --allow-untrained)')
        metrics = runner.test()
        closed.append(shutdown_distributed(runner))
        for key, value in metrics.items():
            print(f'{key}: {value:.4f}')

    code = run_reporting_errors(test, args.config)
    if any(closed):
        exit_after_distributed(code)
    return code


if __name__ == '__main__':
    sys.exit(main())
