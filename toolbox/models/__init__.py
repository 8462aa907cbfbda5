"""Inpaintors: the mmengine models that orchestrate generator, discriminator and losses."""
from .adversarial import AdversarialObjective
from .base import BaseInpaintor
from .autocast_wrapper import CPUAutocastOptimWrapper
from .data_preprocessor import InpaintingDataPreprocessor
from .distributed import StagewiseDistributedDataParallel
from .inpaintor import GANInpaintor, composite
from .nonfinite import NonFiniteGuard, NonFiniteLossError
from .optim_constructor import MultiOptimWrapperConstructor
from .progressive import ProgressiveInpaintor

__all__ = ['BaseInpaintor', 'InpaintingDataPreprocessor', 'GANInpaintor', 'NonFiniteGuard', 'NonFiniteLossError', 'MultiOptimWrapperConstructor',
           'composite', 'CPUAutocastOptimWrapper', 'ProgressiveInpaintor',
           'StagewiseDistributedDataParallel', 'AdversarialObjective']
