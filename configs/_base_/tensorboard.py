# Experiment tracking with TensorBoard: add this file to a config's _base_ list, after the
# others ('../_base_/tensorboard.py', or from your own config anywhere '_base_/tensorboard.py').
# The loss scalars (LoggerHook) and the inpainting grids (InpaintingVisualizationHook) then
# go to <work_dir>/<timestamp>/vis_data/ as TensorBoard event files too:
#   tensorboard --logdir work_dirs/
# Needs the tensorboard package: pip install "inpainting-toolbox[tensorboard]".
visualizer = dict(
    type='Visualizer',
    vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])
