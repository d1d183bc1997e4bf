"""Opening files without freezing the window: the files are read (``open_dataset``) on a thread
while the window keeps painting; after ``NOTICE_MS`` a busy bar with *Cancel* shows. *Cancel* gives
the window back at once: the reading finishes unseen and its layers are thrown away. What was read
is taken into the model on the GUI thread, and problems are listed as before."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from PyQt6.QtCore import QEventLoop, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QMessageBox, QProgressDialog

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.data.layers import Dataset, open_dataset
from terrain_viewer.core.project import split_projects
from terrain_viewer.core.render.symbology import spread_colours
from terrain_viewer.gui import qt_map_crs, qt_project

log = logging.getLogger(__name__)

NOTICE_MS = 400  # a reading that takes longer shows the busy bar with Cancel


class _Done(QObject):
    finished = pyqtSignal()


def open_files(window, paths: Sequence[str | Path]) -> list[str]:
    """``window.open_files``: add the layers of ``paths`` (a project among them opens as the project);
    show the problems; return them."""
    projects, paths = split_projects(paths)
    if projects:
        qt_project.open_project(window, projects[0])
        if not paths:
            return []
    open_now = {os.path.abspath(p) for p in window.model.paths}
    again = [p for p in paths if os.path.abspath(p) in open_now]
    paths = [p for p in paths if os.path.abspath(p) not in open_now]
    if again and not reload_session(window, again):
        return []
    if not paths:
        return []
    model = window.model
    before = {layer.name for layer in model.dataset.layers}
    try:
        extra = read_files(window, paths, model.dataset.map_crs)
        if extra is None:
            window.statusBar().showMessage("Opening cancelled: nothing was added", 8000)
            return []
        problems = model.add_read(paths, extra)
        spread_colours(model)  # layers of one's own in colours apart
    except TerrainViewerError as exc:
        problems = [exc.message]
    except Exception as exc:  # any reader failure: one line, logged with traceback
        log.exception("opening %s failed", paths)
        problems = [f"{names(paths)}: {exc}"]
    window.show_problems(model.dataset.problems + [p for p in problems if p not in model.dataset.problems])
    if problems:
        QMessageBox.warning(window, "Problems opening files", "\n".join(problems[:12]))
    else:
        window.statusBar().showMessage(f"Opened {names(paths)}", 8000)
    qt_map_crs.check_added(window, [n.name for n in model.dataset.layers if n.name not in before])
    return problems


def reload_session(window, again: Sequence[str | Path]) -> bool:
    """A file opened again is read again, not added twice (its layers under a second name, which a
    saved project could not give back): the session is reread with its layers' states kept, the
    map showing the files as they are now. False when cancelled."""
    model = window.model
    try:
        dataset = read_files(window, model.paths, model.dataset.map_crs)
    except TerrainViewerError as exc:
        QMessageBox.warning(window, "Problems opening files", exc.message)
        return False
    if dataset is None:
        window.statusBar().showMessage("Reloading cancelled: the map shows the files as they were", 8000)
        return False
    project = window.project_path
    window.set_model(type(model).from_dict(model.to_dict(), dataset=dataset), saved=False)
    window.project_path = project
    window.statusBar().showMessage(f"Reloaded {names(again)}: it was open already; the map shows it as it "
                                   "is now", 8000)
    return True


def names(paths: Sequence[str | Path]) -> str:
    """The files' names, for a message."""
    return ", ".join(Path(p).name for p in paths)


def read_files(parent, paths: Sequence[str | Path], map_crs) -> Dataset | None:
    """``open_dataset(paths, map_crs)`` on a thread, the event loop running meanwhile; None when the
    user cancels. A reader's exception is raised here."""
    outcome: dict = {}
    done = _Done()  # kept alive by the thread's closure: a late finish after Cancel goes nowhere
    loop = QEventLoop()
    done.finished.connect(loop.quit)

    def work() -> None:
        try:
            outcome["dataset"] = open_dataset(paths, map_crs=map_crs)
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread and raised there
            outcome["error"] = exc
        done.finished.emit()

    dialog = QProgressDialog(f"Opening {names(paths)}…", "Cancel", 0, 0, parent, objectName="openProgress")
    dialog.setWindowTitle("Opening files")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.canceled.connect(loop.quit)
    notice = QTimer(dialog, singleShot=True, interval=NOTICE_MS)  # a quick read shows nothing
    notice.timeout.connect(dialog.show)
    notice.start()
    threading.Thread(target=work, name="open-files", daemon=True).start()
    loop.exec()
    cancelled = dialog.wasCanceled()
    shown = not notice.isActive()  # the busy bar was put up (Cancel hides it itself)
    notice.stop()  # a quick read: its timer must not put the bar up later, over a message box
    dialog.reset()  # (stops the dialog's own show-after-4-s timer too)
    dialog.close()
    dialog.setParent(None)  # gone now: a deleteLater would wait for the outer event loop, and a
    dialog.deleteLater()    # problems box's own loop would keep it (and its timers) alive
    if shown and parent is not None:
        parent.activateWindow()  # keys go to the window again (no window manager does it offscreen)
    if cancelled:
        return None
    if "error" in outcome:
        raise outcome["error"]
    return outcome["dataset"]
