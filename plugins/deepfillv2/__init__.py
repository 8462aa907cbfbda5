"""DeepFill v2 (Yu et al., "Free-Form Image Inpainting with Gated Convolution", ICCV 2019);
see README.md."""
from toolbox import hookimpl

# Importing the modules registers their classes (the decorator on each).
from . import (  # noqa: F401
    convert, discriminator, generator, transforms)


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='DeepFill v2',
            paper='Yu et al., "Free-Form Image Inpainting with Gated Convolution"',
            venue='ICCV 2019',
            official_code='JiahuiYu/generative_inpainting',
            plugin='deepfillv2',
            configs='deepfillv2',
        ),
    ]


_MMAGIC = 'https://download.openmmlab.com/mmediting/inpainting/deepfillv2/'


@hookimpl
def toolbox_model_zoo():
    # MMagic publishes the first 8 hex digits of each file's sha256 in its name (`-10d15793`)
    return [
        dict(name=f'deepfillv2-{data}-256', title=f'DeepFill v2, {title} 256²',
             url=_MMAGIC + filename, page='https://github.com/open-mmlab/mmagic/blob/main/'
             'configs/deepfillv2/metafile.yml', filename=filename,
             sha256=filename.rsplit('-', 1)[1].split('.')[0], member=None,
             licence="Apache-2.0 (the repository's; no separate licence for the weights found)",
             source='MMagic (MMEditing) model zoo, configs/deepfillv2/metafile.yml (code checked '
                    'against mmagic@0a560bb)',
             format='mmagic-deepfillv2', config=f'deepfillv2/{data}_256_mmagic',
             plugin='deepfillv2')
        for data, title, filename in (
            ('places', 'Places365', 'deepfillv2_256x256_8x2_places_20200619-10d15793.pth'),
            ('celeba', 'CelebA-HQ', 'deepfillv2_256x256_8x2_celeba_20200619-c96e5f12.pth'))
    ]
