"""The ``toolbox`` command: ``toolbox list [KIND]``, ``toolbox info NAME``, ``toolbox serve``,
and every tool as ``toolbox COMMAND [args]`` (``toolbox train CONFIG``, ``toolbox inpaint ...``;
``toolbox COMMAND --help``). A tool is a module ``toolbox.commands.<name>`` with a
``main(argv) -> int``; ``tools/<name>.py`` are thin wrappers over the same function."""
from __future__ import annotations

import argparse
import inspect
import sys


def _kinds() -> dict:
    from toolbox.registry import ALL_REGISTRIES
    return ALL_REGISTRIES


def _rows(kind: str | None):
    from toolbox.plugins import component_origin, ensure_loaded
    ensure_loaded()
    for key, registry in _kinds().items():
        if kind and key != kind:
            continue
        for name in sorted(registry.module_dict):
            yield key, name, component_origin(key, name)


def cmd_list(args) -> int:
    kinds = _kinds()
    if args.kind and args.kind not in kinds:
        import difflib
        close = difflib.get_close_matches(args.kind, list(kinds), n=1)
        hint = f'; did you mean {close[0]!r}?' if close else ''
        print(f'error: unknown kind {args.kind!r}{hint} (kinds: {", ".join(kinds)})',
              file=sys.stderr)
        return 2
    rows = [(k, n, str(o) if o else '?') for k, n, o in _rows(args.kind)]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(('KIND', 'NAME', 'PLUGIN'))]
    print('  '.join(h.ljust(w) for h, w in zip(('KIND', 'NAME', 'PLUGIN'), widths)).rstrip())
    for row in rows:
        print('  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return 0


def cmd_info(args) -> int:
    matches = [(k, n, o) for k, n, o in _rows(None) if n == args.name]
    if not matches:
        import difflib
        names = sorted({n for _, n, _ in _rows(None)})
        close = difflib.get_close_matches(args.name, names, n=3)
        hint = f'; did you mean {" or ".join(close)}?' if close else ''
        print(f'error: no component named {args.name!r}{hint}', file=sys.stderr)
        return 2
    for key, name, origin in matches:
        cls = _kinds()[key].module_dict[name]
        try:
            sig = str(inspect.signature(cls))
        except (TypeError, ValueError):
            sig = '(...)'
        print(f'{name}{sig}')
        print(f'  kind:   {key}')
        print(f'  plugin: {origin}')
        print(f'  class:  {cls.__module__}.{cls.__qualname__}')
        doc = inspect.getdoc(cls)
        if doc:
            print()
            print('\n'.join('  ' + line for line in doc.splitlines()))
        print()
    return 0


def cmd_configs(args) -> int:
    """Every name a model can be given by: shipped configs and model-zoo entries."""
    from toolbox.config_names import shipped_configs
    from toolbox.zoo import weights_present, zoo_entries
    print('NAME  KIND  WHAT')
    if args.kind in (None, 'configs'):
        for name, path in shipped_configs().items():
            print(f'{name}  config  {path}')
    if args.kind in (None, 'zoo'):
        for name, entry in zoo_entries().items():
            state = 'cached' if weights_present(name) else 'downloadable'
            print(f'{name}  zoo  {entry["title"]}; config {entry["config"]}; weights {state}')
    return 0


def cmd_serve(args) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        print(f'error: toolbox serve needs FastAPI and uvicorn ({exc}): '
              'pip install "inpainting-toolbox[serve]"', file=sys.stderr)
        return 2
    from toolbox.apis.errors import run_reporting_errors
    from toolbox.apis.hd import check_strategy
    from toolbox.serve import Settings, serve
    from toolbox.serve.catalog import check_device
    try:
        if args.hd_strategy is not None:
            check_strategy(args.hd_strategy)
    except ValueError as exc:
        print(f'error: toolbox serve: --hd-strategy: {exc}', file=sys.stderr)
        return 2
    try:
        check_device(args.device)      # before the models load: at start, not per request
    except ValueError as exc:
        print(f'error: toolbox serve: {exc}', file=sys.stderr)
        return 2
    given = dict(models_dir=args.models, device=args.device, hd_strategy=args.hd_strategy,
                 crop_trigger=args.crop_trigger, crop_margin=args.crop_margin,
                 max_pixels=args.max_pixels, plain_configs=args.plain_configs or None,
                 max_queue=args.max_queue, max_results=args.max_results,
                 models=tuple(args.model) or None, download=args.download or None,
                 max_upload_bytes=None if args.max_upload_mb is None
                 else int(args.max_upload_mb * 2 ** 20))
    settings = Settings(**{k: v for k, v in given.items() if v is not None})

    def run():
        if args.threads:
            import torch
            torch.set_num_threads(args.threads)
        serve(settings, host=args.host, port=args.port, log_level=args.log_level)

    return run_reporting_errors(run, 'toolbox serve')


#: ``toolbox COMMAND``: the module ``toolbox.commands.<module>`` and a line of help.
COMMANDS = {
    'train': ('train', 'train a model from a config'),
    'dist-train': ('dist_train', 'train on several processes with torchrun (tools/dist_train.sh)'),
    'test': ('test', "evaluate a checkpoint on the config's test set"),
    'inpaint': ('inpaint', 'inpaint photos with a config + checkpoint or an ONNX graph'),
    'evaluate': ('evaluate', 'per-mask-type metrics of a checkpoint on frozen mask sets'),
    'export': ('export', 'export a model to ONNX (needs the [onnx] extra)'),
    'convert': ('convert', "convert another project's weights into a toolbox checkpoint"),
    'download': ('download', 'download, verify and convert a model-zoo model by name'),
    'benchmark': ('benchmark', 'figures: speed, FLOPs, memory; `benchmark versus CONFIG ...`'),
    'reproduce': ('reproduce', "reproduce a paper's table on real photos against OpenCV"),
    'reproduce-video': ('reproduce_video',
                        'video methods against flow propagation and per-frame Telea on real clips'),
    'make-mask-set': ('make_mask_set', 'write a frozen, seeded set of mask PNGs'),
    'browse-masks': ('browse_masks', 'draw samples and hole-ratio histograms of mask generators'),
    'crash-test': ('crash_test', 'kill training at random moments and check that it resumes'),
    'compare-lama-masks': ('compare_lama_masks', "compare our mask presets with LaMa's"),
    'compare-training': ('compare_training', "training steps side by side with MMagic's trainers"),
    'video-baselines': ('video_baselines', 'flow propagation against per-frame Telea on a real clip'),
    'stress-distributed': ('stress_distributed',
                           'run the 2-process training job many times under CPU load, count exit codes'),
}


def run_command(name: str, argv: list[str]) -> int:
    """``toolbox NAME ARGV...``: the command module's ``main(argv)``."""
    import importlib
    module = importlib.import_module(f'toolbox.commands.{COMMANDS[name][0]}')
    return int(module.main(argv) or 0)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in COMMANDS:
        # Each command parses its own arguments (and prints its own --help).
        return run_command(argv[0], argv[1:])
    parser = argparse.ArgumentParser(prog='toolbox', description='Inpainting toolbox components.')
    sub = parser.add_subparsers(dest='command', required=True)
    for name, (_, text) in COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)
    p = sub.add_parser('list', help='list registered components with their kind and plugin')
    p.add_argument('kind', nargs='?', help='only this kind, e.g. generators, mask_generators')
    p.set_defaults(func=cmd_list)
    p = sub.add_parser('configs', help='list the shipped configs and the model-zoo models by '
                                       'name (what --model, init_inpaintor ... accept)')
    p.add_argument('kind', nargs='?', choices=('configs', 'zoo'))
    p.set_defaults(func=cmd_configs)
    p = sub.add_parser('info', help="show a component's constructor signature and docstring")
    p.add_argument('name')
    p.set_defaults(func=cmd_info)
    p = sub.add_parser('serve', help='a web page and a REST API for inpainting photos',
                       description='Serve the page at http://HOST:PORT/ and the API under '
                                   '/api/v1 (documented at /docs). Models: the classical '
                                   'Telea and Navier-Stokes ones, plus every NAME.py in '
                                   '--models with its checkpoint NAME.pth beside it.')
    p.add_argument('--host', default='127.0.0.1',
                   help='address to listen on (127.0.0.1: this machine only; 0.0.0.0: all)')
    p.add_argument('--port', type=int, default=8000)
    p.add_argument('--models', metavar='DIR', help='folder of NAME.py configs with NAME.pth '
                                                   'checkpoints (configs are Python: see '
                                                   '--plain-configs)')
    p.add_argument('--model', action='append', default=[], metavar='NAME',
                   help='offer this model first (the default): a model-zoo name (big-lama), '
                        'a shipped config\'s name or a config file of a training-free model; '
                        'repeatable. Zoo models whose weights are cached are offered anyway, '
                        'the others are listed as downloadable')
    p.add_argument('--download', action='store_true',
                   help='download the weights of --model zoo names that are not cached '
                        '(also: TOOLBOX_DOWNLOAD=1)')
    p.add_argument('--plain-configs', action='store_true',
                   help='accept only --models configs that inherit a shipped config and set '
                        'plain values (they are never run); without it, the Python in each '
                        'config runs, at start and when its model is first used')
    p.add_argument('--device', default='cpu', help='cpu, cuda, cuda:1 ...')
    p.add_argument('--hd-strategy',
                   help='whole, resize, crop or window: used when a request names none (crop)')
    p.add_argument('--crop-trigger', type=int,
                   help='crop: photos longer than this are inpainted hole by hole (800)')
    p.add_argument('--crop-margin', type=int, help='crop: context pixels per side (128)')
    p.add_argument('--max-pixels', type=int,
                   help='largest photo accepted, in pixels; larger: HTTP 413 (40 million)')
    p.add_argument('--max-upload-mb', type=float,
                   help='largest request body accepted, in MiB; larger: HTTP 413 (100)')
    p.add_argument('--max-queue', type=int,
                   help='requests admitted at once (waiting or running); more: HTTP 429 (8)')
    p.add_argument('--max-results', type=int,
                   help='most num_results (completions) one request may ask of a model that '
                        'samples, such as Pluralistic (8)')
    p.add_argument('--threads', type=int, default=None, help='CPU threads for torch')
    p.add_argument('--log-level', default='info', help="uvicorn's: warning, info, debug")
    p.set_defaults(func=cmd_serve)
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()      # a closed pipe shows here, while we can still handle it
    except BrokenPipeError:
        return _closed_pipe()
    return code


def _closed_pipe() -> int:
    """The reader of our output went away (``toolbox list | head -3``): stop quietly, as
    command-line tools do on SIGPIPE. Python would otherwise print a BrokenPipeError
    traceback, and another one when it flushes stdout at exit; pointing stdout at
    /dev/null prevents the second."""
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):     # stdout is not a file
        pass
    return 141      # 128 + SIGPIPE, the status of a tool the signal stopped


if __name__ == '__main__':
    sys.exit(main())
