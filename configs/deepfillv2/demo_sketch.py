# User-guided DeepFill v2 on the demo photos: the sketch channel is the Canny edge map of
# each training crop, extracted on the fly (the paper uses HED edges, whose weights cannot
# be downloaded here). At inference, pass a user-drawn sketch (white strokes on black):
#   python tools/inpaint.py --config configs/deepfillv2/demo_sketch.py \
#       --checkpoint work_dirs/deepfillv2_demo_sketch/iter_200.pth \
#       --image photo.png --mask mask.png --sketch sketch.png --out result.png
_base_ = ['./demo.py']
model = dict(
    generator=dict(sketch=True),
    discriminator=dict(sketch=True),
)
# The sketch channel, in training and validation; the mask is the base config's.
sketch = dict(type='CannySketch', low_threshold=60, high_threshold=140, sigma=1.0)
train_dataloader = dict(dataset=dict(guidance=[sketch]))
val_dataloader = dict(dataset=dict(guidance=[sketch]))
test_dataloader = val_dataloader
