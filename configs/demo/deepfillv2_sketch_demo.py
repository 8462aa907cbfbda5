# User-guided DeepFill v2 on the demo photos: the sketch channel is the Canny edge map of
# each training crop, extracted on the fly (the paper uses HED edges, whose weights cannot
# be downloaded here). At inference, pass a user-drawn sketch (white strokes on black):
#   python tools/inpaint.py --config configs/demo/deepfillv2_sketch_demo.py \
#       --checkpoint work_dirs/deepfillv2_sketch_demo/iter_200.pth \
#       --image photo.png --mask mask.png --sketch sketch.png --out result.png
_base_ = ['./deepfillv2_demo.py']
model = dict(
    generator=dict(sketch=True),
    discriminator=dict(sketch=True),
)
sketch = dict(type='CannySketch', low_threshold=60, high_threshold=140, sigma=1.0)
train_mask = dict(type='FreeFormBrush', reference_size=256, max_strokes=2,
                  box=dict(type='RandomBox', max_shape=0.5, max_delta=0.125))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0), keep_ratio=True),
    dict(type='RandomCrop', size=64),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    sketch,
    dict(type='GenerateMask', generator=train_mask),
    dict(type='PackInpaintingInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    sketch,
    dict(type='GenerateMask', generator=train_mask, deterministic=True),
    dict(type='PackInpaintingInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
