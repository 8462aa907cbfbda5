"""Checking that every process of a distributed run holds the same weights."""
from __future__ import annotations

import hashlib

import torch
from mmengine.dist import all_gather_object, get_world_size
from mmengine.hooks import Hook

from toolbox.models.distributed import unwrap
from toolbox.registry import HOOKS

from .checkpoint import strip_wrapper_prefixes, wrapper_prefixes


def weights_digest(model: torch.nn.Module) -> str:
    """SHA-1 of every parameter and buffer, by (unwrapped) name, in name order."""
    model = unwrap(model)
    state = strip_wrapper_prefixes(model.state_dict(), wrapper_prefixes(model))
    digest = hashlib.sha1()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class RankDivergenceError(RuntimeError):
    """Processes of one distributed run hold different weights."""


@HOOKS.register_module()
class RankConsistencyHook(Hook):
    """Every ``interval`` iterations and at the end of training, compare a digest of the
    weights across processes and stop with an error naming the ranks that differ.
    Does nothing in a single-process run.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 1000) -> None:
        self.interval = interval

    def _check(self, runner, done: int) -> None:
        if get_world_size() < 2:
            return
        digests = all_gather_object(weights_digest(runner.model))
        if len(set(digests)) > 1:
            raise RankDivergenceError(
                f'after {done} iterations the processes hold different weights: '
                + ', '.join(f'rank {r}: {d[:12]}' for r, d in enumerate(digests)))
        runner.logger.info(f'after {done} iterations: weights identical on all '
                           f'{len(digests)} processes ({digests[0][:12]})')

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval):
            self._check(runner, runner.iter + 1)

    def after_train(self, runner) -> None:
        self._check(runner, runner.iter)
