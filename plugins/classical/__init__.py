"""Classical (training-free) inpainting baselines: hook implementations only."""
from toolbox import hookimpl

from .generators import BicubicInterpolation, NavierStokesInpaint, TeleaInpaint


@hookimpl
def toolbox_generators():
    return [TeleaInpaint, NavierStokesInpaint, BicubicInterpolation]
