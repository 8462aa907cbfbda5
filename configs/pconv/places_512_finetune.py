# Partial Convolutions, the paper's fine-tuning phase (Sec. 4.1): from the first phase's
# checkpoint, the encoder's batch norms frozen (eval mode, scale and shift not trained),
# so that the hole pixels' zero statistics no longer skew them; Adam lr 5e-5.
#   python tools/train.py configs/pconv/places_512_finetune.py \
#       --cfg-options load_from=work_dirs/pconv_places_512/iter_1000000.pth
_base_ = ['./places_512.py']
model = dict(generator=dict(freeze_encoder_bn=True))
optim_wrapper = dict(generator=dict(optimizer=dict(lr=5e-5)))
train_cfg = dict(max_iters=500000)
