"""RePaint (Lugmayr et al., CVPR 2022): hook implementations only."""
from toolbox import hookimpl

from .model import DiffusionInpaintor
from .sampler import RePaintSampler
from .schedule import LinearNoiseSchedule
from .unet import DiffusionUNet


@hookimpl
def toolbox_denoisers():
    return [DiffusionUNet]


@hookimpl
def toolbox_noise_schedules():
    return [LinearNoiseSchedule]


@hookimpl
def toolbox_samplers():
    return [RePaintSampler]


@hookimpl
def toolbox_models():
    return [DiffusionInpaintor]
