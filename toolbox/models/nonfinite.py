"""What a NaN or infinite loss or gradient does to training: one policy for every model.

``'raise'`` stops at the first non-finite loss term or gradient; ``'skip'`` drops that
update (gradients zeroed, no optimiser step, a warning logged) but stops once
``max_consecutive_skips`` iterations in a row had one dropped: a run that skips most of its
updates would otherwise end "successfully" with a diverged model.

A finite loss can still have a non-finite gradient (a square root at 0, a normalisation by
a vanishing norm), so :meth:`NonFiniteGuard.update` checks the gradients too, after the
backward pass and before the optimiser step commits them: one fused reduction over all of
them (``torch._foreach_norm``), one synchronisation per update. Optimiser wrappers with a
loss scaler (mmengine's ``AmpOptimWrapper``, float16 on CUDA) are left to it: inf gradients
are how the scaler learns that its scale is too large, and it skips those steps itself.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import Tensor, nn

__all__ = ['NonFiniteLossError', 'NonFiniteGuard', 'gradients_finite']


class NonFiniteLossError(FloatingPointError):
    """A loss term or a gradient became NaN or infinite; the message names the iteration
    and the term or the parameter."""


def _params(optims: Sequence) -> list[Tensor]:
    return [p for optim in optims for group in optim.optimizer.param_groups
            for p in group['params']]


def gradients_finite(params: Sequence[Tensor]) -> bool:
    """Whether every gradient of ``params`` is finite: one fused 2-norm per device and dtype
    (NaN and inf propagate into it) and one synchronisation. The 2-norm of finite but huge
    gradients (beyond about 1e19) overflows, so an inf norm is confirmed element-wise on
    this rare path. (The max-norm would not overflow, but is ten times slower on CPUs.)"""
    groups: dict[tuple, list[Tensor]] = {}
    for p in params:
        if p.grad is not None:
            groups.setdefault((p.grad.device, p.grad.dtype), []).append(p.grad)
    if not groups:
        return True
    flags = [torch.isfinite(torch.stack(torch._foreach_norm(grads))).all()
             for grads in groups.values()]
    if bool(flags[0] if len(flags) == 1 else torch.stack([f.cpu() for f in flags]).all()):
        return True
    return all(bool(torch.isfinite(g).all()) for grads in groups.values() for g in grads)


class NonFiniteGuard:
    """Checks a step's loss terms and gradients; ``owner`` names the model in
    configuration errors."""

    MODES = ('raise', 'skip')

    def __init__(self, owner: str, mode: str = 'raise', max_consecutive_skips: int = 10) -> None:
        if mode not in self.MODES:
            raise ValueError(f"{owner}: nonfinite must be 'raise' or 'skip', got {mode!r}")
        if int(max_consecutive_skips) < 1:
            raise ValueError(f'{owner}: max_consecutive_skips must be >= 1, got '
                             f'{max_consecutive_skips}')
        self.mode = mode
        self.max_consecutive_skips = int(max_consecutive_skips)
        self._last, self._run = -2, 0   # last iteration with a skipped update, run length

    def __call__(self, terms: Mapping[str, Tensor], optims: Sequence, iteration: int) -> bool:
        """True if every term is finite. Otherwise raises, or (``'skip'``) zeroes the
        gradients of ``optims`` and returns False."""
        bad = [(k, float(v.detach())) for k, v in terms.items() if not torch.isfinite(v).all()]
        if not bad:
            return True
        where = (f'iteration {iteration}: loss term {bad[0][0]} is {bad[0][1]}'
                 + (f' (also {", ".join(k for k, _ in bad[1:])})' if bad[1:] else ''))
        return self._refuse(where, optims, iteration)

    def update(self, loss: Tensor, terms: Mapping[str, Tensor], optims: Sequence,
               iteration: int, model: nn.Module | None = None) -> bool:
        """``optims[0].update_params(loss)``, guarded, for one or more optimisers sharing
        one backward pass: the terms are checked before the backward pass, the gradients
        of every optimiser's parameters after it and before any step. True if the update
        was made; on a non-finite value raises, or (``'skip'``) zeroes the gradients,
        steps nothing (weights and optimiser state stay as they were) and returns False.
        ``model`` names the offending parameter in the message."""
        if not self(terms, optims, iteration):
            return False
        first = optims[0]
        first.backward(first.scale_loss(loss))
        if not first.should_update():       # accumulating: checked when the step comes
            return True
        checked = [o for o in optims if getattr(o, 'loss_scaler', None) is None]
        if checked and not gradients_finite(_params(checked)):
            return self._refuse(f'iteration {iteration}: {self._culprit(checked, model)}',
                                optims, iteration)
        for optim in optims:
            optim.step()
            optim.zero_grad()
        return True

    @staticmethod
    def _culprit(optims: Sequence, model: nn.Module | None) -> str:
        """Names the first parameter with a non-finite gradient (the slow path)."""
        names = {id(p): n for n, p in model.named_parameters()} if model is not None else {}
        for p in _params(optims):
            if p.grad is not None and not torch.isfinite(p.grad).all():
                name = names.get(id(p), f'a parameter of shape {list(p.shape)}')
                bad = int((~torch.isfinite(p.grad)).sum())
                return (f'the gradient of {name} is non-finite ({bad} of {p.grad.numel()} '
                        'values) while the loss is finite')
        return 'a gradient is non-finite while the loss is finite'

    def _refuse(self, where: str, optims: Sequence, iteration: int) -> bool:
        if self.mode == 'raise':
            raise NonFiniteLossError(where + "; training stopped (set model.nonfinite='skip' "
                                     'to skip such updates instead)')
        if iteration != self._last:     # several updates of one iteration count once
            self._run = self._run + 1 if iteration == self._last + 1 else 1
            self._last = iteration
        if self._run >= self.max_consecutive_skips:
            raise NonFiniteLossError(
                f'{where}; training stopped: {self._run} iterations in a row had an update '
                f'skipped (model.max_consecutive_skips={self.max_consecutive_skips})')
        from mmengine.logging import print_log
        print_log(where + '; update skipped', logger='current', level=30)
        for optim in optims:
            optim.zero_grad()
        return False
