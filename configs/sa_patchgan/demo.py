# The flagship, shrunk to run all five stages on a CPU in about a minute: 64x64 crops of
# the demo photos (no download), narrow networks, 4 iterations per stage. Only sizes,
# widths, iterations and data differ from configs/sa_patchgan_5s.py -- and the semantic
# network, which is a tiny random timm test model because no pretrained weights can be
# assumed on a fresh machine.
#   python tools/train.py configs/sa_patchgan/demo.py
_base_ = ['./places_256.py']
model = dict(
    generator=dict(cnum=8),
    scheduler=dict(stage_iters=(4, 4, 4, 4, 4)),     # stages at 16, 24, 32, 48, 64
    discriminator=dict(base_channels=8, embed_dim=32, semantic_model='test_resnet',
                       pretrained=False),
)
# The demo photos: 64x64 crops of photos scaled to 30-100% of 256 pixels.
demo = dict(type='DemoDataset', data_root='data/demo', crop_size=64)
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(demo, split='train',
                 resize=dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0),
                             keep_ratio=True)))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(demo, split='val'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=20, val_interval=10)
default_hooks = dict(logger=dict(interval=2), checkpoint=dict(interval=6))
custom_hooks = [
    dict(type='ProgressiveStageHook', full_size=(64, 64)),
    dict(type='InpaintingVisualizationHook', interval=10),
]
