#!/usr/bin/env python
"""``toolbox video-baselines`` as a script (``python tools/video_baselines.py --help``)."""
import sys

from toolbox.commands.video_baselines import main

if __name__ == '__main__':
    sys.exit(main())
