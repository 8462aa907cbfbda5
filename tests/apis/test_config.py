"""Loading configs: clear errors, literal overrides, YAML read safely."""
import pytest

from toolbox.apis import ConfigError, load_config


def test_missing_and_broken_configs_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match=f'config file {tmp_path}/nope.py does not exist'):
        load_config(str(tmp_path / 'nope.py'))
    bad = tmp_path / 'bad.py'
    bad.write_text('model = dict(\n')
    with pytest.raises(ConfigError, match=f'config file {bad} cannot be loaded'):
        load_config(str(bad))
    empty = tmp_path / 'empty.py'
    empty.write_text('x = 1\n')
    with pytest.raises(ConfigError, match='defines no `model`'):
        load_config(str(empty))


def test_yaml_configs_are_read_with_safe_load(tmp_path):
    marker = tmp_path / 'hacked'
    evil = tmp_path / 'evil.yaml'
    evil.write_text(f'model: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(ConfigError, match='cannot be loaded'):
        load_config(str(evil))
    assert not marker.exists()
    good = tmp_path / 'good.yaml'
    good.write_text('model:\n  type: GANInpaintor\n')
    assert load_config(str(good)).model.type == 'GANInpaintor'


def test_cfg_options_are_literals_not_code(tmp_path):
    cfg = tmp_path / 'c.py'
    cfg.write_text("model = dict(type='GANInpaintor', width=1)\n")
    from mmengine.config import DictAction
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(['--cfg-options', "model.width=__import__('os').getcwd()",
                              'model.depth=[1,2]'])
    loaded = load_config(str(cfg), args.cfg_options)
    assert loaded.model.width == "__import__('os').getcwd()"       # a string, never run
    assert loaded.model.depth == [1, 2]
