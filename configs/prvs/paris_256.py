# PRVS (Li et al., "Progressive Reconstruction of Visual Structure for Image Inpainting",
# ICCV 2019) on Paris StreetView at 256x256: the official network (8 layers, VSR layers
# first and last two) with LeakyReLU after its second-to-last layer, which the official
# code asks for and silently drops ('leaky' vs 'Leaky'; paris_256_released.py keeps the
# drop). Generator 55,543,043 parameters, edge discriminator 2,762,752.
#
# The rest is the official training code (run.py, model.py): a folder of mask images
# (point mask_root at e.g. NVIDIA's irregular masks), Canny edges (sigma 2) of the ground
# truth, batch 6; Adam lr 2e-4 for G, 2e-5 for D (default betas); loss 50 L_valid + 50 L_hole
# + 0.05 L_perceptual + 150 L_style + 0.1 L_tv on images in [0, 1] and 0.1 x the edge GAN
# loss at both edge scales. Official crops: a random square of side 256..short side, resized
# to 256; here: the short side resized to 256..350, then a random 256 crop. The VGG-16
# terms need torchvision's vgg16-397923af.pth (vgg_weights=PATH if not in the caches).
# The official README then fine-tunes (paris_256_finetune.py). See plugins/prvs/README.md.
#   python tools/train.py configs/prvs/paris_256.py
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
vgg_weights = None
model = dict(
    type='PRVSInpaintor',
    generator=dict(type='PRVSGenerator', layer_size=8, base_channels=64,
                   dec2_activation='leaky', edge_sigma=2.0),
    discriminator=dict(type='PRVSEdgeDiscriminator', base_channels=64),
    losses=[
        dict(type='PRVSImageLoss', vgg_weights=vgg_weights, vgg_input='imagenet',
             weights=dict(valid=50.0, hole=50.0, perceptual=0.05, style=150.0, tv=0.1)),
        dict(type='PRVSEdgeGANLoss', loss_weight=0.1),
    ],
    edge_sigma=2.0,
)
data_root = 'data/paris_streetview'
train_mask = dict(type='MaskFiles', root='data/masks/pconv')
train_dataloader = dict(
    batch_size=6,
    dataset=dict(data_root=data_root + '/train', mask=dict(train_mask, _delete_=True),
                 resize=dict(type='RandomResize', scale=(256, 256),
                             ratio_range=(1.0, 350 / 256), keep_ratio=True)))
val_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root + '/val', mask=dict(train_mask, _delete_=True)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=400000, val_interval=10000)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.9, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=2e-5, betas=(0.9, 0.999))),
)
default_hooks = dict(checkpoint=dict(interval=40000))
