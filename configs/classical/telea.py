# OpenCV Telea inpainting: a training-free baseline (plugin `classical`).
# Per-mask-type table (CHECKPOINT `none`: there are no weights):
#   python tools/evaluate.py configs/classical/telea.py none --data DIR --mask-sets DIR
_base_ = ['../_base_/default_runtime.py']

model = dict(
    type='GANInpaintor',
    generator=dict(type='TeleaInpaint', radius=3),
    # Never trained; the inpaintor requires a loss.
    losses=[dict(type='L1Loss')],
)

# tools/test.py: one folder of images and one of masks (white = hole), e.g. a frozen set
# from tools/make_mask_set.py. LPIPS and FID need pretrained weights (see toolbox/weights.py):
# add dict(type='LPIPS') and dict(type='FID') to test_evaluator when they are cached.
test_dataloader = dict(
    batch_size=8, num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageFolderDataset', data_root='data/places/val', crop_size=256,
                 mask_dir='data/mask_sets/ThickStrokes', test_mode=True))
test_cfg = dict(type='TestLoop')
test_evaluator = [dict(type='PSNR'), dict(type='SSIM'), dict(type='L1Error'),
                  dict(type='L2Error')]
