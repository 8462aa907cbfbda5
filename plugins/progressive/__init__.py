"""Stage schedulers of progressive training: hook implementations only."""
from toolbox import hookimpl

from .stage_scheduler import StageScheduler


@hookimpl
def toolbox_stage_schedulers():
    return [StageScheduler]
