#!/usr/bin/env python
"""``toolbox reproduce-video`` as a script (``python tools/reproduce_video.py --help``)."""
import sys

from toolbox.commands.reproduce_video import main

if __name__ == '__main__':
    sys.exit(main())
