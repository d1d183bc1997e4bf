"""``python -m terrain_viewer.cli``: the same as the console script."""

from terrain_viewer.cli.entry import console_main

console_main()
