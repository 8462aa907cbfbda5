"""``python -m toolbox COMMAND``: the ``toolbox`` console command, for subprocesses that must
run this interpreter's toolbox."""
import sys

from toolbox.cli import main

sys.exit(main())
