"""Image-folder datasets, the demo data, and the transforms of the inpainting pipeline."""
from .clips import ClipDataset  # noqa: F401 - registers the video dataset (toolbox.video)
from .demo import DEMO_ROOT, materialise_demo
from .image_folder import DemoDataset, ImageFolderDataset
from .reading import (DatasetError, ImageLoadError, MaskSizeError, binarise_mask, fit_mask,
                      read_image, read_mask)
from .standard_pipeline import dataset_pipeline, standard_pipeline
from .transforms import GenerateMask, LoadImage, LoadMask, PackInpaintingInputs, RandomCrop

__all__ = ['ImageFolderDataset', 'DemoDataset', 'ImageLoadError', 'MaskSizeError',
           'DatasetError', 'read_image', 'read_mask', 'binarise_mask', 'fit_mask', 'DEMO_ROOT',
           'materialise_demo', 'LoadImage', 'LoadMask', 'RandomCrop', 'GenerateMask',
           'PackInpaintingInputs', 'standard_pipeline', 'dataset_pipeline']
