# The basic plugin's encoder-decoder with a PatchGAN discriminator.
model = dict(
    type='GANInpaintor',
    generator=dict(type='EncoderDecoderGenerator', base_channels=32, num_downsamples=3),
    discriminator=dict(type='PatchDiscriminator', base_channels=64, num_layers=3),
    losses=[
        dict(type='L1Loss', hole_weight=6.0, valid_weight=1.0),
        dict(type='HingeGANLoss', loss_weight=0.1),
    ],
    disc_steps=1,
)
