"""Issue 27.2: every section of a training config is checked before the first iteration,
not only the components the toolbox builds itself."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from toolbox.apis import load_config
from toolbox.apis.config import FREE_FORM_SECTIONS
from toolbox.builder import ConfigKeywordError, UnknownComponentError
from toolbox.engine.config_check import ConfigValueError, accepted_keywords, check_training_config

from ..utils import REPO

DEMO = osp.join(REPO, 'configs/basic/demo.py')


def _check(*options):
    check_training_config(load_config(DEMO, list(options)))


@pytest.mark.parametrize('option, error, message', [
    # mmengine's CheckpointHook takes **kwargs and hands them to save_checkpoint at the
    # first save: this one used to cost the whole training
    ('default_hooks.checkpoint.intervl=5', ConfigKeywordError,
     "default_hooks.checkpoint.intervl: CheckpointHook has no key 'intervl'; did you mean 'interval'?"),
    ('default_hooks.logger.intervall=5', ConfigKeywordError, "did you mean 'interval'?"),
    ('train_cfg.max_iter=2', ConfigKeywordError,
     "train_cfg.max_iter: IterBasedTrainLoop has no key 'max_iter'; did you mean 'max_iters'?"),
    ('val_cfg.fp61=True', ConfigKeywordError, "val_cfg.fp61: ValLoop has no key 'fp61'; did you mean 'fp16'?"),
    ('train_dataloader.batch_sise=2', ConfigKeywordError,
     "train_dataloader.batch_sise: a dataloader has no key 'batch_sise'; did you mean 'batch_size'?"),
    ('train_dataloader.sampler.shufle=False', ConfigKeywordError,
     "train_dataloader.sampler.shufle: InfiniteSampler has no key 'shufle'; did you mean 'shuffle'?"),
    ('optim_wrapper.generator.clip_grads=None', ConfigKeywordError,
     "optim_wrapper.generator.clip_grads: OptimWrapper has no key 'clip_grads'; did you mean 'clip_grad'?"),
    ('log_processor.window=5', ConfigKeywordError, "did you mean 'window_size'?"),
    ('env_cfg.cudnn_bench=True', ConfigKeywordError,
     "env_cfg.cudnn_bench: env_cfg has no key 'cudnn_bench'; did you mean 'cudnn_benchmark'?"),
    ('env_cfg.mp_cfg.mp_start=spawn', ConfigKeywordError, 'env_cfg.mp_cfg.mp_start'),
    ('randomness.sed=1', ConfigKeywordError, "did you mean 'seed'?"),
    ('default_hooks.checkpoint.type=CheckpointHok', UnknownComponentError, 'CheckpointHook'),
    ('train_dataloader.batch_size=0', ConfigValueError,
     'train_dataloader.batch_size must be a positive whole number, got 0'),
    ('train_cfg.max_iters=-5', ConfigValueError,
     'train_cfg.max_iters must be a positive whole number, got -5'),
    ('train_cfg.val_interval=0', ConfigValueError, 'train_cfg.val_interval'),
    ('train_dataloader.num_workers=-1', ConfigValueError, 'a whole number >= 0, got -1'),
    ('default_hooks.logger.interval=0', ConfigValueError, 'default_hooks.logger.interval'),
])
def test_unknown_keys_and_impossible_values_are_refused(option, error, message):
    with pytest.raises(error) as info:
        _check(option)
    assert message in str(info.value) and '\n' not in str(info.value)


def test_custom_hooks_visualizer_and_amp_wrappers_are_checked(tmp_path):
    cfg = load_config(DEMO)
    cfg.custom_hooks = [dict(type='InpaintingVisualizationHook', intervall=5)]
    with pytest.raises(ConfigKeywordError, match=r"custom_hooks\[0\].intervall: .*'interval'"):
        check_training_config(cfg)
    cfg = load_config(DEMO)
    cfg.visualizer = dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend', save_dri='x')])
    with pytest.raises(ConfigKeywordError, match=r"visualizer.vis_backends\[0\].save_dri"):
        check_training_config(cfg)
    # AmpOptimWrapper(**kwargs) passes them on to OptimWrapper: checked against both
    cfg = load_config(DEMO, ['optim_wrapper.generator.type=AmpOptimWrapper',
                             'optim_wrapper.generator.accumulative_count=2'])
    with pytest.raises(ConfigKeywordError, match="did you mean 'accumulative_counts'"):
        check_training_config(cfg)


def test_valid_values_pass():
    _check('default_hooks.checkpoint.interval=-1',          # CheckpointHook: -1 = never
           'default_hooks.checkpoint.max_keep_ckpts=-1', 'train_cfg.max_iters=3',
           'optim_wrapper.generator.type=AmpOptimWrapper', 'env_cfg.dist_cfg.timeout=60')


def test_every_shipped_config_passes():
    configs = [c for c in glob.glob(osp.join(REPO, 'configs/**/*.py'), recursive=True)
               if '_base_' not in c]
    assert len(configs) > 20
    for path in configs:
        check_training_config(Config.fromfile(path))


def test_kwargs_are_followed_up_the_class_hierarchy():
    from mmengine.hooks import CheckpointHook
    from mmengine.optim import AmpOptimWrapper
    accepted, required = accepted_keywords(AmpOptimWrapper)
    assert {'loss_scale', 'optimizer', 'clip_grad'} <= set(accepted) and required == []
    accepted, _ = accepted_keywords(CheckpointHook)      # its **kwargs reach nothing new
    assert 'interval' in accepted and 'kwargs' not in accepted

    class Open:
        def __init__(self, a, **kwargs):
            pass
    assert accepted_keywords(Open) is None                # **kwargs to object: anything


@pytest.mark.parametrize('section', FREE_FORM_SECTIONS)
def test_free_form_sections_take_any_key(section):
    cfg = load_config(DEMO, [f'{section}.anything_at_all=1'])
    check_training_config(cfg)
