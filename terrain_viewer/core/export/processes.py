"""How the renderer's other processes are started (export workers, the window's helper): from a
forkserver that has the renderer imported, so that each starts warm. Light to import (no numpy, no
geopandas): the window starts the server first thing, and it loads while the window does.

The server preloads modules only, not milsymbol's symbol tables (≈ 0.5 s of JSON, once preloaded
here): the symbols come from the disk cache or the shipped ones (``symbol_cache``), and the
window's helper process, forked only once the server has loaded, was ready half a second later
for them (a day's steps back to back from the window's first paint, median 19–20 → 10–15 ms)."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import sys

PRELOAD = [
    "terrain_viewer.core.export.workers",
    "terrain_viewer.core.render.renderer",
]
HELPER_SWITCH = "TERRAIN_VIEWER_HELPER"  # "0": no second renderer process for the window


def process_context() -> multiprocessing.context.BaseContext:
    """forkserver on Linux, spawn elsewhere; never fork (the GUI has threads)."""
    if not sys.platform.startswith("linux"):
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # only takes effect when the server starts
    return context


def prepare_workers() -> None:
    """Start the forkserver now, so it preloads the renderer in the background (while the window
    or the data loads, or a dialog is open) and the processes forked from it start warm. Idempotent."""
    if process_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def helper_wanted() -> bool:
    """The window may have a second renderer process: two cores or more, not switched off."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return os.environ.get(HELPER_SWITCH, "1") != "0" and cores >= 2
