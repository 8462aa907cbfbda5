#!/usr/bin/env python
"""``toolbox train`` as a script (``python tools/train.py --help``)."""
import sys

from toolbox.commands.train import main

if __name__ == '__main__':
    sys.exit(main())
