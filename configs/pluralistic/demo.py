# Pluralistic trained on the demo photos (64x64 crops, random rectangles) on a CPU:
#   python tools/train.py configs/pluralistic/demo.py
# A narrow 4-level network (base_channels=16, z 32 channels), the official loss weights.
# Several completions of one photo after training:
#   python tools/inpaint.py --config configs/pluralistic/demo.py --checkpoint CKPT \
#       --image IMG --mask MASK --out OUT.png
_base_ = ['./places2_256.py']
model = dict(
    generator=dict(base_channels=16, max_channels=32, layers=4, z_channels=32, infer_blocks=2,
                   output_scales=3),
    discriminator=dict(base_channels=16, max_channels=32, num_layers=4),
)
# the demo photos at 64x64 with random rectangles, replacing the paper's data keys
train_dataloader = dict(
    _delete_=True, batch_size=4, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='DemoDataset', split='train', crop_size=64,
                 resize=dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0),
                             keep_ratio=True),
                 mask=dict(type='RandomRectangle', min_size=0.2, max_size=0.5)))
val_dataloader = dict(
    _delete_=True, batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='DemoDataset', split='val', crop_size=64, test_mode=True,
                 mask=dict(type='RandomRectangle', min_size=0.2, max_size=0.5)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=100, val_interval=50)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=50))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=50)]
