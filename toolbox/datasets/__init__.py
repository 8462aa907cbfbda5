"""Image-folder datasets, the demo data, and the transforms of the inpainting pipeline."""
from .demo import DEMO_ROOT, materialise_demo
from .image_folder import DemoDataset, ImageFolderDataset, ImageLoadError, read_image
from .transforms import GenerateMask, LoadImage, LoadMask, PackInpaintingInputs, RandomCrop

__all__ = ['ImageFolderDataset', 'DemoDataset', 'ImageLoadError', 'read_image', 'DEMO_ROOT',
           'materialise_demo', 'LoadImage', 'LoadMask', 'RandomCrop', 'GenerateMask',
           'PackInpaintingInputs']
