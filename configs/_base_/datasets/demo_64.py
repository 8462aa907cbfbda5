# The demo photos from scikit-image (written to data/demo/ on first use), 64x64 crops of
# photos randomly scaled to 30-100% of 256 pixels. Pipeline keys as in image_folder_256.py.
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='DemoDataset', split='train', crop_size=64,
                 resize=dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0),
                             keep_ratio=True),
                 mask=dict(type='RandomRectangle', min_size=0.2, max_size=0.5)))
val_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='DemoDataset', split='val', crop_size=64,
                 mask=dict(type='RandomRectangle', min_size=0.2, max_size=0.5), test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='MAE')]
test_evaluator = val_evaluator
