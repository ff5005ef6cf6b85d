"""``python -m paraspec``: the command line."""

import sys

from paraspec.checker.cli import main

sys.exit(main())
