"""Loading configs and preparing them for the Runner (shared by tools/*.py)."""
from __future__ import annotations

import os
import os.path as osp

import torch
from mmengine.config import Config


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


def install_safe_yaml() -> None:
    """Make mmengine read YAML (``Config.fromfile('x.yaml')``, ``mmengine.load``) with
    ``yaml.safe_load``: its own handler uses PyYAML's full loader, which builds arbitrary
    Python objects from tags such as ``!!python/object/apply``."""
    import yaml
    from mmengine.fileio import register_handler
    from mmengine.fileio.handlers import YamlHandler

    @register_handler(['yaml', 'yml'])
    class SafeYamlHandler(YamlHandler):
        def load_from_fileobj(self, file, **kwargs):
            return yaml.safe_load(file)


def load_config(path: str, cfg_options: dict | None = None) -> Config:
    """Read a config file (Python; it is code and runs when loaded) and merge overrides."""
    if not osp.isfile(path):
        raise ConfigError(f'config file {path} does not exist')
    install_safe_yaml()
    try:
        cfg = Config.fromfile(path)
    except Exception as exc:  # syntax errors, missing _base_ files ...
        raise ConfigError(f'config file {path} cannot be loaded: {type(exc).__name__}: '
                          f'{exc}') from exc
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise ConfigError(f'config file {path} defines no `model`')
    return cfg


def set_work_dir(cfg: Config, config_path: str, work_dir: str | None = None) -> str:
    """``work_dir`` if given, else the config's own, else ``work_dirs/<config name>``."""
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(config_path))[0])
    return cfg.work_dir


def apply_amp(cfg: Config) -> None:
    """Switch every optimizer wrapper of ``cfg`` to mixed precision.

    On CUDA this is mmengine's ``AmpOptimWrapper`` (float16 with loss scaling); on the CPU,
    where that wrapper refuses to run, the toolbox's bfloat16 ``CPUAutocastOptimWrapper``.
    """
    wrapper = 'AmpOptimWrapper' if torch.cuda.is_available() else 'CPUAutocastOptimWrapper'
    optim = cfg.get('optim_wrapper')
    if optim is None:
        raise ConfigError('--amp: the config has no optim_wrapper')
    if optim.get('constructor') == 'MultiOptimWrapperConstructor':
        for key, sub in optim.items():
            if isinstance(sub, dict) and 'optimizer' in sub:
                sub['type'] = wrapper
    else:
        optim['type'] = wrapper


def setup_launcher(cfg: Config, launcher: str) -> None:
    """Prepare distributed training. On a machine without CUDA, mmengine's own setup
    calls ``torch.cuda.set_device`` and fails, so the gloo process group is created here
    first (mmengine then skips its own), and the sub-modules are wrapped separately, which
    a two-optimizer GAN step needs (per stage for a progressive inpaintor)."""
    cfg.launcher = launcher
    if launcher == 'none':
        return
    if launcher == 'slurm' and 'RANK' not in os.environ:
        # mmengine's slurm setup reads SLURM_* variables itself.
        return
    import torch.distributed as dist
    if not torch.cuda.is_available() and not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or {}
    # scoped: mmengine's Runner looks the type up in its root registry
    wrapper.setdefault('type', 'toolbox.StagewiseDistributedDataParallel')
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters', False)
    if not torch.cuda.is_available():
        # mmengine passes device_ids=[local_rank], which DDP rejects for CPU modules.
        wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper


def shutdown_distributed() -> None:
    """Wait for every process, then close the process group. Without this, a process that
    finishes first can exit while gloo's threads still talk to the others, and the C++
    runtime aborts it ("terminate called without an active exception")."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
