# RePaint shrunk to the demo photos: a small DDPM denoiser trained on 32x32 crops on a CPU in
# a few minutes (no masks in training), then inpainting with RePaint's resampling over 25
# respaced steps, jumps of 5 traversed twice (45 denoiser calls per image). Only sizes,
# widths, steps and data differ from configs/repaint/places_256.py.
#   python tools/train.py configs/repaint/demo.py
#   python tools/inpaint.py --config configs/repaint/demo.py \
#       --checkpoint work_dirs/repaint_demo/iter_300.pth --image I --mask M --out O --seed 0
_base_ = ['./places_256.py']
model = dict(
    denoiser=dict(base_channels=16, channel_mults=(1, 2, 2), num_res_blocks=1,
                  attention_levels=(2,), num_heads=2),
    sampler=dict(t_T=25, jump_length=5, jump_n_sample=2),
    image_size=32,
)
optim_wrapper = dict(optimizer=dict(lr=2e-4))
# The demo photos: 32x32 crops of photos scaled to 30-100% of 128 pixels.
demo = dict(type='DemoDataset', data_root='data/demo', crop_size=32,
            mask=dict(type='RandomRectangle', min_size=0.2, max_size=0.5))
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(demo, split='train',
                 resize=dict(type='RandomResize', scale=(128, 128), ratio_range=(0.3, 1.0),
                             keep_ratio=True)))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(demo, split='val'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=300, val_interval=150)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=150))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=150)]
