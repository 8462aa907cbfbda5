# Internal learning on a CPU budget: the paper's generator and losses (no perceptual loss,
# which needs VGG16 weights), 20 optimiser steps per window of frames. A demo of the
# mechanics, not of the quality: the paper's schedule is 102,000 steps per clip.
#   python tools/inpaint.py --config configs/internal_learning/demo.py \
#       --video FRAMES/ --mask MASKS/ --out OUT/
_base_ = ['./davis_192x384.py']

model = dict(loss_weights=dict(perceptual=0), iters_per_batch=5, budget=dict(iterations=20),
             flow_preset='fast')
