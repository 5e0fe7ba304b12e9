"""Frozen entry point: the same as `python -m inbox_app`."""

import sys

from inbox_app.__main__ import main

sys.exit(main())
