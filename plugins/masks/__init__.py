"""The masks plugin: hook implementations only; the recipes live in the modules."""
from toolbox import hookimpl

from .blocks import RandomBlocks
from .boxes import CenterSquare, RandomBox
from .brush import FreeFormBrush
from .files import MaskFiles
from .interpolation import EveryNLines, NearestNeighbor
from .mixture import Mixture
from .outpainting import Completion, Expand
from .strokes import MediumStrokes, Strokes, ThickStrokes, ThinStrokes
from .transforms import ExpandExterior


@hookimpl
def toolbox_mask_generators():
    return [ThickStrokes, MediumStrokes, ThinStrokes, EveryNLines, NearestNeighbor,
            Completion, Expand, Strokes, FreeFormBrush, RandomBox, CenterSquare, MaskFiles,
            Mixture, RandomBlocks]


@hookimpl
def toolbox_transforms():
    return [ExpandExterior]
