# OpenCV Navier-Stokes inpainting: a training-free baseline (plugin `classical`).
#   python tools/evaluate.py configs/classical/ns.py none --data DIR --mask-sets DIR
_base_ = ['./telea.py']

model = dict(generator=dict(type='NavierStokesInpaint', radius=3))
