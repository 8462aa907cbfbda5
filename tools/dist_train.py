#!/usr/bin/env python
"""``toolbox dist-train`` as a script (``python tools/dist_train.py --help``)."""
import sys

from toolbox.commands.dist_train import main

if __name__ == '__main__':
    sys.exit(main())
