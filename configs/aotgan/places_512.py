# AOT-GAN (Zeng et al., "Aggregated Contextual Transformations for High-Resolution Image
# Inpainting", TVCG 2022) on Places2 at the authors' setting (their src/utils/option.py):
# 512x512 crops, batch 8, 1e6 iterations, Adam lr 1e-4 betas (0.5, 0.999) for G and D,
# PConv's irregular masks (NVIDIA's mask set; point mask_root at it).
#
# Loss: 1 L1 + 250 style + 0.1 perceptual + 0.01 SM-PatchGAN, all reconstruction terms on
# the raw output over the whole image, as the authors. Perceptual: L1 of VGG19 relu1_1 ..
# relu5_1 with unit weights; style: Gram L1 on relu2_2, relu3_4, relu4_4, relu5_2.
# The discriminator judges the composited image (disc_input='composite').
# VGG19 needs torchvision's vgg19-dcbb9e9d.pth (see toolbox/nn/vgg.py).
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
vgg_weights = None
model = dict(
    type='GANInpaintor',
    generator=dict(type='AOTGANGenerator', base_channels=64, num_blocks=8, rates=(1, 2, 4, 8)),
    discriminator=dict(type='AOTGANDiscriminator', base_channels=64),
    losses=[
        dict(type='L1Loss', loss_weight=1.0),
        dict(type='StyleLoss', loss_weight=250.0, region='all', vgg_weights=vgg_weights),
        dict(type='VGGFeatureMatchingLoss', loss_weight=0.1, composite=False,
             layer_weights=(1.0, 1.0, 1.0, 1.0, 1.0), vgg_weights=vgg_weights),
        dict(type='SoftMaskGANLoss', loss_weight=0.01, kernel_size=71, sigma=10.0),
    ],
    disc_input='composite',
)
# PConv's irregular masks (NVIDIA's mask set; point root at it)
train_mask = dict(type='MaskFiles', root='data/masks/pconv')
train_dataloader = dict(batch_size=8, dataset=dict(crop_size=512, mask=train_mask))
val_dataloader = dict(batch_size=4, dataset=dict(crop_size=512, mask=train_mask))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=1_000_000, val_interval=10000)
