# A folder of training images and one of validation images, 256x256 crops.
# Set each dataset's data_root to your dataset (in a config, or with --cfg-options
# train_dataloader.dataset.data_root=DIR); see the README for layouts. The datasets build
# their pipeline from mask= and crop_size= (toolbox/datasets/standard_pipeline.py), so a
# config that inherits this one changes the mask or the size with one key per dataset.
train_dataloader = dict(
    batch_size=8, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='ImageFolderDataset', data_root='data/places/train', crop_size=256,
                 mask=dict(type='RandomRectangle')))
val_dataloader = dict(
    batch_size=8, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageFolderDataset', data_root='data/places/val', crop_size=256,
                 mask=dict(type='RandomRectangle'), test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='MAE')]
test_evaluator = val_evaluator
