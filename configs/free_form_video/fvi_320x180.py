# 3D gated convolutions + Temporal PatchGAN (Chang et al., "Free-form Video Inpainting with
# 3D Gated Convolution and Temporal PatchGAN", ICCV 2019) on clips of 15 frames at 320x180
# with free-form moving strokes, as the paper's model: generator nf = 64 with the skip
# connections of the release (38,606,598 parameters), T-PatchGAN nf = 64 (17,842,816) on raw
# logits with the paper's hinge loss.
#
# Loss: masked L1 (the hole pixels, a mean over all pixels, which equals the official L1
# of the composite) + 1 x VGG perceptual + 10 x style + 1 x T-PatchGAN. The weights 1, 1, 10
# are those of the official config.json (loss_recon 1, loss_vgg 1, loss_style 10) and with
# the T-PatchGAN's 1 the "1_1_10_1" in the name of the released FVI-trained model; the VGG
# terms need torchvision's vgg16-397923af.pth. Adam lr 1e-4 (official config.json; its
# amsgrad kept) for both networks; clips of 15 frames at 320x180 as the official
# inference example. The official code's own choice (lsgan with a sigmoid) is
#   --cfg-options model.losses.3.gan_type=lsgan model.discriminator.sigmoid=True
# Point data_root at one folder of frames per video (FVI/YouTube-VOS JPEGImages layout).
#   python tools/train.py configs/free_form_video/fvi_320x180.py
_base_ = ['../_base_/default_runtime.py', '../_base_/schedules/gan_iter.py']
vgg_weights = None
model = dict(
    type='VideoGANInpaintor',
    generator=dict(type='Gated3DGenerator', base_channels=64, skip_connections=True),
    discriminator=dict(type='TemporalPatchGANDiscriminator', base_channels=64, sigmoid=False),
    losses=[
        dict(type='L1Loss', hole_weight=1.0, valid_weight=0.0),
        dict(type='VideoPerceptualLoss', loss_weight=1.0, vgg_weights=vgg_weights),
        dict(type='VideoStyleLoss', loss_weight=10.0, vgg_weights=vgg_weights),
        dict(type='TemporalPatchGANLoss', loss_weight=1.0, gan_type='hinge'),
    ],
)
data_root = 'data/fvi'
train_dataloader = dict(
    batch_size=2, num_workers=4, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='ClipDataset', data_root=data_root + '/train', num_frames=15,
                 stride=1, crop_size=(180, 320),
                 mask_generator=dict(type='MovingStrokes', preset='object_like')))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ClipDataset', data_root=data_root + '/test', num_frames=15,
                 crop_size=(180, 320), test_mode=True,
                 mask_generator=dict(type='MovingStrokes', preset='object_like')))
test_dataloader = val_dataloader
# PSNR and MAE per frame, averaged over all frames
val_evaluator = [dict(type='PSNR'), dict(type='MAE')]
test_evaluator = val_evaluator
train_cfg = dict(max_iters=500000, val_interval=10000)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), amsgrad=True)),
    discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), amsgrad=True)),
)
default_hooks = dict(checkpoint=dict(interval=10000))
