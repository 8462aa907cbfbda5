# EdgeConnect (Nazeri et al., 2019): edge model G1/D1 and image model G2/D2 at the paper's
# widths, with the authors' losses (their config.yml):
#   G1: adversarial (nsgan) + 10 x feature matching (L1 of the five D1 layers, summed)
#   G2: L1 / hole fraction + 0.1 x adversarial + 0.1 x perceptual + 250 x style
# The VGG19 losses need torchvision's vgg19-dcbb9e9d.pth (~/.cache/torch/hub/checkpoints/,
# a folder of $TOOLBOX_WEIGHTS, or vgg_weights=PATH below).
vgg_weights = None
model = dict(
    type='EdgeConnectInpaintor',
    phase=1,
    edge_generator=dict(type='EdgeConnectEdgeGenerator', base_channels=64, num_blocks=8),
    inpaint_generator=dict(type='EdgeConnectInpaintGenerator', base_channels=64,
                           num_blocks=8),
    edge_discriminator=dict(type='EdgeConnectDiscriminator', in_channels=2,
                            base_channels=64),
    inpaint_discriminator=dict(type='EdgeConnectDiscriminator', in_channels=3,
                               base_channels=64),
    edge_losses=[
        dict(type='NonSaturatingGANLoss', loss_weight=1.0),
        dict(type='DMFNFeatureMatchingLoss', loss_weight=10.0, layer_weights=(1, 1, 1, 1, 1)),
    ],
    inpaint_losses=[
        dict(type='HoleNormalizedL1Loss', loss_weight=1.0),
        dict(type='NonSaturatingGANLoss', loss_weight=0.1),
        dict(type='VGGFeatureMatchingLoss', loss_weight=0.1, composite=False,
             layer_weights=(1, 1, 1, 1, 1), vgg_weights=vgg_weights),
        dict(type='StyleLoss', loss_weight=250.0, vgg_weights=vgg_weights),
    ],
    sigma=2.0,
)
