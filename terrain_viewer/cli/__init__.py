"""The ``terrain-viewer`` command (console script ``terrain_viewer.cli:console_main``).

``entry``: the parser and ``main``; ``common``: exit codes, error kinds and the parsing every command
shares; one module per command group: ``gui``, ``data`` (info, validate), ``render``, ``export``,
``project_info``.
"""

from terrain_viewer.cli.entry import build_parser, console_main, main

__all__ = ["build_parser", "console_main", "main"]
