"""Bad input through the real command-line tools: a one-line error naming the file, key or
value at fault and exit code 2, or (for the inputs the toolbox converts) a result.

Most cases call the tools' ``main(argv)`` in this process (the exit code ``sys.exit``
would get, argparse's ``SystemExit`` caught); two run as true subprocesses, to show the
shell sees the same.
"""
import os
import os.path as osp
import warnings

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from .utils import REPO, load_tool, run_python

DEMO = osp.join(REPO, 'configs/basic/demo.py')
_count = iter(range(10**6))


class _Evil:
    """Unpickling it runs ``touch <marker>``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


def _photo(h, w, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:h, :w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1),
                     np.full((h, w), 128)], axis=2)
    return np.clip(base + rng.integers(-20, 20, (h, w, 3)), 0, 255).astype(np.uint8)


def _box(h, w, value=255, channels=None):
    m = np.zeros((h, w) if channels is None else (h, w, channels), np.uint8)
    m[h // 4:h // 2 + 1, w // 4:w // 2 + 1] = value
    return m


@pytest.fixture(scope='module')
def ctx(tmp_path_factory, demo_root):
    from toolbox.apis import init_inpaintor
    from toolbox.engine import to_safe
    d = tmp_path_factory.mktemp('bad_inputs')
    c = dict(dir=d, demo=demo_root, pwned=d / 'pwned')

    def save_ckpt(name, **cfg_options):
        model = init_inpaintor(DEMO, cfg_options=cfg_options or None, random_weights=True)
        torch.save(to_safe(dict(state_dict=model.state_dict())), d / name)
        return str(d / name)
    c['ckpt'] = save_ckpt('model.pth')
    c['narrow'] = save_ckpt('narrow.pth', **{'model.generator.base_channels': 8})
    data = open(c['ckpt'], 'rb').read()
    (d / 'truncated.pth').write_bytes(data[:len(data) // 3])
    (d / 'zero.pth').write_bytes(b'')
    torch.save(dict(state_dict={}, meta=_Evil(c['pwned'])), d / 'evil.pth')

    photo = _photo(40, 48)
    Image.fromarray(photo).save(d / 'photo.png')
    cv2.imwrite(str(d / 'g16.png'), (photo[..., ::-1].astype(np.uint16) * 257))
    Image.fromarray(photo).convert('CMYK').save(d / 'cmyk.jpg')
    Image.fromarray(np.dstack([photo, np.full((40, 48), 128, np.uint8)])).save(d / 'rgba.png')
    Image.fromarray(photo[..., 0]).save(d / 'grey.png')
    Image.fromarray(photo).convert('P').save(d / 'palette.png')
    Image.fromarray(_photo(3, 3)).save(d / 'tiny.png')
    Image.fromarray(_box(3, 3)).save(d / 'tiny_mask.png')
    cv2.imwrite(str(d / 'huge.png'), _photo(1800, 2400))
    cv2.imwrite(str(d / 'huge_mask.png'), np.pad(np.full((40, 60), 255, np.uint8),
                                                 ((900, 860), (1200, 1140))))
    png = open(d / 'photo.png', 'rb').read()
    (d / 'truncated.png').write_bytes(png[:len(png) // 2])
    (d / 'empty.png').write_bytes(b'')
    (d / 'text.jpg').write_text('this is not a JPEG\n')
    # A sideways-stored photo (48 wide, 32 high) that EXIF says to turn upright (32 x 48).
    im = Image.fromarray(_photo(32, 48))
    exif = im.getexif()
    exif[0x0112] = 6
    im.save(d / 'exif.jpg', exif=exif.tobytes(), quality=95)
    Image.fromarray(_box(48, 32)).save(d / 'exif_mask.png')

    Image.fromarray(_box(40, 48)).save(d / 'mask.png')
    Image.fromarray(_box(20, 24)).save(d / 'mask_small.png')
    Image.fromarray(np.where(_box(40, 48) > 0, 200, 100).astype(np.uint8)).save(d / 'grey_mask.png')
    Image.fromarray(np.zeros((40, 48), np.uint8)).save(d / 'no_hole.png')
    Image.fromarray(np.full((40, 48), 255, np.uint8)).save(d / 'all_hole.png')
    blue = np.zeros((40, 48, 3), np.uint8)
    blue[_box(40, 48) > 0] = (0, 0, 255)
    Image.fromarray(blue).save(d / 'blue_mask.png')

    (d / 'no_images').mkdir()
    (d / 'mine').mkdir()
    (d / 'mine' / 'holiday.jpg').write_bytes(b'my own photo')
    (d / 'empty_data.py').write_text(
        f"_base_ = [{DEMO!r}]\ntrain_dataloader = dict(dataset=dict(_delete_=True, "
        f"type='ImageFolderDataset', data_root={str(d / 'no_images')!r}, pipeline=[]))\n")
    (d / 'evil.yaml').write_text(f'model: !!python/object/apply:os.system ["touch {c["pwned"]}"]\n')
    return c


def _call(tool, argv, capsys):
    """(exit code, last line of stderr, stdout, warnings) of ``tools/<tool>.py argv``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            code = load_tool(tool).main(argv)
        except SystemExit as exc:           # argparse
            code = exc.code
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    return code, lines[-1] if lines else '', out.out, [str(w.message) for w in caught]


def _runner_args(c, name):
    """Work dir and a unique experiment name (mmengine keys its loggers by it)."""
    return ['--work-dir', str(c['dir'] / f'work_{name}'), '--cfg-options',
            f'experiment_name=bad{next(_count)}', f'train_dataloader.dataset.data_root={c["demo"]}',
            f'val_dataloader.dataset.data_root={c["demo"]}',
            f'test_dataloader.dataset.data_root={c["demo"]}']


def _inpaint(c, image, mask, *extra, out='out.png', ckpt='ckpt'):
    return ['--config', DEMO, '--checkpoint', c.get(ckpt, ckpt), '--image', str(c['dir'] / image),
            '--mask', str(c['dir'] / mask), '--out', str(c['dir'] / out), '--threads', '1', *extra]


# (tool, argv of the context, what the one-line error must name)
BAD = {
    # data
    'empty data folder': ('train', lambda c: [str(c['dir'] / 'empty_data.py'), '--cfg-options',
                                              f"train_dataloader.dataset.data_root={c['dir'] / 'no_images'}"],
                          lambda c: [f"no images found in {c['dir'] / 'no_images'}"]),
    'demo dataset on my folder': ('train', lambda c: [DEMO, '--cfg-options',
                                                      f"train_dataloader.dataset.data_root={c['dir'] / 'mine'}"],
                                  lambda c: [f"data_root '{c['dir'] / 'mine'}' is not the demo folder",
                                             "type='ImageFolderDataset'"]),
    'space in a cfg-option value': ('train', lambda c: [DEMO, '--cfg-options',
                                                        f"train_dataloader.dataset.data_root={c['dir']}/with space"],
                                    lambda c: [f"data_root '{c['dir']}/with space'"]),
    # config keys and values
    'wrong optimizer keyword': ('train', lambda c: [DEMO, '--cfg-options',
                                                    'optim_wrapper.generator.optimizer.lrr=0.1'],
                                lambda c: ['optim_wrapper.generator.optimizer', "unexpected key 'lrr'",
                                           "did you mean 'lr'"]),
    'wrong dataset keyword': ('train', lambda c: [DEMO, '--cfg-options', 'train_dataloader.dataset.splitt=val'],
                              lambda c: ["'DemoDataset' at config path train_dataloader.dataset",
                                         "unexpected key 'splitt'"]),
    'config typo': ('train', lambda c: [DEMO, '--cfg-options', 'model.generator.type=EncoderDecoderGenerater'],
                    lambda c: ['model.generator', "did you mean 'EncoderDecoderGenerator'"]),
    'unbalanced list': ('train', lambda c: [DEMO, '--cfg-options', 'train_cfg.max_iters=[1,2'],
                        lambda c: ['train_cfg.max_iters=[1,2', 'brackets']),
    'text for an int': ('train', lambda c: [DEMO, '--cfg-options', 'train_cfg.max_iters=abc'],
                        lambda c: ['train_cfg.max_iters is an integer', "'abc'"]),
    'float for an int': ('train', lambda c: [DEMO, '--cfg-options', 'train_cfg.max_iters=2.5'],
                         lambda c: ['train_cfg.max_iters is an integer', "'2.5'"]),
    'key without =': ('train', lambda c: [DEMO, '--cfg-options', 'train_cfg.max_iters'],
                      lambda c: ["'train_cfg.max_iters': expected KEY=VALUE"]),
    'cfg-options injection': ('train', lambda c: [DEMO, '--cfg-options',
                                                  f"model.generator.type=__import__('os').system('touch {c['pwned']}')"],
                              lambda c: ["no generator named \"__import__('os')"]),
    'YAML tag': ('train', lambda c: [str(c['dir'] / 'evil.yaml')],
                 lambda c: [f"config file {c['dir'] / 'evil.yaml'} cannot be loaded"]),
    # checkpoints
    'pickle by --resume': ('train', lambda c: [DEMO, '--resume', str(c['dir'] / 'evil.pth')],
                           lambda c: [f"{c['dir'] / 'evil.pth'} holds Python objects"]),
    'pickle by load_from': ('train', lambda c: [DEMO, '--cfg-options', f"load_from={c['dir'] / 'evil.pth'}"],
                            lambda c: [f"{c['dir'] / 'evil.pth'} holds Python objects"]),
    'pickle by test.py': ('test', lambda c: [DEMO, str(c['dir'] / 'evil.pth')],
                          lambda c: [f"{c['dir'] / 'evil.pth'} holds Python objects"]),
    'pickle by inpaint.py': ('inpaint', lambda c: _inpaint(c, 'photo.png', 'mask.png', ckpt=str(c['dir'] / 'evil.pth')),
                             lambda c: [f"{c['dir'] / 'evil.pth'} holds Python objects"]),
    'checkpoint of other widths': ('test', lambda c: [DEMO, c['narrow']],
                                   lambda c: [f"{c['narrow']} does not fit",
                                              'generator.stem.conv.weight is [8, 4, 5, 5] in the file']),
    'truncated checkpoint': ('test', lambda c: [DEMO, str(c['dir'] / 'truncated.pth')],
                             lambda c: [f"checkpoint {c['dir'] / 'truncated.pth'} cannot be read: it is truncated"]),
    'zero-byte checkpoint': ('inpaint', lambda c: _inpaint(c, 'photo.png', 'mask.png', ckpt=str(c['dir'] / 'zero.pth')),
                             lambda c: [f"checkpoint {c['dir'] / 'zero.pth'} is empty (0 bytes)"]),
    'untrained model scored': ('test', lambda c: [DEMO, 'none'],
                               lambda c: ["CHECKPOINT 'none'", 'GANInpaintor has learned weights',
                                          '--allow-untrained']),
    # images and masks
    'truncated image': ('inpaint', lambda c: _inpaint(c, 'truncated.png', 'mask.png'),
                        lambda c: [f"{c['dir'] / 'truncated.png'} cannot be decoded"]),
    'zero-byte image': ('inpaint', lambda c: _inpaint(c, 'empty.png', 'mask.png'),
                        lambda c: [f"{c['dir'] / 'empty.png'} is empty (0 bytes)"]),
    'text as jpg': ('inpaint', lambda c: _inpaint(c, 'text.jpg', 'mask.png'),
                    lambda c: [f"{c['dir'] / 'text.jpg'} cannot be decoded"]),
    'mask of another size': ('inpaint', lambda c: _inpaint(c, 'photo.png', 'mask_small.png'),
                             lambda c: [f"{c['dir'] / 'mask_small.png'} is 24x20 but the image is 48x40",
                                        '--resize-mask']),
    # the output: refused before the model is even read (this checkpoint is truncated)
    'unknown output extension': ('inpaint', lambda c: _inpaint(c, 'photo.png', 'mask.png', out='x.xyz',
                                                               ckpt=str(c['dir'] / 'truncated.pth')),
                                 lambda c: [f"--out {c['dir'] / 'x.xyz'}: cannot write images with "
                                            "extension '.xyz'"]),
}


@pytest.mark.parametrize('case', list(BAD))
def test_bad_input_is_one_line_naming_the_fault(case, ctx, capsys):
    tool, argv, needles = BAD[case]
    args = argv(ctx)
    if tool in ('train', 'test'):      # the case's own options come last, and win
        n = 1 if tool == 'train' else 2                  # positional arguments
        args = args[:n] + _runner_args(ctx, case.replace(' ', '_')) + args[n:]
    code, last, _, _ = _call(tool, args, capsys)
    assert code == 2, (case, last)
    assert last.startswith('error: '), last
    for needle in needles(ctx):
        assert needle in last, (needle, last)
    assert not ctx['pwned'].exists()                        # nothing was executed
    assert not (ctx['dir'] / 'x.xyz').exists()
    assert sorted(os.listdir(ctx['dir'] / 'mine')) == ['holiday.jpg']


# Inputs the toolbox converts: (image, mask, extra options, displayed shape, warning)
GOOD = {
    'photo': ('photo.png', 'mask.png', (), (40, 48), None),
    '16-bit': ('g16.png', 'mask.png', (), (40, 48), None),
    'CMYK': ('cmyk.jpg', 'mask.png', (), (40, 48), None),
    'RGBA': ('rgba.png', 'mask.png', (), (40, 48), None),
    'grey': ('grey.png', 'mask.png', (), (40, 48), None),
    'palette': ('palette.png', 'mask.png', (), (40, 48), None),
    'tiny': ('tiny.png', 'tiny_mask.png', (), (3, 3), None),
    'huge': ('huge.png', 'huge_mask.png', ('--max-side', '96'), (1800, 2400), None),
    'EXIF-rotated photo': ('exif.jpg', 'exif_mask.png', (), (48, 32), None),
    'mask resized on request': ('photo.png', 'mask_small.png', ('--resize-mask',), (40, 48), None),
    'non-binary mask': ('photo.png', 'grey_mask.png', (), (40, 48), None),
    'blue-painted mask': ('photo.png', 'blue_mask.png', (), (40, 48), None),
    'empty mask': ('photo.png', 'no_hole.png', (), (40, 48), 'no_hole.png has no hole'),
    'full mask': ('photo.png', 'all_hole.png', (), (40, 48), 'all_hole.png is all hole'),
}


@pytest.mark.parametrize('case', list(GOOD))
def test_inputs_that_are_converted_give_a_result(case, ctx, capsys):
    from toolbox.datasets import read_image
    image, mask, extra, shape, warning = GOOD[case]
    out = f'out_{case.replace(" ", "_")}.png'
    code, last, _, caught = _call('inpaint', _inpaint(ctx, image, mask, *extra, out=out), capsys)
    assert code == 0, last
    result = read_image(str(ctx['dir'] / out))
    assert result.shape == (*shape, 3)
    if warning:
        assert any(warning in w for w in caught), caught
    source = read_image(str(ctx['dir'] / image))
    if case in ('blue-painted mask', 'non-binary mask', 'photo', 'EXIF-rotated photo'):
        hole = np.asarray(Image.open(ctx['dir'] / mask).convert('RGB')).max(axis=2) > 127
        if case == 'EXIF-rotated photo':
            hole = np.asarray(Image.open(ctx['dir'] / mask)) > 127
        assert np.array_equal(result[~hole], source[~hole])       # known pixels kept
        assert (result[hole] != source[hole]).any(axis=1).mean() > 0.5   # the hole was filled
    if case == 'empty mask':
        assert np.array_equal(result, source)


def test_untrained_weights_are_scored_only_when_asked(ctx, capsys):
    code, last, out, _ = _call('test', [DEMO, 'none', '--allow-untrained',
                                        *_runner_args(ctx, 'allowed')], capsys)
    assert code == 0, last
    assert 'PSNR:' in out


def test_a_read_only_work_dir_at_the_next_save_is_one_line(ctx, capsys, monkeypatch):
    """The first checkpoint is written; the folder then refuses writes (as a read-only
    one does; as root permission bits would not stop us, so the OS call is refused)."""
    work = ctx['dir'] / 'work_readonly'
    real_open = os.open

    def read_only_after_first(path, *args, **kwargs):
        if f'{work}/.iter_2.pth.' in str(path):
            raise PermissionError(13, 'Permission denied', str(path))
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(os, 'open', read_only_after_first)
    args = [DEMO, *_runner_args(ctx, 'readonly'), 'train_cfg.max_iters=3',
            'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=1']
    code, last, _, _ = _call('train', args, capsys)
    assert code == 2
    assert last == (f'error: {DEMO}: cannot write {work}/iter_2.pth: Permission denied '
                    '(is the folder read-only?)')
    from toolbox.engine import read_checkpoint
    assert read_checkpoint(str(work / 'iter_1.pth'))['meta']['iter'] == 1   # kept, complete


@pytest.mark.slow
def test_the_shell_sees_exit_code_2_and_one_line(ctx):
    result = run_python([osp.join(REPO, 'tools/inpaint.py'),
                         *_inpaint(ctx, 'photo.png', 'mask_small.png')], timeout=300)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith('error: ') and 'mask_small.png is 24x20' in lines[-1]
    assert 'Traceback' not in result.stderr
    result = run_python([osp.join(REPO, 'tools/train.py'), DEMO, '--work-dir',
                         str(ctx['dir'] / 'w_shell'), '--cfg-options', 'train_cfg.max_iters=[1,2'],
                        timeout=300)
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f'error: {DEMO}: --cfg-options train_cfg.max_iters=[1,2: the brackets of '
        'train_cfg.max_iters do not match')
