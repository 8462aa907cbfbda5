# LBAM (Xie et al., "Image Inpainting with Learnable Bidirectional Attention Maps", ICCV
# 2019) on Paris StreetView at 256x256, as the paper's model: batch norm after the attention
# of the inner layers (the official README says its release drops it), the paper's initial
# (a, mu, gamma_l, gamma_r) = (1.1, 2.0, 1.0, 1.0) in the reverse layers too, and the WGAN
# sign the official code gets wrong (its issue #7). Generator 68,304,948 parameters without
# batch norm (68,317,748 with it); two-column discriminator 22,316,417.
#
# The rest is the official training code (train.py, loss/InpaintingLoss.py): images
# resized to a short side of 350 (bicubic), random 256 crops, flips; a folder of mask
# images (point mask_root at e.g. NVIDIA's irregular masks); batch 16; Adam lr 1e-4,
# betas (0.5, 0.9) for G, lr 1e-5, betas (0.0, 0.9) for D; loss 6 L_hole + L_valid +
# 0.01 L_perceptual + 120 L_style + 0.1 L_adv (WGAN-GP, penalty 10), the discriminator
# judging the raw output. The VGG-16 terms need torchvision's vgg16-397923af.pth.
# See plugins/lbam/README.md.
#   python tools/train.py configs/lbam/paris_256.py
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
vgg_weights = None
model = dict(
    type='GANInpaintor',
    generator=dict(type='LBAMGenerator', base_channels=64, num_layers=7, alpha=0.8,
                   batch_norm=True, reverse_init='paper', clamp='values'),
    discriminator=dict(type='LBAMDiscriminator', base_channels=64, num_layers=6),
    losses=[
        dict(type='L1Loss', hole_weight=6.0, valid_weight=1.0),
        dict(type='LBAMPerceptualLoss', loss_weight=0.01, vgg_weights=vgg_weights),
        dict(type='LBAMStyleLoss', loss_weight=120.0, vgg_weights=vgg_weights),
        dict(type='LBAMWGANLoss', loss_weight=0.1, gp_weight=10.0),
    ],
    disc_input='output',
)
data_root = 'data/paris_streetview'
train_mask = dict(type='MaskFiles', root='data/masks/pconv')
train_dataloader = dict(
    batch_size=16,
    dataset=dict(data_root=data_root + '/train', mask=dict(train_mask, _delete_=True),
                 # short side to 350 (the long side is not limited), as the official
                 # Resize(350), then a random 256 crop and a flip
                 resize=dict(type='Resize', scale=(100000, 350), keep_ratio=True,
                             interpolation='bicubic')))
val_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root + '/val', mask=dict(train_mask, _delete_=True)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=500000, val_interval=10000)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.9))),
    discriminator=dict(optimizer=dict(type='Adam', lr=1e-5, betas=(0.0, 0.9))),
)
default_hooks = dict(checkpoint=dict(interval=10000))
