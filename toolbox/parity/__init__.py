"""Training-step parity: is a training step of the toolbox the step a reference trainer
takes? :func:`compare_trainers` runs two trainers side by side on the same batches and
reports, per loss term, the largest difference over the steps, and, per parameter, the
largest difference after the last step (:mod:`toolbox.parity.compare`).

The drivers that wrap MMagic's and LaMa's own trainers live beside it
(:mod:`toolbox.parity.mmagic`, :mod:`toolbox.parity.lama`); they import the peer's code
from a checkout given at run time, never from this repository.
"""
from .compare import (ParityReport, TermDiff, Trainer, compare_trainers, format_table,
                      within)

__all__ = ['ParityReport', 'TermDiff', 'Trainer', 'compare_trainers', 'format_table',
           'within']
