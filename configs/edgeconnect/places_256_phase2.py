# EdgeConnect on Places2, phase 2 of 3: the image model G2/D2 conditioned on the
# ground-truth Canny edges (the authors' MODEL: 2). Same data, masks and optimiser
# settings as phase 1 (Adam lr 1e-4 betas (0, 0.9), D at 0.1 x, batch 8, 256x256).
#
# It starts from phase 1's checkpoint (load_from, weights only), so that its own
# checkpoint holds the trained edge model too and phase 3 needs one file. G1 and D1 stay
# frozen here. To train phases 1 and 2 side by side instead, pass
# --cfg-options load_from=None and merge the two checkpoints' edge_* and inpaint_* keys.
#   python tools/train.py configs/edgeconnect/places_256_phase2.py
_base_ = ['./places_256_phase1.py']
model = dict(phase=2)
load_from = 'work_dirs/edgeconnect_places_256_phase1/iter_2000000.pth'
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    inpaint_generator=dict(type='OptimWrapper',
                           optimizer=dict(type='Adam', lr=1e-4, betas=(0.0, 0.9))),
    inpaint_discriminator=dict(type='OptimWrapper',
                               optimizer=dict(type='Adam', lr=1e-5, betas=(0.0, 0.9))),
)
