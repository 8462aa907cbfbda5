# PRVS's second phase, as the official README (run.py --finetune): the encoder's batch
# norms frozen (eval mode), Adam lr 5e-5 for G and 5e-6 for D. Start from the first phase:
#   python tools/train.py configs/prvs/paris_256_finetune.py \
#       --cfg-options load_from=work_dirs/paris_256/iter_400000.pth
_base_ = ['./paris_256.py']
model = dict(generator=dict(freeze_encoder_bn=True))
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=5e-5)),
    discriminator=dict(optimizer=dict(lr=5e-6)),
)
