"""``terrain-viewer [gui] [FILE|PROJECT ...]``: the desktop window."""

from __future__ import annotations

import argparse

from terrain_viewer.cli.common import OK


def cmd_gui(args: argparse.Namespace) -> int:
    from terrain_viewer.core.export.processes import helper_wanted, prepare_workers

    if helper_wanted():  # the helper's forkserver loads the renderer while the window's modules load
        prepare_workers()
    from terrain_viewer.gui.app import main as gui_main

    return int(gui_main([str(p) for p in args.files]) or OK)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``gui`` (also what ``terrain-viewer FILE ...`` runs)."""
    p = sub.add_parser("gui", help="open the desktop window (the default: `terrain-viewer FILE ...`)")
    p.add_argument("files", nargs="*",
                   help="data files and/or one .tvproj project (default: the built-in Hengyang data)")
    p.set_defaults(func=cmd_gui)
