# Partial Convolutions (Liu et al., "Image Inpainting for Irregular Holes Using Partial
# Convolutions", ECCV 2018): the partial-convolution U-Net (8 layers at 512², 32,859,732
# parameters; 7 at 256², 25,779,796), no discriminator, and the paper's loss (Sec. 3.4):
# L_valid + 6 L_hole + 0.05 L_perceptual + 120 L_style + 0.1 L_tv. See
# plugins/pconv/README.md. The VGG-16 of the perceptual and style terms needs torchvision's
# vgg16-397923af.pth (pretrained=True).
model = dict(
    type='GANInpaintor',
    generator=dict(type='PConvUNet', layer_size=8, base_channels=64,
                   freeze_encoder_bn=False),
    discriminator=None,
    losses=[
        dict(type='L1Loss', hole_weight=6.0, valid_weight=1.0),
        dict(type='PConvPerceptualLoss', loss_weight=0.05, pretrained=True),
        dict(type='PConvStyleLoss', loss_weight=120.0, pretrained=True),
        dict(type='DilatedHoleTVLoss', loss_weight=0.1),
    ],
)
