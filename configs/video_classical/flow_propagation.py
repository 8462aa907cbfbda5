# Flow-guided propagation: the classical video baseline, no checkpoint (plugin video_classical).
#   python tools/inpaint.py --config configs/video_classical/flow_propagation.py \
#       --video CLIP.mp4|FRAMES/ --mask MASKS.mp4|MASKS/|MASK.png --out FRAMES_OUT/ \
#       [--video-out OUT.mp4] [--window 15 --overlap 4]
_base_ = ['../_base_/default_runtime.py']

model = dict(type='FlowPropagation', radius=3, flow_preset='medium')
