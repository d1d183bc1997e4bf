"""Start the desktop window: ``terrain-viewer``, ``terrain-viewer gui [FILES]``, ``terrain-viewer-gui``."""

from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QMessageBox, QWidget

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.common.logs import enable_crash_log, setup_logging
from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.export.processes import helper_wanted
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.temporal.timeline import to_date

log = logging.getLogger("terrain_viewer.gui")

PAINT_PROBE = "TERRAIN_VIEWER_EXIT_AFTER_FIRST_PAINT"  # set: print when the map is first painted, then exit


def make_excepthook(parent: QWidget | None, log_file: Path | None):
    """A ``sys.excepthook`` that logs the traceback and shows one line in a message box."""

    def hook(exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("uncaught exception:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        text = exc.message if isinstance(exc, TerrainViewerError) else f"{exc_type.__name__}: {exc}"
        where = f"\n\nDetails were written to {log_file}" if log_file else ""
        try:
            QMessageBox.critical(parent, "Unexpected error", f"{text}{where}")
        except Exception:  # noqa: BLE001 - the hook must never raise
            sys.__excepthook__(exc_type, exc, tb)

    return hook


def load_model(paths: Sequence[str | Path]) -> tuple[ViewerModel, list[str]]:
    """The model for ``paths`` (the built-in data when empty); falls back to the built-in data
    when none of the files can be read. Returns the model and any startup problems."""
    if not paths:
        return ViewerModel.open(builtin_paths()), []
    try:
        model = ViewerModel.open(paths)
        problems = list(model.dataset.problems)
    except TerrainViewerError as exc:
        model, problems = None, [exc.message]
    if model is not None and (model.dataset.layers or model.dataset.rasters):
        return model, problems
    fallback = ViewerModel.open(builtin_paths())
    return fallback, problems + ["nothing could be read: showing the built-in Hengyang 1944 data instead"]


def start_helper():
    """The second renderer process that draws the coming date steps on another core (see
    ``helper_process``), started now so that it loads while the window does; None on one core, when
    ``TERRAIN_VIEWER_HELPER=0`` or when it cannot start."""
    if not helper_wanted():
        return None
    from terrain_viewer.core.export.helper_process import RenderHelper

    try:
        return RenderHelper()
    except (OSError, RuntimeError) as exc:
        log.warning("no second renderer process (%s): the map is drawn in one process", exc)
        return None


def create_window(paths: Sequence[str | Path] = (), helper=None):
    """Build the main window on ``paths`` at the start of the time extent (23 June 1944).

    A project file (``.tvproj``) among ``paths`` is opened into the window as a project; ``helper``
    (``start_helper``) draws coming date steps in a second process."""
    from terrain_viewer.core.project import split_projects
    from terrain_viewer.gui.main_window import QtMainWindow

    projects, paths = split_projects(paths)
    model, problems = load_model(paths)
    if paths:
        from terrain_viewer.core.render.symbology import spread_colours

        spread_colours(model)  # layers of one's own in colours apart
    model.time.set_t(model.time.start)
    window = QtMainWindow(model)
    if helper is not None:
        window.canvas.attach_helper(helper)
    if problems:
        window.show_problems(problems + [p for p in model.dataset.problems if p not in problems])
    if projects:
        from terrain_viewer.gui.qt_project import open_project

        open_project(window, projects[0])
    log.info("window opened on %s at %s", [str(p) for p in window.model.paths], to_date(window.model.time.t))
    gc.freeze()  # the loaded data and the window live on: later collections need not scan them (full
    # collections of the loaded data paused date steps by 100-190 ms). Not collected first: a full
    # collection here found nothing to free in the built-in data's start and took 58 ms of it

    def freeze_again() -> None:  # what the first frame made (figures, caches: 13,000 objects) lives
        gc.freeze()  # on too; a full collection of it paused a date step by 9 ms. Once.
        window.canvas.painted.disconnect(freeze_again)

    window.canvas.painted.connect(freeze_again)
    return window


def main(argv: list[str] | None = None) -> int:
    """Run the desktop application; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    log_file = setup_logging()
    enable_crash_log(log_file.parent if log_file else None)
    helper = start_helper()
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "terrain_viewer", *argv])
    app.setApplicationName("terrain_viewer")
    app.setOrganizationName("terrain_viewer")
    sys.excepthook = make_excepthook(None, log_file)
    try:
        window = create_window([a for a in argv if not a.startswith("-")], helper)
    except TerrainViewerError as exc:
        QMessageBox.critical(None, "terrain_viewer cannot start", exc.message)
        return 1
    sys.excepthook = make_excepthook(window, log_file)
    window.canvas.keeps_launch_frame = True  # the last start's frame of this state shows at once
    if os.environ.get(PAINT_PROBE):
        _exit_after_first_paint(window)
    window.show()
    code = app.exec()
    window.canvas.shut_down()  # no thread draws on when the window went without closing (a quit)
    sys.excepthook = make_excepthook(None, log_file)  # it held the window
    del window  # the window goes before the application (a function's locals go in any order)
    return code


def _exit_after_first_paint(window) -> None:
    """Benchmarks: print ``painted <time.monotonic()> <peak RSS MB> kept`` when the map first shows
    the last start's frame of this state (``launch_frame``), if it does, and ``painted <time> <peak
    RSS MB> drawn`` once it shows the frame drawn now, then leave at once (``benchmarks/run.py``)."""
    import resource
    import time

    def say(how: str) -> None:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"painted {time.monotonic():.6f} {rss:.1f} {how}", flush=True)

    def painted() -> None:
        say("drawn")
        writer = window.canvas.launch_frame_writer  # the frame kept for the next start: written first
        if writer is not None:
            writer.join()
        os._exit(0)

    window.canvas.kept_frame_painted.connect(lambda: say("kept"), Qt.ConnectionType.SingleShotConnection)
    window.canvas.painted.connect(painted)


if __name__ == "__main__":
    sys.exit(main())
