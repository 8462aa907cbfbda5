#!/usr/bin/env python
"""``toolbox compare-training`` as a script (``python tools/compare_training.py --help``)."""
import sys

from toolbox.commands.compare_training import main

if __name__ == '__main__':
    sys.exit(main())
