# DeepFill v1 (Yu et al., "Generative Image Inpainting with Contextual Attention", CVPR
# 2018): vanilla-convolution coarse-to-fine generator with contextual attention in the
# authors' TF formulation (3,601,542 parameters at cnum=32), local + global WGAN-GP critics
# (7,072,770 at 256² with a 128² local box). Loss weights as the authors' inpaint.yml:
# L1_LOSS_ALPHA = AE_LOSS_ALPHA = 1.2, COARSE_L1_ALPHA = 1.2 on top for the coarse stage
# (1.44), GAN_LOSS_ALPHA 0.001, WGAN_GP_LAMBDA 10; five critic updates per generator update.
# See plugins/deepfillv1/README.md.
model = dict(
    type='GANInpaintor',
    generator=dict(type='DeepFillv1Generator', cnum=32, attention='tf'),
    discriminator=dict(type='DeepFillv1Critic', image_size=256, local_size=128, cnum=64),
    losses=[
        # spatially discounted L1 in the hole (the paper's gamma 0.99)
        dict(type='SpatiallyDiscountedL1Loss', outputs='coarse', gamma=0.99, loss_weight=1.44),
        dict(type='SpatiallyDiscountedL1Loss', outputs='output', gamma=0.99, loss_weight=1.2),
        # the 'ae' term: plain L1 on the known pixels
        dict(type='L1Loss', outputs='coarse', hole_weight=0.0, valid_weight=1.0,
             loss_weight=1.44),
        dict(type='L1Loss', outputs='output', hole_weight=0.0, valid_weight=1.0,
             loss_weight=1.2),
        dict(type='WGANGPLoss', loss_weight=0.001, gp_weight=10.0, mask_gradients=True),
    ],
    disc_steps=5,
)
