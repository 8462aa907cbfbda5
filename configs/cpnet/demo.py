# CPNet trained for a CPU-sized budget on the bundled real clips (bikes, bigbuckbunny;
# carphone is held out for evaluation):
#   python -c "from toolbox.video import materialise_clips; materialise_clips('data/clips')"
#   python tools/train.py configs/cpnet/demo.py
# A narrow network (base_channels=16, alignment input 64x64), 5-frame clips at 64x64 with
# moving strokes, the loss weights of the paper config. The VGG-16 terms use RANDOM weights
# (pretrained=False, no downloads): they then act only as random-feature losses.
# Completing a clip afterwards:
#   python tools/inpaint.py --config configs/cpnet/demo.py --checkpoint CKPT \
#       --video data/clips/test/carphone_qcif/ --mask MASKS/ --out OUT/
_base_ = ['./youtube_vos_256.py']
model = dict(base_channels=16, align_size=64, radius=30,
             vgg=dict(pretrained=False))
train_dataloader = dict(
    batch_size=2, num_workers=0,
    dataset=dict(data_root='data/clips/train', num_frames=5, stride=2, crop_size=(64, 64),
                 mask_generator=dict(type='MovingStrokes', preset='object_like_small')))
val_dataloader = dict(
    batch_size=1, num_workers=0,
    dataset=dict(data_root='data/clips/test', num_frames=5, crop_size=(64, 64), clip_step=60,
                 mask_generator=dict(type='MovingStrokes', preset='object_like_small')))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=200, val_interval=100)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=100))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=50)]
