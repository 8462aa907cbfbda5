# Big LaMa as the authors released it (big-lama/models/best.ckpt: 18 FFC blocks, trained on
# Places-Challenge 256x256 crops), for its converted weights, validated and tested at
# 512x512 as the paper evaluates it. The generator runs on [0, 1] images with a sigmoid
# output as LaMa's does (value_range='[0,1]'; see plugins/lama/README.md).
#
#   python tools/convert_weights.py big-lama checkpoints/big-lama/models/best.ckpt \
#       checkpoints/big_lama_places.pth
#   python tools/inpaint.py --config configs/lama/big_places_512.py \
#       --checkpoint checkpoints/big_lama_places.pth --image I --mask M --out O
_base_ = ['./fourier_places_256_released.py']
model = dict(generator=dict(preset='big-lama'))
val_dataloader = dict(dataset=dict(crop_size=512))
test_dataloader = val_dataloader
