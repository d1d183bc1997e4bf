"""File menu actions for project files: open, save, save as, and locating moved data files.

The main window calls ``open_project(window)``, ``save_project(window)`` and
``save_project_as(window)``. It provides ``window.model`` (a ViewerModel),
``window.set_model(model)`` and ``window.project_path`` (Path or None); the exporter's
settings travel as ``window.export_settings`` (a dict or None), stored opaquely in the project.
All the work is done by ``terrain_viewer.core.project``; errors become a one-line message box.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from terrain_viewer.core import project as core
from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.common.logs import log_dir, log_exception
from terrain_viewer.gui import qt_settings

PROJECT_FILTER = "terrain_viewer project (*.tvproj);;All files (*)"
DATA_FILTER = "Map data (*.gpkg *.geojson *.json *.shp *.fgb *.kml *.tif *.tiff *.png *.jpg);;All files (*)"
log = logging.getLogger("terrain_viewer.gui.project")


def _show_error(window: QWidget, title: str, message: str) -> None:
    log.warning("%s: %s", title, message)
    QMessageBox.warning(window, title, message)


def _unexpected(window: QWidget, title: str, path: object, exc: Exception) -> None:
    """A bug, not bad input: log the traceback, tell the user in one line, keep the app running."""
    log_exception(exc, title)
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    _show_error(window, title, f"{path}: unexpected error ({type(exc).__name__}: {first}); "
                               f"details in the log file in {log_dir()}")


def _start_folder(window: QWidget) -> str:
    """Where a project dialog opens: the project's folder, else the project folder remembered from
    the last session, else that of the data file opened last (not the shipped data's), else home."""
    path = getattr(window, "project_path", None)
    if path:
        return str(Path(path).parent)
    return qt_settings.last_folder("project", own_data_folder(window))


def own_data_folder(window: QWidget) -> Path | None:
    """The folder of the data file the session opened last, not the shipped data's (None: none)."""
    from terrain_viewer.core.data.builtin import builtin_paths

    shipped = {p.resolve() for p in builtin_paths()}
    model = getattr(window, "model", None)
    own = [Path(p) for p in (model.paths if model is not None else []) if Path(p).resolve() not in shipped]
    return own[-1].parent if own else None


def _status(window: QWidget, text: str) -> None:
    bar = getattr(window, "statusBar", None)
    if callable(bar):
        bar().showMessage(text, 10000)


def open_project(window: QWidget, path: str | Path | None = None) -> QtMissingFilesDialog | None:
    """Ask for a project (unless ``path``), load it into the window; return the missing-files dialog.
    A modified session is offered to be saved first (Cancel keeps it)."""
    may_replace = getattr(window, "may_replace_session", None)
    if callable(may_replace) and not may_replace():
        return None
    if path is None:
        path, _ = QFileDialog.getOpenFileName(window, "Open project", _start_folder(window), PROJECT_FILTER)
        if not path:
            return None
    try:
        model, info = core.load_project(path)
    except TerrainViewerError as exc:
        _show_error(window, "Cannot open project", exc.message)
        return None
    except Exception as exc:  # noqa: BLE001 - an unhandled exception in a Qt slot aborts the app
        _unexpected(window, "Cannot open project", path, exc)
        return None
    window.project_path = Path(path)  # before set_model, which titles the window after it
    window.export_settings = info.export
    window.set_model(model)
    show_problems = getattr(window, "show_problems", None)
    if callable(show_problems) and info.problems:
        show_problems(info.problems)  # the data's problems and one line per missing file
    else:
        _status(window, f"Opened {Path(path).name}")
    if not info.missing:
        return None
    dialog = QtMissingFilesDialog(window, model)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()  # not modal: the map stays usable while the user looks for the files
    return dialog


def save_project(window: QWidget) -> Path | None:
    """Save to the window's project file, or ask for one when it has none."""
    if getattr(window, "project_path", None) is None:
        return save_project_as(window)
    return _save(window, Path(window.project_path))


def save_project_as(window: QWidget, path: str | Path | None = None) -> Path | None:
    """Ask for a file name (unless ``path``) and save the project there."""
    if path is None:
        path, _ = QFileDialog.getSaveFileName(window, "Save project as", _start_folder(window),
                                              PROJECT_FILTER)
        if not path:
            return None
    path = Path(path)
    if path.suffix.lower() != core.SUFFIX:
        path = path.with_name(path.name + core.SUFFIX)
    saved = _save(window, path)
    if saved is not None:
        window.project_path = saved
    return saved


def _save(window: QWidget, path: Path) -> Path | None:
    try:
        saved = core.save_project(window.model, path, export=getattr(window, "export_settings", None))
    except TerrainViewerError as exc:
        _show_error(window, "Cannot save project", exc.message)
        return None
    except Exception as exc:  # noqa: BLE001 - a Qt slot must not abort the app; _unexpected logs the traceback
        _unexpected(window, "Cannot save project", path, exc)
        return None
    _status(window, f"Saved {saved.name}")
    mark_saved = getattr(window, "mark_saved", None)
    if callable(mark_saved):
        mark_saved()
    return saved


class QtMissingFilesDialog(QDialog):
    """Lists the project's data files that were not found, each with a "Locate…" button.

    Locating a file loads its layers with their saved states (``core.project.relocate``); other
    missing files found under the same name in the new folder are loaded too.
    """

    relocated = pyqtSignal(str, str)  # old path, new path

    def __init__(self, parent: QWidget | None, model) -> None:
        super().__init__(parent)
        self.model = model
        self.setWindowTitle("Data files not found")
        self.rows: dict[Path, tuple[QLabel, QPushButton]] = {}
        layout = QVBoxLayout(self)
        missing = core.missing_files(model)
        many = len(missing) != 1
        self.heading = QLabel(f"{len(missing)} data file{'s' if many else ''} of this project "
                              f"{'were' if many else 'was'} not found. Their layers keep their settings: "
                              "locate the files, or continue without those layers.")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        grid = QGridLayout()
        for row, (old, layers) in enumerate(missing.items()):
            self._add_row(grid, row, old, layers)
        layout.addLayout(grid)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("Continue")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)

    def _add_row(self, grid: QGridLayout, row: int, old: Path, layers: list[str]) -> None:
        names = html.escape(", ".join(layers) or "—")
        name = QLabel(f"<b>{html.escape(old.name)}</b><br><small>{html.escape(str(old))}<br>"
                      f"layers: {names}</small>")
        state = QLabel("missing")
        state.setStyleSheet("color: #b00020")
        button = QPushButton("Locate…")
        button.setObjectName(f"locate_{row}")
        button.clicked.connect(lambda _checked=False, p=old: self._on_locate(p))
        grid.addWidget(name, row, 0)
        grid.addWidget(state, row, 1)
        grid.addWidget(button, row, 2)
        self.rows[old] = (state, button)

    def _on_locate(self, old: Path) -> None:
        start = str(old.parent if old.parent.exists() else Path.home())
        new, _ = QFileDialog.getOpenFileName(self, f"Locate {old.name}", start, DATA_FILTER)
        if new:
            self.locate(old, Path(new))

    def locate(self, old: Path, new: Path) -> bool:
        """Load ``old``'s layers from ``new``; try the same folder for the other missing files."""
        if not self._relocate(old, new, quiet=False):
            return False
        for other in list(core.missing_files(self.model)):
            candidate = new.parent / other.name
            if candidate.exists():
                self._relocate(other, candidate, quiet=True)
        if not core.missing_files(self.model):
            self.heading.setText("All data files were found.")
        show_problems = getattr(self.parentWidget(), "show_problems", None)
        if callable(show_problems):
            show_problems(self.model.dataset.problems + core.missing_messages(self.model))
        return True

    def _relocate(self, old: Path, new: Path, quiet: bool) -> bool:
        try:
            problems = core.relocate(self.model, old, new)
        except TerrainViewerError as exc:
            if not quiet:
                _show_error(self, "Cannot use this file", exc.message)
            return False
        except Exception as exc:  # noqa: BLE001 - a Qt slot must not abort the app; _unexpected logs the traceback
            if not quiet:
                _unexpected(self, "Cannot use this file", new, exc)
            return False
        state, button = self.rows[old]
        note = f" ({len(problems)} problem{'s' if len(problems) != 1 else ''})" if problems else ""
        state.setText(f"found: {new.name}{note}")
        state.setStyleSheet("color: #1b6e1b")
        state.setToolTip("\n".join([str(new), *problems]))
        button.setEnabled(False)
        self.relocated.emit(str(old), str(new))
        return True
