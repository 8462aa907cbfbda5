# Context Encoders (Pathak et al., CVPR 2016) on Paris StreetView with the paper's centre
# region setting, as the authors' released training (train.lua: fineSize=128,
# overlapPred=4, wtl2=0.999, loadSize=350, batch 64, Adam lr 2e-4 beta1 0.5, the
# generator's learning rate 10x the discriminator's when both losses train, 500 epochs).
#
# The hole given to the network is the inner 56x56 of the centre 64x64 (a quarter of the
# image's area); the L2 covers the whole 64x64 (the hole dilated by 4 px), the 4 px band
# weighted 10x; joint loss 0.999 L2 + 0.001 adversarial. The discriminator judges the
# raw 64x64 prediction (disc_input='output'), not conditioned on the context.
# Data: data/paris/train/ and data/paris/val/. Train with
#   python tools/train.py configs/context_encoder/paris_128.py
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
model = dict(
    type='GANInpaintor',
    generator=dict(type='ContextEncoderGenerator', image_size=128, base_channels=64,
                   bottleneck='channel_fc'),
    discriminator=dict(type='ContextEncoderDiscriminator', crop_size=64, base_channels=64),
    losses=[
        dict(type='OverlapL2Loss', loss_weight=0.999, overlap=4, overlap_weight=10.0),
        dict(type='NonSaturatingGANLoss', loss_weight=0.001),
    ],
    disc_input='output',
)
# Images resized to 350x350, 128x128 crops, no flips (the authors' loadSize, fineSize).
hole = dict(type='CenterSquare', size=0.4375)     # 56x56 at 128x128: 64x64 less 4 px
train_dataloader = dict(batch_size=64, dataset=dict(
    data_root='data/paris/train', crop_size=128, mask=hole, flip=False,
    resize=dict(type='Resize', scale=(350, 350), keep_ratio=False)))
val_dataloader = dict(
    batch_size=16, dataset=dict(data_root='data/paris/val', crop_size=128, mask=hole))
test_dataloader = val_dataloader
# 500 epochs of Paris StreetView's 14,900 training images at batch 64
train_cfg = dict(max_iters=116500, val_interval=5000)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=2e-3, betas=(0.5, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
)
default_hooks = dict(checkpoint=dict(interval=5000))
