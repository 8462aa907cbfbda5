#!/usr/bin/env python
"""``toolbox benchmark`` as a script (``python tools/benchmark.py --help``)."""
import sys

from toolbox.commands.benchmark import main

if __name__ == '__main__':
    sys.exit(main())
