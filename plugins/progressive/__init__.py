"""Progressive training schedulers: hook implementations only."""
from toolbox import hookimpl

from .stage_scheduler import StageScheduler


@hookimpl
def toolbox_progressive_schedulers():
    return [StageScheduler]
