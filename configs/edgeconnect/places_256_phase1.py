# EdgeConnect (Nazeri et al., "EdgeConnect: Generative Image Inpainting with Adversarial
# Edge Learning", 2019) on Places2, phase 1 of 3: the edge model G1/D1 on Canny edges
# (sigma 2). The paper's settings: 256x256 images, batch 8, Adam lr 1e-4 betas (0, 0.9),
# discriminators at 0.1 x the generators' learning rate.
#
# Masks: the irregular masks of Liu et al. (a folder of mask images, white = hole, at
# data/masks/irregular) or a random block of half the image's size, 50/50 (the authors'
# MASK: 4). Data: data/places2/train/ and data/places2/val/ (any folder trees of images).
#   python tools/train.py configs/edgeconnect/places_256_phase1.py
# then phase 2 (places_256_phase2.py) and phase 3 (places_256_phase3.py).
#
# Validation in phase 1 measures the whole pipeline, whose image model is not trained yet;
# the training log reports the edge precision and recall in the holes.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/edgeconnect.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
model = dict(phase=1)
train_mask = dict(type='Mixture', generators=[
    dict(type='MaskFiles', root='data/masks/irregular'),
    dict(type='RandomRectangle', min_size=0.5, max_size=0.5),
])
train_dataloader = dict(batch_size=8, dataset=dict(
    data_root='data/places2/train', mask=train_mask,
    guidance=[dict(type='CannyEdges', sigma=2.0)], guidance_keys=('edge',)))
val_dataloader = dict(dataset=dict(data_root='data/places2/val', mask=train_mask))
test_dataloader = val_dataloader
# The authors' MAX_ITERS; the paper trains until the losses plateau, then at lr 1e-5.
train_cfg = dict(max_iters=2000000, val_interval=10000)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    edge_generator=dict(type='OptimWrapper',
                        optimizer=dict(type='Adam', lr=1e-4, betas=(0.0, 0.9))),
    edge_discriminator=dict(type='OptimWrapper',
                            optimizer=dict(type='Adam', lr=1e-5, betas=(0.0, 0.9))),
)
default_hooks = dict(checkpoint=dict(interval=10000))
