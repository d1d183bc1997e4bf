"""``python -m terrain_viewer.cli``."""

import sys

from terrain_viewer.cli.entry import main

sys.exit(main())
