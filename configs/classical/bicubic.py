# Bicubic interpolation of the known grid (OpenCV's cubic kernel), the paper's baseline for
# the interpolation masks (Every N Lines, Nearest Neighbor); other masks fall back to Telea.
#   python tools/evaluate.py configs/classical/bicubic.py none --data DIR --mask-sets DIR
_base_ = ['./telea.py']

model = dict(generator=dict(type='BicubicInterpolation', radius=3))
test_dataloader = dict(dataset=dict(mask_dir='data/mask_sets/NearestNeighbor'))
