#!/usr/bin/env python
"""``toolbox stress-distributed`` as a script (``python tools/stress_distributed.py --help``)."""
import sys

from toolbox.commands.stress_distributed import main

if __name__ == '__main__':
    sys.exit(main())
