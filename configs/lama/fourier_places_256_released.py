# LaMa-Fourier as the authors released it (lama-fourier/models/best.ckpt, Places-Challenge,
# 256x256 crops), for its converted weights: the generator runs on [0, 1] images with a
# sigmoid output as LaMa's does, and so does the discriminator (value_range='[0,1]'; see
# plugins/lama/README.md).
#
#   python tools/convert_weights.py lama-fourier checkpoints/lama-fourier/models/best.ckpt \
#       checkpoints/lama_fourier_places.pth
#
# The losses are LaMa's except the high-receptive-field perceptual loss, whose network
# has weights of its own that the released file does not hold (add it back to fine-tune
# with it; its backbone then loads from its own weights file).
_base_ = ['./fourier_places_256.py']
model = dict(
    generator=dict(type='FFCResNetGenerator', preset='lama-fourier', value_range='[0,1]'),
    discriminator=dict(type='NLayerDiscriminator', value_range='[0,1]'),
    losses=[
        dict(type='L1Loss', hole_weight=0.0, valid_weight=1.0, loss_weight=10.0),
        dict(type='DiscriminatorFeatureMatchingLoss', kind='l2', loss_weight=100.0),
        dict(type='NonSaturatingR1Loss', loss_weight=10.0, r1_weight=0.001,
             mask_as_fake_target=True),
    ],
)
