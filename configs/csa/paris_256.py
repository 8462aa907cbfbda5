# CSA (Liu et al., "Coherent Semantic Attention for Image Inpainting", ICCV 2019) on Paris
# StreetView at 256x256, as the paper's model with the official training settings
# (KumapowerLIU/CSA-inpainting, train.ipynb and models/CSA.py): images resized to 256x256
# and flipped, the official centred 120x120 hole (mask_type='center', overlap 4), batch 1,
# Adam lr 2e-4, betas (0.5, 0.999) for every network; loss 100 (L1(refined) + L1(rough))
# + 0.2 (RaLSGAN of the patch and of the feature discriminator) + the consistency loss.
# Unlike the official code, the consistency loss and the feature discriminator train the
# generator (the paper). The official lr stays constant for 20 epochs, then decays linearly
# to 0 over 100 more; this config keeps it constant. Counts: refinement net 77,692,291,
# rough net 54,419,459, patch D 2,766,529, feature D 10,487,296. The VGG-16 terms need
# torchvision's vgg16-397923af.pth. See plugins/csa/README.md.
#   python tools/train.py configs/csa/paris_256.py
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
vgg_weights = None
model = dict(
    type='CSAInpaintor',
    generator=dict(type='CSAGenerator', rough=dict(base_channels=64, num_downs=8),
                   refinement=dict(base_channels=64, num_downs=8, threshold=5 / 16),
                   detach_rough=True),
    discriminator=dict(type='CSADiscriminator', patch=dict(base_channels=64),
                       feature=dict(vgg_weights=vgg_weights)),
    losses=[
        dict(type='L1Loss', loss_weight=100.0, outputs=('rough', 'output')),
        # 0.2 x the official halved terms = 0.1 x the un-halved ones of this loss
        dict(type='RelativisticAverageLSGANLoss', loss_weight=0.1),
    ],
    consistency=dict(loss_weight=1.0, vgg_weights=vgg_weights),
    disc_loss_scale=0.25,
    disc_input='output',
)
data_root = 'data/paris_streetview'
train_mask = dict(type='CenterSquare', size=120 / 256)
train_dataloader = dict(
    batch_size=1,
    # the whole photo resized to 256x256 (no crop), flipped, as the official loader
    dataset=dict(data_root=data_root + '/train', random_crop=False,
                 mask=dict(train_mask, _delete_=True)))
val_dataloader = dict(
    batch_size=1,
    dataset=dict(data_root=data_root + '/val', mask=dict(train_mask, _delete_=True)))
test_dataloader = val_dataloader
# 120 epochs of Paris StreetView's 14,900 training images at batch 1
train_cfg = dict(max_iters=1788000, val_interval=14900)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
)
default_hooks = dict(checkpoint=dict(interval=14900))
