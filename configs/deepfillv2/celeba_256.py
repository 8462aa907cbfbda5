# DeepFill v2 on CelebA-HQ faces at 256x256 with the paper's settings: whole images resized
# to 256x256 (the authors' random_crop: False for faces), free-form brush strokes OR-ed
# with a random box, Adam lr 1e-4, betas (0.5, 0.999), batch size 16.
#
# Data: data/celeba/train/ and data/celeba/val/ (CelebA-HQ or aligned CelebA images; see
# plugins/deepfillv2/README.md). Train with
#   python tools/train.py configs/deepfillv2/celeba_256.py
_base_ = ['./places_256.py']
# Whole faces resized, not cropped; the mask is the base config's.
train_dataloader = dict(dataset=dict(data_root='data/celeba/train', random_crop=False))
val_dataloader = dict(dataset=dict(data_root='data/celeba/val'))
test_dataloader = val_dataloader
# CelebA-HQ has 28k training images: fewer iterations than Places2.
train_cfg = dict(max_iters=300000, val_interval=5000)
