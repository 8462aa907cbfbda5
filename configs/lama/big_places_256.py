# Big LaMa (Suvorov et al., WACV 2022): the LaMa-Fourier recipe with 18 FFC residual
# blocks (50,975,875 generator parameters). The authors trained it on Places-Challenge
# (about 4.5M images) with batch 120 on eight GPUs; here batch 30 per process, as in
# configs/lama/fourier_places_256.py (scale with dist_train.sh). See plugins/lama/README.md.
#
#   python tools/train.py configs/lama/big_places_256.py
_base_ = ['./fourier_places_256.py']
model = dict(generator=dict(preset='big-lama'))
