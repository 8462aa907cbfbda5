"""Issue 27 items 2 and 6, through the real command-line tools: errors come before any
work, on one line, last; a closed pipe ends quietly; CHECKPOINT none; a mask's size is
checked before it is decoded; a refused pickle is named in full."""
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest

from .utils import REPO, load_tool, run_python

DEMO = osp.join(REPO, 'configs/basic/demo.py')


@pytest.mark.slow
@pytest.mark.parametrize('option, expected', [
    ('default_hooks.checkpoint.intervl=5',
     "default_hooks.checkpoint.intervl: CheckpointHook has no key 'intervl'; did you mean 'interval'?"),
    ('foo.bar=1', "--cfg-options foo.bar: the config has no 'foo' and nothing reads it"),
    ('model.generator.base_channel=8', "did you mean 'base_channels'?"),
])
def test_config_errors_come_before_training_on_one_last_line(tmp_path, demo_root, option,
                                                             expected):
    result = run_python([osp.join(REPO, 'tools/train.py'), DEMO, '--work-dir',
                         str(tmp_path / 'w'), '--cfg-options', 'train_cfg.max_iters=2',
                         f'train_dataloader.dataset.data_root={demo_root}', option],
                        cwd=str(tmp_path), env={'OMP_NUM_THREADS': '1'})
    assert result.returncode == 2, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: {DEMO}: ') and expected in last
    assert 'Traceback' not in result.stderr
    output = result.stdout + result.stderr
    # nothing trained, and the config banner does not come between the user and the error
    assert 'Iter(train)' not in output and 'Config:\n' not in output


def test_a_closed_pipe_ends_the_command_quietly():
    # `toolbox list | head -3`: the reader is gone before the output is written
    proc = subprocess.Popen([sys.executable, '-m', 'toolbox.cli', 'list'], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141          # 128 + SIGPIPE, as other tools
    assert 'Traceback' not in err and 'BrokenPipeError' not in err, err


def test_export_accepts_checkpoint_none(tmp_path, capsys):
    # 'none' is a model without learned weights, as in test.py and evaluate.py: for the demo
    # GAN the answer is that it needs its checkpoint, not that a file 'none' is missing
    code = load_tool('export').main([DEMO, 'none', '--out', str(tmp_path / 'x.onnx')])
    err = capsys.readouterr().err
    assert code == 2
    assert 'has learned parameters: give its checkpoint' in err and 'does not exist' not in err


def test_a_mask_of_the_wrong_size_is_refused_before_it_is_decoded(tmp_path, monkeypatch):
    import cv2

    from toolbox.apis.inference import _to_mask
    from toolbox.datasets import MaskSizeError
    from toolbox.datasets import reading
    path = str(tmp_path / 'big.png')
    cv2.imwrite(path, np.zeros((3000, 4000), np.uint8))      # a few kB, 12 MB decoded

    def no_decoding(*args):
        raise AssertionError('the mask was decoded before its size was checked')
    monkeypatch.setattr(reading.cv2, 'imdecode', no_decoding)
    with pytest.raises(MaskSizeError, match=r'mask .*big.png is 4000x3000 but the image is 64x48'):
        _to_mask(path, (48, 64))


def test_a_decompression_bomb_mask_is_refused_from_its_header(tmp_path):
    import struct
    import zlib

    from toolbox.datasets import MaskSizeError, read_mask

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
                + struct.pack('>I', zlib.crc32(kind + data)))
    # a PNG header claiming 30000x30000 (900 M pixels); its data never gets decoded
    header = struct.pack('>IIBBBBB', 30000, 30000, 8, 0, 0, 0, 0)
    bomb = tmp_path / 'bomb.png'
    bomb.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header)
                     + chunk(b'IDAT', zlib.compress(b'\x00' * 30001)) + chunk(b'IEND', b''))
    with pytest.raises(MaskSizeError, match='bomb.png is larger than 179 million pixels but '
                                            'the image is 64x64'):
        read_mask(str(bomb), shape=(64, 64))


class _Evil:
    def __reduce__(self):
        return (print, ('unpickled',))


def test_a_plain_pickle_is_refused_with_the_whole_message(tmp_path):
    from toolbox.engine import CheckpointLoadError
    from toolbox.engine.checkpoint import read_checkpoint
    path = tmp_path / 'plain.pth'
    with open(path, 'wb') as f:                      # pickle.dump, not torch.save
        pickle.dump({'state_dict': {}, 'x': _Evil()}, f)
    with pytest.raises(CheckpointLoadError) as info:
        read_checkpoint(str(path))
    assert str(info.value) == (
        f'checkpoint {path} holds Python objects beyond tensors and numbers, so it is not '
        'loaded: unpickling them could run code hidden in the file. Checkpoints saved by the '
        'toolbox never need this. If you trust the file, set '
        'TOOLBOX_ALLOW_UNSAFE_CHECKPOINTS=1 to load it anyway, or re-save it as a plain '
        'state dict.')
    garbage = tmp_path / 'garbage.pth'
    garbage.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(CheckpointLoadError) as info:
        read_checkpoint(str(garbage))
    message = str(info.value)
    assert 'cannot be read: it is truncated, corrupt or not a checkpoint' in message
    assert 'PyTorch 2.6' not in message and message.endswith(')')    # the cause, not advice
