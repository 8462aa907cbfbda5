# DeepFill v2 (Yu et al., "Free-Form Image Inpainting with Gated Convolution", ICCV 2019):
# gated coarse-to-fine generator with contextual attention (4,052,478 parameters at
# cnum=48), SN-PatchGAN discriminator (5,946,816), L1 on the coarse and the final output
# plus the hinge GAN loss. See plugins/deepfillv2/README.md.
model = dict(
    type='GANInpaintor',
    generator=dict(type='DeepFillv2Generator', cnum=48, sketch=False),
    discriminator=dict(type='SNPatchGANDiscriminator', base_channels=64, num_layers=6,
                       sketch=False),
    losses=[
        # The authors' code: mean |x - y| over all pixels (hole and valid weighted alike)
        # for both stages.
        dict(type='L1Loss', outputs=('coarse', 'output'), hole_weight=1.0, valid_weight=1.0),
        # 0.1 by default here; the authors' released config weighs GAN and L1 1:1
        # (gan_loss_alpha: 1): set loss_weight=1.0 to follow it exactly.
        dict(type='HingeGANLoss', loss_weight=0.1),
    ],
    disc_steps=1,   # one D update per G update, as the authors' trainer
)
