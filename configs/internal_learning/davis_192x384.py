# Internal learning, DIP-Vid-Flow (Zhang et al., ICCV 2019), as the official
# src/configs/DIP_Vid_Flow.py: losses 1 / 0.1 / 1 / 0.01, batches of 5 frames at strides
# 1, 3, 5, Adam 1e-2, 100 steps per batch, 20 passes of 50 batches (102,000 steps). The
# paper ran DAVIS clips resized to 192 x 384 (H x W); resize the frames before, the model
# works at the size it is given. Nothing is trained: `inpaint` optimises on each clip.
#   python tools/inpaint.py --config configs/internal_learning/davis_192x384.py \
#       --video FRAMES/ --mask MASKS/ --out OUT/ --window 100 --overlap 0
# (a window is one optimisation: the paper optimised whole clips of up to 100 frames).
# The perceptual loss needs torchvision's VGG16 weights (model.vgg_weights=PATH, or the
# torch hub cache); without them use loss_weights=dict(perceptual=0).
_base_ = ['../_base_/default_runtime.py']

model = dict(
    type='InternalLearning',
    generator=dict(down=(16, 32, 64, 128, 128, 128), up=(16, 32, 64, 128, 128, 128),
                   skip=(4, 4, 4, 4, 4, 4), k_down=5, k_up=3, k_skip=1,
                   flow_strides=(1, 3, 5)),
    loss_weights=dict(recon_image=1.0, recon_flow=0.1, consistency=1.0, perceptual=0.01),
    batch_size=5, lr=1e-2, iters_per_batch=100, batches_per_pass=50, passes=20,
    budget=dict(), noise_scale=0.1, flow_preset='medium', seed=0,
)
