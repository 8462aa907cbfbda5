"""Loading configs: clear errors, literal overrides, YAML read safely."""
import os.path as osp
import textwrap

import pytest

from toolbox.apis import ConfigError, load_config

from ..utils import REPO


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
    cfg.write_text("model = dict(type='GANInpaintor', name='a', width=1)\n")
    marker = tmp_path / 'ran'
    loaded = load_config(str(cfg), [f"model.name=__import__('os').system('touch {marker}')",
                                    'model.depth=[1,2]'])
    assert loaded.model.name == f"__import__('os').system('touch {marker}')"   # text, never run
    assert loaded.model.depth == [1, 2] and not marker.exists()
    with pytest.raises(ConfigError, match=r"model\.width is an integer in the config \(1\), got "
                                          r'"__import__\(\'os\'\)'):
        load_config(str(cfg), ["model.width=__import__('os').getcwd()"])


@pytest.fixture
def cfg():
    from mmengine.config import Config
    return Config(dict(model=dict(width=1, lr=0.1, flag=True, name='x', size=(64, 64),
                                  sub=dict(a=1))))


def test_cfg_option_values_keep_their_spaces_and_their_type(cfg):
    """Issue 13: mmengine's DictAction turned data_root=/x/with space into /x/withspace."""
    from toolbox.apis.config import parse_cfg_options
    got = parse_cfg_options(['model.name=/x/with space', 'model.width=8', 'model.lr=1',
                             'model.flag=false', 'model.size=[32,48]', 'model.new=[a,b]',
                             "model.quoted='it is'", 'model.name2=None'], cfg)
    assert got == {'model.name': '/x/with space', 'model.width': 8, 'model.lr': 1.0,
                   'model.flag': False, 'model.size': [32, 48], 'model.new': ['a', 'b'],
                   'model.quoted': 'it is', 'model.name2': None}
    assert isinstance(got['model.lr'], float)
    assert parse_cfg_options(['model.name=123'], cfg) == {'model.name': '123'}   # text stays text


@pytest.mark.parametrize('item, message', [
    ('model.width=[1,2', 'the brackets of model.width do not match'),
    ('model.width=abc', r"model\.width is an integer in the config \(1\), got 'abc'"),
    ('model.width=2.5', r"model\.width is an integer in the config \(1\), got '2.5'"),
    ('model.width', r"'model\.width': expected KEY=VALUE"),
    ('=3', "'=3': expected KEY=VALUE"),
    ('model.flag=2', r'model\.flag is True or False'),
    ('model.sub=3', r'model\.sub is a dict'),
    ('model.size=abc', r'model\.size is a list'),
])
def test_malformed_cfg_options_name_the_item(cfg, item, message):
    from toolbox.apis.config import parse_cfg_options
    with pytest.raises(ConfigError, match=message):
        parse_cfg_options([item], cfg)


def test_the_distributed_timeout_reaches_the_process_group():
    """Issue 13.8: env_cfg.dist_cfg.timeout was ignored on the gloo (CPU) path."""
    import datetime

    from mmengine.config import Config

    from toolbox.apis.config import process_group_options
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=90))))
    assert process_group_options(cfg) == {'timeout': datetime.timedelta(seconds=90)}
    assert process_group_options(Config(dict(env_cfg=dict()))) == {}
    with pytest.raises(ConfigError, match="timeout must be a number of seconds, got '90'"):
        process_group_options(Config(dict(env_cfg=dict(dist_cfg=dict(timeout='90')))))


def test_each_methods_demo_gets_its_own_work_dir():
    """Every method's demo is ``configs/<m>/demo.py``: the default work_dir keeps them apart
    (``work_dirs/<m>_demo``), and a config outside a method folder keeps its own name."""
    from mmengine.config import Config

    from toolbox.apis import set_work_dir
    dirs = {set_work_dir(Config(), f'configs/{m}/demo.py') for m in ('lama', 'deepfillv2')}
    assert dirs == {'work_dirs/lama_demo', 'work_dirs/deepfillv2_demo'}
    assert set_work_dir(Config(), 'configs/sa_patchgan_5s.py') == 'work_dirs/sa_patchgan_5s'
    assert set_work_dir(Config(), '/home/me/mine.py') == 'work_dirs/mine'
    assert set_work_dir(Config(), 'configs/lama/demo.py', 'out') == 'out'
DEMO = osp.join(REPO, 'configs/basic/demo.py')


def test_an_override_that_matches_nothing_is_refused():
    with pytest.raises(ConfigError, match="--cfg-options foo.bar: the config has no 'foo' and "
                                          'nothing reads it'):
        load_config(DEMO, ['foo.bar=1'])
    with pytest.raises(ConfigError, match="did you mean 'default_hooks'"):
        load_config(DEMO, ['default_hook.checkpoint.interval=1'])
    # keys the Runner reads may be new, and free-form sections take any key
    cfg = load_config(DEMO, ['experiment_name=x', 'env_cfg.dist_cfg.timeout=60'])
    assert cfg.env_cfg.dist_cfg.timeout == 60


@pytest.mark.parametrize('option, instead', [
    ('data_root=/elsewhere', 'train_dataloader.dataset.data_root, '
                             'val_dataloader.dataset.data_root, test_dataloader.dataset.data_root'),
    ('size=128', 'train_dataloader.dataset.pipeline.2.size'),
    ('train_mask.max_size=0.3', 'train_dataloader.dataset.pipeline.4.generator'),
])
def test_overriding_a_helper_variable_names_the_keys_to_set(tmp_path, option, instead):
    # helper variables are read while the file is parsed: overriding them changed nothing
    cfg = tmp_path / 'helpers.py'
    cfg.write_text(textwrap.dedent(f"""
        _base_ = [{DEMO!r}]
        data_root = 'data/elsewhere'
        size = 48
        train_mask = dict(type='RandomRectangle', min_size=0.1, max_size=0.4)
        train_dataloader = dict(dataset=dict(data_root=data_root, pipeline=[
            dict(type='LoadImage'), dict(type='Resize', scale=(64, 64), keep_ratio=False),
            dict(type='RandomCrop', size=size), dict(type='RandomFlip', prob=0.5),
            dict(type='GenerateMask', generator=train_mask), dict(type='PackInpaintingInputs')]))
        val_dataloader = dict(dataset=dict(data_root=data_root))
        test_dataloader = dict(dataset=dict(data_root=data_root))
    """))
    key = option.split('=')[0].split('.')[0]
    with pytest.raises(ConfigError) as info:
        load_config(str(cfg), [option])
    message = str(info.value)
    assert f"'{key}' is a helper variable of the config file" in message
    assert 'changing it now changes nothing' in message and f'set {instead} instead' in message
