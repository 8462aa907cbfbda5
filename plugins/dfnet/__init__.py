"""DFNet (Hong et al., "Deep Fusion Network for Image Completion", ACM MM 2019): hook
implementations only; see README.md."""
from toolbox import hookimpl

from .generator import DFNetGenerator
from .losses import TotalVariationLoss


@hookimpl
def toolbox_generators():
    return [DFNetGenerator]


@hookimpl
def toolbox_losses():
    return [TotalVariationLoss]
