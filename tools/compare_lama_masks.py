#!/usr/bin/env python
"""``toolbox compare-lama-masks`` as a script (``python tools/compare_lama_masks.py --help``)."""
import sys

from toolbox.commands.compare_lama_masks import main

if __name__ == '__main__':
    sys.exit(main())
