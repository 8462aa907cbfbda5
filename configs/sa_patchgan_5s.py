# The flagship, at the path the toolbox is known by:
#   python tools/train.py configs/sa_patchgan_5s.py
# It is configs/sa_patchgan/places_256.py (progressive five-stage SA-PatchGAN at 256x256,
# B_5s+SA of the paper's ablation); the method's other configs are in configs/sa_patchgan/.
_base_ = ['./sa_patchgan/places_256.py']
