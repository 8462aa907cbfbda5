# DMFN (Hui et al., "Image Fine-grained Inpainting", arXiv:2002.02609) on Paris StreetView
# with the paper's setting: 256x256 images, the centre regular mask (a 128x128 hole in the
# middle, for training and testing), batch 16, Adam lr 2e-4 betas (0.5, 0.999).
#
# Loss: L_mae + 25 (L_self-guided + L_fm_vgg) + 5 L_fm_dis + 0.003 L_adv + 1 L_align
# (lambda, eta, mu, gamma of the authors' released configuration). gamma = 1 is the
# authors' weight in their centre coordinates, [-1, 1): hence coordinates='signed' below;
# with the loss's default [0, 1] coordinates the same gamma would be a quarter of it. The
# released code's y-map also measures the column centre twice (columns_twice=True
# reproduces that; off here, so the row centre counts as in the paper's equation 6). The
# adversarial term is the relativistic average GAN loss (RaGAN) the authors train with.
#
# VGG19 needs torchvision's vgg19-dcbb9e9d.pth (put it in ~/.cache/torch/hub/checkpoints/,
# a folder of $TOOLBOX_WEIGHTS, or set vgg_weights=PATH on the three VGG losses).
# Data: data/paris/train/ and data/paris/val/ (any folder tree of images). Train with
#   python tools/train.py configs/dmfn/paris_256.py
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
vgg_weights = None   # path of vgg19-dcbb9e9d.pth or a folder holding it; None: the caches
model = dict(
    type='GANInpaintor',
    generator=dict(type='DMFNGenerator', base_channels=64, num_blocks=8,
                   rates=(1, 2, 4, 8), combination='dense'),
    discriminator=dict(type='DMFNDiscriminator', image_size=256, local_size=128,
                       base_channels=64),
    losses=[
        # L_mae on the composited image (the hole only), as the authors' code
        dict(type='L1Loss', hole_weight=1.0, valid_weight=0.0),
        dict(type='SelfGuidedRegressionLoss', loss_weight=25.0, vgg_weights=vgg_weights),
        dict(type='VGGFeatureMatchingLoss', loss_weight=25.0, vgg_weights=vgg_weights),
        dict(type='GeometricalAlignmentLoss', loss_weight=1.0, vgg_weights=vgg_weights,
             coordinates='signed'),
        dict(type='DMFNFeatureMatchingLoss', loss_weight=5.0),
        dict(type='RelativisticAverageGANLoss', loss_weight=0.003),   # RaGAN, as the authors
    ],
    disc_steps=1,
)
centre_mask = dict(type='CenterSquare', size=0.5)
train_dataloader = dict(
    batch_size=16, dataset=dict(data_root='data/paris/train', mask=centre_mask))
val_dataloader = dict(dataset=dict(data_root='data/paris/val', mask=centre_mask))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='SSIM'), dict(type='MAE')]
test_evaluator = val_evaluator
# The authors' configs halve the learning rate after 100k iterations.
train_cfg = dict(max_iters=200000, val_interval=5000)
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[100000], gamma=0.5)]
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
)
default_hooks = dict(checkpoint=dict(interval=5000))
