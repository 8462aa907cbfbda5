# DMFN on CelebA-HQ (faces resized to 256x256), as the authors' CelebA-HQ configuration:
# training holes are a 128x128 box at a random position with each side shrunk by up to
# 32 px (RandomBox), validation and testing use the centre 128x128 mask (the paper's
# Table 1). Everything else as configs/dmfn/paris_256.py. For Places2, set
# data_root='data/places2' (random 256 crops as here).
#   python tools/train.py configs/dmfn/celebahq_256.py
_base_ = ['./paris_256.py']
# Whole faces resized, not cropped.
train_dataloader = dict(dataset=dict(
    data_root='data/celeba_hq/train', random_crop=False,
    mask=dict(_delete_=True, type='RandomBox', max_shape=0.5, max_delta=0.125)))
val_dataloader = dict(dataset=dict(data_root='data/celeba_hq/val'))
test_dataloader = val_dataloader
