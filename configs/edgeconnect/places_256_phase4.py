# EdgeConnect on Places2, end-to-end fine-tuning (the paper, Sec. 4: "we fine-tune the
# networks by removing D1, then train G1 and G2 end-to-end with learning rate 1e-6"): G2's
# losses reach G1 through the edge map; G1 has no adversarial loss of its own. Set
# model.joint_edge_gan=True (and add an edge_discriminator optimizer) for the authors'
# MODEL: 4, which keeps D1 and G1's own losses. Starts from phase 3's checkpoint.
#   python tools/train.py configs/edgeconnect/places_256_phase4.py
_base_ = ['./places_256_phase3.py']
model = dict(phase=4, joint_edge_gan=False)
load_from = 'work_dirs/edgeconnect_places_256_phase3/iter_2000000.pth'
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    edge_generator=dict(type='OptimWrapper',
                        optimizer=dict(type='Adam', lr=1e-6, betas=(0.0, 0.9))),
    inpaint_generator=dict(type='OptimWrapper',
                           optimizer=dict(type='Adam', lr=1e-6, betas=(0.0, 0.9))),
    inpaint_discriminator=dict(type='OptimWrapper',
                               optimizer=dict(type='Adam', lr=1e-7, betas=(0.0, 0.9))),
)
