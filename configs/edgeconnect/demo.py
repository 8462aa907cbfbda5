# EdgeConnect trained on the demo photos (64x64 crops) on a CPU in about a minute:
#   python tools/train.py configs/edgeconnect/demo.py
# It trains both models at once (phase 4, the authors' joint model: G1 with D1, G2 with
# D2, G2's losses reaching G1); the paper's phases run with --cfg-options model.phase=1
# (edge model), 2 (image model on Canny edges) or 3 (image model on G1's edges, with
# load_from=<a checkpoint of phases 1 and 2>). Every phase finds its optimizers below.
# Narrow networks (16 channels, 2 residual blocks). The VGG19 losses use random weights
# (pretrained=False) and fewer layers, so that the demo runs without downloads and fast:
# they then act only as random-feature losses.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/edgeconnect.py',
    '../_base_/datasets/demo_64.py',
    '../_base_/schedules/gan_iter.py',
]
model = dict(
    phase=4,
    edge_generator=dict(base_channels=16, num_blocks=2),
    inpaint_generator=dict(base_channels=16, num_blocks=2),
    edge_discriminator=dict(base_channels=16),
    inpaint_discriminator=dict(base_channels=16),
    inpaint_losses=[
        dict(type='HoleNormalizedL1Loss', loss_weight=1.0),
        dict(type='NonSaturatingGANLoss', loss_weight=0.1),
        dict(type='VGGFeatureMatchingLoss', loss_weight=0.1, composite=False,
             pretrained=False, layers=('relu1_1', 'relu2_1'), layer_weights=(1, 1)),
        dict(type='StyleLoss', loss_weight=250.0, pretrained=False, layers=('relu2_2',)),
    ],
)
train_mask = dict(type='RandomRectangle', min_size=0.3, max_size=0.5)
train_dataloader = dict(dataset=dict(
    mask=train_mask, guidance=[dict(type='CannyEdges', sigma=2.0)], guidance_keys=('edge',)))
val_dataloader = dict(dataset=dict(mask=train_mask))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=200, val_interval=100)
adam = dict(type='Adam', lr=4e-4, betas=(0.0, 0.9))
adam_d = dict(type='Adam', lr=4e-5, betas=(0.0, 0.9))
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    edge_generator=dict(type='OptimWrapper', optimizer=adam),
    inpaint_generator=dict(type='OptimWrapper', optimizer=adam),
    edge_discriminator=dict(type='OptimWrapper', optimizer=adam_d),
    inpaint_discriminator=dict(type='OptimWrapper', optimizer=adam_d),
)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=100))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=100)]
