# DFNet trained on the demo photos (64x64 crops, random rectangles) on a CPU:
#   python tools/train.py configs/dfnet/demo.py
# Its full run was not timed; the VGG19 losses on three scales dominate a step (see the
# AOT-GAN demo's figure).
# A narrow generator (base_channels=16, 6 levels so that 64x64 divides, fusion on the 4
# finest scales), the authors' loss recipe over those scales. The VGG19 losses use RANDOM
# weights (pretrained=False, no downloads): they then act only as random-feature losses.
_base_ = ['./places_512.py']
model = dict(
    generator=dict(base_channels=16, encoder_kernels=(7, 5, 5, 3, 3, 3), num_fusion=4),
    losses=[
        dict(type='L1Loss', outputs=('output', 'output_s2', 'output_s4', 'output_s8'),
             loss_weight=6.0 / 4),
        dict(type='VGGFeatureMatchingLoss', outputs=('output', 'output_s2', 'output_s4'),
             loss_weight=0.1 / 3, composite=False, layers=('relu1_2', 'relu2_2', 'relu3_4'),
             layer_weights=(1.0, 1.0, 1.0), pretrained=False),
        dict(type='StyleLoss', outputs=('output', 'output_s2', 'output_s4'),
             loss_weight=240.0 / 3, region='all', layers=('relu1_2', 'relu2_2', 'relu3_4'),
             pretrained=False),
        dict(type='TotalVariationLoss', outputs=('output', 'output_s2', 'output_s4'),
             loss_weight=0.1 / 3),
    ],
)
# The demo photos: 64x64 crops of photos scaled to 30-100% of 256 pixels.
demo = dict(type='DemoDataset', data_root='data/demo', crop_size=64)
demo_mask = dict(type='RandomRectangle', min_size=0.2, max_size=0.5)
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(demo, split='train', mask=dict(demo_mask, _delete_=True),
                 resize=dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0),
                             keep_ratio=True)))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(demo, split='val', mask=dict(demo_mask, _delete_=True)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=100, val_interval=50)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = []
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=50))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=50)]
