"""Distributed training with torchrun, from any folder (``tools/dist_train.sh`` in a checkout).

    toolbox dist-train CONFIG NUM_PROCESSES [toolbox train options]

Runs ``toolbox train CONFIG --launcher pytorch ...`` in NUM_PROCESSES processes through
``python -m torch.distributed.run`` (master port ``$PORT``, default 29500); without CUDA the
processes use the gloo backend on the CPU. Rank 0 writes a completion marker once every
process has finished training and passed the final barrier; when torchrun then reports a
failure, it came at process exit, after the work was saved (a gloo teardown race in torch),
and the run counts as a success, as in ``tools/dist_train.sh``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    usage = 'usage: toolbox dist-train CONFIG NUM_PROCESSES [toolbox train options]'
    if argv[:1] in (['-h'], ['--help']):
        print(f'{usage}\n\n{__doc__}')
        return 0
    if len(argv) < 2 or not argv[1].isdigit():
        print(f'{usage}\nerror: give a config and a number of processes', file=sys.stderr)
        return 2
    from toolbox.apis.config import COMPLETION_MARKER_ENV
    config, nproc, rest = argv[0], argv[1], argv[2:]
    fd, marker = tempfile.mkstemp(prefix='toolbox-dist-done.')
    os.close(fd)
    os.remove(marker)                     # rank 0 creates it at the end
    env = dict(os.environ, **{COMPLETION_MARKER_ENV: marker})
    cmd = [sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={nproc}',
           f'--master_port={os.environ.get("PORT", "29500")}', '-m', 'toolbox.commands.train',
           config, '--launcher', 'pytorch', *rest]
    try:
        status = subprocess.run(cmd, env=env).returncode
        if status != 0 and os.path.isfile(marker):
            print(f'toolbox dist-train: torchrun exited with {status} after every process had '
                  'finished training and passed the final barrier; the failure came at '
                  'process exit: exit 0', file=sys.stderr)
            status = 0
    finally:
        if os.path.exists(marker):
            os.remove(marker)
    return status


if __name__ == '__main__':
    sys.exit(main())
