"""Every config file builds its model: a renamed keyword or component in the engine or a
plugin cannot leave a config behind. Pretrained weights are switched off (``pretrained=False``
for every component whose constructor takes it, configured or defaulted), and the networks
are built on the meta device (shapes only), so nothing is downloaded and the paper-size
models cost no memory."""
import glob
import inspect
import os.path as osp

import pytest
import torch

from toolbox.apis import load_config
from toolbox.builder import check_component, config_path
from toolbox.datasets import dataset_pipeline
from toolbox.registry import MASK_GENERATORS, MODELS, TRANSFORMS

from .utils import REPO

# every config of every method (configs/<m>/*.py) and the flagship at configs/sa_patchgan_5s.py
CONFIGS = sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs/**/*.py'),
                                                         recursive=True)
                 if '_base_' not in p)


def _takes_pretrained(type_name) -> bool:
    from toolbox.registry import ALL_REGISTRIES
    for registry in ALL_REGISTRIES.values():
        cls = registry.find(type_name) if isinstance(type_name, str) else type_name
        if cls is not None:
            return 'pretrained' in inspect.signature(cls).parameters
    return False


def without_pretrained(cfg):
    """A copy of a config (dicts and lists) with every ``pretrained`` switched off."""
    if isinstance(cfg, dict):
        out = {k: False if k == 'pretrained' else without_pretrained(v) for k, v in cfg.items()}
        if 'type' in out and _takes_pretrained(out['type']):
            out['pretrained'] = False
        return out
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(without_pretrained(v) for v in cfg)
    return cfg


def test_every_config_is_found():
    assert len(CONFIGS) >= 20 and 'configs/sa_patchgan_5s.py' in CONFIGS
    # one folder per method: nothing but the flagship lies directly in configs/
    assert [p for p in CONFIGS if p.count('/') == 1] == ['configs/sa_patchgan_5s.py']


def test_the_flagship_path_is_the_method_folders_config():
    flagship = load_config(osp.join(REPO, 'configs/sa_patchgan_5s.py'))
    body = load_config(osp.join(REPO, 'configs/sa_patchgan/places_256.py'))
    assert flagship.to_dict() == body.to_dict()


def _trains(cfg) -> bool:
    """Whether the config's model is trained (``trainable``, True unless a model says not):
    classical baselines and models that optimise per input are not."""
    return 'classical' not in cfg.filename and getattr(MODELS.get(cfg.model.type), 'trainable',
                                                       True)


@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds_its_model(path):
    cfg = load_config(osp.join(REPO, path))
    model_cfg = without_pretrained(cfg.model.to_dict())
    with torch.device('meta'), config_path('model'):
        model = MODELS.build(model_cfg)
    from toolbox.models import BaseInpaintor
    assert isinstance(model, BaseInpaintor), f'{path}: {type(model).__name__}'
    # a model with nothing to train (a classical baseline, internal learning's per-clip
    # optimisation) may hold no parameters; any other must
    assert sum(p.numel() for p in model.parameters()) > 0 or not _trains(cfg)


@pytest.mark.parametrize('path', CONFIGS)
def test_config_names_registered_data_transforms(path):
    """Each dataloader's transforms (its pipeline, or the one its mask=/crop_size= keys build)
    and its mask generator are registered and take the configured keywords."""
    cfg = load_config(osp.join(REPO, path))
    loaders = [k for k in ('train_dataloader', 'val_dataloader', 'test_dataloader') if k in cfg]
    assert loaders or not _trains(cfg)
    for key in loaders:
        for i, t in enumerate(dataset_pipeline(cfg[key].dataset)):
            check_component(TRANSFORMS, t, key, 'dataset', f'pipeline[{i}]')
            if t['type'] == 'GenerateMask':
                check_component(MASK_GENERATORS, t['generator'], key, 'dataset', 'mask')
