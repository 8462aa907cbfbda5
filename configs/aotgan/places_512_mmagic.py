# AOT-GAN as MMagic released it (AOT-GAN_512x512_4x12_places_20220509-6641441b.pth,
# Places2, 512x512, RGB), for its converted weights:
#
#   python tools/convert_weights.py mmagic-aotgan AOT-GAN_512x512_4x12_places_20220509-6641441b.pth \
#       checkpoints/aotgan_places_512_mmagic.pth
#
# The networks are configs/aotgan/places_512.py's. The perceptual and style losses are left
# out: their VGG19 has weights of its own that the released file does not hold (add them back
# to fine-tune; VGG19 then loads from vgg19-dcbb9e9d.pth).
#
# MMagic (as the authors) feeds the generator white holes, image * (1 - mask) + mask in
# [-1, 1]; hole_offset=1.0 does the same to the engine's zero-filled holes (the paper config
# keeps the engine's input). Measured against MMagic's own AOTInpaintor: plugins/aotgan/README.md.
# MMagic trains AOT-GAN with Adam betas (0.0, 0.9) for both networks
# (aot-gan_smpgan_4xb4_places-512x512.py); the authors' option.py gives (0.5, 0.999), as
# places_512.py. Set here for fine-tuning MMagic's weights the way MMagic trained them.
_base_ = ['./places_512.py']
model = dict(
    generator=dict(hole_offset=1.0),
    losses=[
        dict(type='L1Loss', loss_weight=1.0),
        # MMagic's discriminator learns 1 for real patches (the authors': 0)
        dict(type='SoftMaskGANLoss', loss_weight=0.01, kernel_size=71, sigma=10.0,
             real_label=1.0),
    ],
)
optim_wrapper = dict(
    generator=dict(optimizer=dict(betas=(0.0, 0.9))),
    discriminator=dict(optimizer=dict(betas=(0.0, 0.9))),
)
