# Internal learning, DIP-Vid-3DCN (the 3D variant of Zhang et al., ICCV 2019), as the
# official src/configs/DIP_Vid_3DCN.py: a 3D generator (9,089,119 parameters) over windows
# of 5 frames at stride 1, the image loss only, Adam 1e-2, 100 steps per batch.
# See davis_192x384.py for the command line.
_base_ = ['./davis_192x384.py']

model = dict(
    generator=dict(dims=3, k_down=(3, 5, 5), k_up=(3, 3, 3), k_skip=(1, 1, 1),
                   flow_strides=()),
    loss_weights=dict(recon_flow=0, consistency=0, perceptual=0),
)
