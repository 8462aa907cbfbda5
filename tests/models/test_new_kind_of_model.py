"""docs/plugins.md, "Adding a new kind of model": its model class and config, run as
written, pass the model contract and train through tools/train.py with no engine edit."""
import os.path as osp
import re
import sys

import pytest

from toolbox import testing
from toolbox.plugins import PluginInfo, component_origin, load_plugin, plugin_manager
from toolbox.registry import MODELS

from ..utils import REPO, run_python


def _readme_blocks() -> tuple[str, str]:
    text = open(osp.join(REPO, 'docs', 'plugins.md'), encoding='utf-8').read()
    section = text.split('## Adding a new kind of model', 1)[1].split('\n## ', 1)[0]
    plugin, config = re.findall(r'```python\n(.*?)```', section, re.S)[:2]
    assert plugin.startswith('# my_inpainting/__init__.py') and 'my_config.py' in config
    return plugin, config


@pytest.fixture
def readme_plugin(tmp_path, monkeypatch):
    plugin, _ = _readme_blocks()
    (tmp_path / 'my_inpainting').mkdir()
    (tmp_path / 'my_inpainting' / '__init__.py').write_text(plugin)
    monkeypatch.syspath_prepend(str(tmp_path))
    info = PluginInfo('my_inpainting', 'docs', '0', 'my_inpainting')
    module = load_plugin('my_inpainting', info)
    assert module is not None and component_origin('models', 'ConvInpaintor') == info
    yield module
    MODELS._module_dict.pop('ConvInpaintor', None)
    plugin_manager().unregister(module)
    sys.modules.pop('my_inpainting', None)


def test_the_readme_model_meets_the_contract(readme_plugin):
    assert 'ConvInpaintor' in testing.models()
    testing.check_model('ConvInpaintor')


@pytest.mark.slow
def test_the_readme_plugin_and_config_train_through_the_tools(tmp_path, demo_root):
    plugin, config = _readme_blocks()
    (tmp_path / 'my_inpainting').mkdir()
    (tmp_path / 'my_inpainting' / '__init__.py').write_text(plugin)
    cfg = tmp_path / 'my_config.py'
    cfg.write_text(config.replace("'configs/basic/demo.py'",
                                  repr(osp.join(REPO, 'configs/basic/demo.py'))))
    work = tmp_path / 'work'
    result = run_python([osp.join(REPO, 'tools/train.py'), str(cfg), '--work-dir', str(work),
                         '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                         'default_hooks.checkpoint.interval=2',
                         f'train_dataloader.dataset.data_root={demo_root}',
                         f'val_dataloader.dataset.data_root={demo_root}'],
                        cwd=str(tmp_path), env=dict(PYTHONPATH=str(tmp_path),
                                                    TOOLBOX_PLUGINS='my_inpainting'))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work / 'iter_2.pth').exists() and (work / 'vis' / 'val_iter_000002.png').exists()
