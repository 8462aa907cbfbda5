"""Convert a checkpoint released with another code base into a toolbox checkpoint.

    toolbox convert SOURCE_FORMAT IN OUT [--config CONFIG] [--no-discriminator]
    toolbox convert --list

SOURCE_FORMAT is one of the formats the plugins provide (``--list``), e.g.
``mmagic-deepfillv2`` (MMagic's DeepFill v2 .pth), ``big-lama`` and ``lama-fourier``
(LaMa's ``models/best.ckpt``). IN is read weights-only: nothing in the file is executed.
OUT is a toolbox checkpoint for CONFIG (default: the format's own config, printed at the
end), which ``toolbox inpaint``, ``toolbox evaluate`` and ``load_from=`` open strictly.
See the README's "Model zoo".
"""
from __future__ import annotations

import argparse
import sys



def parse_args(argv=None):
    p = argparse.ArgumentParser(prog='toolbox convert', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('source_format', nargs='?', help='format of IN (see --list)')
    p.add_argument('input', nargs='?', help='the released checkpoint')
    p.add_argument('output', nargs='?', help='the toolbox checkpoint to write')
    p.add_argument('--config', help="the toolbox config the weights are for (default: the "
                                    "format's own)")
    p.add_argument('--no-discriminator', action='store_true',
                   help='accept a file without discriminator weights (the config\'s '
                        'discriminator is then freshly initialised)')
    p.add_argument('--list', action='store_true', help='list the formats and exit')
    args = p.parse_intermixed_args(argv)   # options may sit between the positionals
    if not args.list and not (args.source_format and args.input and args.output):
        p.error('SOURCE_FORMAT, IN and OUT are required (or --list)')
    return args


def run(args) -> None:
    from toolbox.apis import convert_weights, weight_formats
    if args.list:
        for fmt, cls in sorted(weight_formats().items()):
            print(f'{fmt:20s} {cls.source}  (config: configs/{cls.config})')
        return
    notes = convert_weights(args.source_format, args.input, args.output, args.config,
                            allow_missing_discriminator=args.no_discriminator)
    print(f"wrote {args.output}: {notes['source']} weights for {notes['config']}")
    if 'discriminator' in notes:
        print(f"  discriminator: {notes['discriminator']}")


def main(argv=None) -> int:
    args = parse_args(argv)
    from toolbox.apis.errors import run_reporting_errors
    return run_reporting_errors(lambda: run(args), 'convert_weights')


if __name__ == '__main__':
    sys.exit(main())
