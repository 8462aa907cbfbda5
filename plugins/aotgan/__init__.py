"""AOT-GAN (Zeng et al., "Aggregated Contextual Transformations for High-Resolution Image
Inpainting", TVCG 2022); see README.md."""
from toolbox import hookimpl

# Importing the modules registers their classes (the decorator on each).
from . import (  # noqa: F401
    convert, discriminator, generator, losses)


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='AOT-GAN',
            paper=('Zeng et al., "Aggregated Contextual Transformations for High-Resolution '
                   'Image Inpainting"'),
            venue='IEEE TVCG 2022',
            official_code='researchmm/AOT-GAN-for-Inpainting',
            plugin='aotgan',
            configs='aotgan',
        ),
    ]


@hookimpl
def toolbox_model_zoo():
    filename = 'AOT-GAN_512x512_4x12_places_20220509-6641441b.pth'
    return [
        # MMagic publishes the first 8 hex digits of the file's sha256 in its name
        dict(name='aotgan-places-512', title='AOT-GAN, Places2 512²',
             url=f'https://download.openmmlab.com/mmediting/inpainting/aot_gan/{filename}',
             page='https://github.com/open-mmlab/mmagic/blob/main/configs/aot_gan/metafile.yml',
             filename=filename, sha256='6641441b', member=None,
             licence="Apache-2.0 (the repository's)",
             source='MMagic (MMEditing) model zoo, configs/aot_gan/metafile.yml (code checked '
                    'against mmagic@0a560bb)',
             format='mmagic-aotgan', config='aotgan/places_512_mmagic', plugin='aotgan'),
    ]
