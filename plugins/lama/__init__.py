"""LaMa (Suvorov et al., "Resolution-robust Large Mask Inpainting with Fourier
Convolutions", WACV 2022); see README.md."""
from toolbox import hookimpl

# Importing the modules registers their classes (the decorator on each).
from . import (  # noqa: F401
    convert, discriminator, generator, losses)


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='LaMa',
            paper=('Suvorov et al., "Resolution-robust Large Mask Inpainting with Fourier '
                   'Convolutions"'),
            venue='WACV 2022',
            official_code='advimman/lama',
            plugin='lama',
            configs='lama',
        ),
    ]


@hookimpl
def toolbox_model_zoo():
    # LaMa publishes no hashes: the first verified download's sha256 is recorded (toolbox.zoo)
    return [
        dict(name='big-lama', title='Big LaMa, Places-Challenge 512²',
             url='https://huggingface.co/smartywu/big-lama/resolve/main/big-lama.zip',
             page='https://github.com/advimman/lama#inference-', filename='big-lama.zip',
             sha256=None, member='big-lama/models/best.ckpt',
             licence="Apache-2.0 (the repository's)",
             source="advimman/lama, big-lama.zip (the Hugging Face link in LaMa's README; code "
                    'checked against lama@786f593)',
             format='big-lama', config='lama/big_places_512', plugin='lama'),
        dict(name='lama-fourier', title='LaMa-Fourier, Places 256²', url=None,
             page='https://github.com/advimman/lama#inference- (the Google Drive folder of '
                  'the authors\' models, lama-fourier/models/best.ckpt)',
             filename='lama-fourier/models/best.ckpt', sha256=None, member=None,
             licence="Apache-2.0 (the repository's)",
             source="advimman/lama, the authors' model folder (Google Drive link in LaMa's "
                    'README)',
             format='lama-fourier', config='lama/fourier_places_256_released', plugin='lama'),
    ]
