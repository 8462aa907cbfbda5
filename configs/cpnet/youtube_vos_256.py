# Copy-and-Paste Networks (Lee et al., "Copy-and-Paste Networks for Deep Video Inpainting",
# ICCV 2019): the released network (21,631,385 values in the state dict, 16,911,769
# parameters used), its inference protocol (references every 2nd frame within +-120, two
# passes blended by position) and the paper's training, which the release lacks.
#
# Inference with the released weights (weight.pth of the official README), converted once:
#   python tools/convert_weights.py official-cpnet weight.pth cpnet.pth
#   python tools/inpaint.py --config configs/cpnet/youtube_vos_256.py --checkpoint cpnet.pth \
#       --video CLIP.mp4|FRAMES/ --mask MASKS/ --out FRAMES_OUT/
# Training: clips of 5 frames (the middle one the target, the others its references) at
# 256x256 from a folder of videos (YouTube-VOS's JPEGImages layout), moving-stroke masks,
# the loss weights of plugins/cpnet/model.py (README.md says which are the paper's). The
# perceptual and style terms need torchvision's vgg16-397923af.pth.
#   python tools/train.py configs/cpnet/youtube_vos_256.py
_base_ = ['../_base_/default_runtime.py']

model = dict(
    type='CPNetInpaintor',
    base_channels=64, align_size=224,
    align_corners=True,          # PyTorch 0.4's affine_grid/grid_sample, as released
    fix_reference_hole=False,    # the released map quirk (issue #11 of the official repo)
    radius=120, step=2,
    vgg=dict(arch='vgg16', layers=('pool1', 'pool2', 'pool3'), pretrained=True),
)
train_dataloader = dict(
    batch_size=8, num_workers=4, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='ClipDataset', data_root='data/youtube_vos/train/JPEGImages',
                 num_frames=5, stride=2, crop_size=(256, 256),
                 mask_generator=dict(type='MovingStrokes', preset='object_like')))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ClipDataset', data_root='data/youtube_vos/valid/JPEGImages',
                 num_frames=5, crop_size=(256, 256), test_mode=True,
                 mask_generator=dict(type='MovingStrokes', preset='object_like')))
test_dataloader = val_dataloader
# PSNR and MAE per frame, averaged over all frames
val_evaluator = [dict(type='PSNR'), dict(type='MAE')]
test_evaluator = val_evaluator
train_cfg = dict(type='IterBasedTrainLoop', max_iters=500000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))
default_hooks = dict(checkpoint=dict(interval=5000))
