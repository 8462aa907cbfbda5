#!/usr/bin/env bash
# Distributed training with torchrun: tools/dist_train.sh CONFIG NUM_PROCESSES [train.py options]
# On a machine without CUDA the processes use the gloo backend on the CPU.
set -euo pipefail
CONFIG=$1
NPROC=$2
shift 2
PORT=${PORT:-29500}
# Rank 0 writes this file once every process has finished training and passed the final
# barrier. If torchrun then reports a failure, it came at process exit, after the work was
# done and saved (a gloo teardown race in torch): that run counts as a success.
TOOLBOX_COMPLETION_MARKER=$(mktemp -u "${TMPDIR:-/tmp}/toolbox-dist-done.XXXXXXXX")
export TOOLBOX_COMPLETION_MARKER
trap 'rm -f "$TOOLBOX_COMPLETION_MARKER"' EXIT
status=0
python -m torch.distributed.run --nproc_per_node="$NPROC" --master_port="$PORT" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "$@" || status=$?
if [ "$status" -ne 0 ] && [ -f "$TOOLBOX_COMPLETION_MARKER" ]; then
    echo "dist_train.sh: torchrun exited with $status after every process had finished" \
         "training and passed the final barrier; the failure came at process exit: exit 0" >&2
    status=0
fi
exit "$status"
