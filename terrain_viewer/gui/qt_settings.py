"""What the window remembers between runs (QSettings): geometry, docks, last folders, recent projects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QByteArray, QSettings
from PyQt6.QtWidgets import QMainWindow, QMenu

RECENT_MAX = 8
DEFAULT_SIZE = (1440, 900)


def settings() -> QSettings:
    return QSettings("terrain_viewer", "terrain_viewer")


def last_folder(kind: str, default: str | Path | None = None) -> str:
    """The folder last used for ``kind`` ("open", "project", "export") if it still exists, else
    ``default``, else the home folder."""
    folder = settings().value(f"folders/{kind}", "", str)
    return folder if folder and Path(folder).is_dir() else str(default or Path.home())


def remember_folder(kind: str, path: str | Path) -> None:
    path = Path(path)
    settings().setValue(f"folders/{kind}", str(path if path.is_dir() else path.parent))


def recent_projects() -> list[Path]:
    """Recently opened or saved projects that still exist, newest first."""
    value = settings().value("recent/projects", [], list) or []
    return [Path(p) for p in value if Path(p).is_file()][:RECENT_MAX]


def add_recent_project(path: str | Path) -> None:
    path = str(Path(path).resolve())
    rest = [str(p) for p in recent_projects() if str(p) != path]
    settings().setValue("recent/projects", [path, *rest][:RECENT_MAX])


def fill_recent_menu(menu: QMenu, open_project: Callable[[Path], object]) -> None:
    """File ▸ Open recent: one entry a project (its path as the tooltip), newest first."""
    menu.clear()
    recent = recent_projects()
    for path in recent:
        menu.addAction(path.name, lambda p=path: open_project(p)).setToolTip(str(path))
    if not recent:
        menu.addAction("(no recent projects)").setEnabled(False)


def restore_window(window: QMainWindow) -> bool:
    """Geometry and dock layout of the last run; a first window fits the screen it opens on.
    True when the dock layout was restored."""
    store = settings()
    geometry = store.value("window/geometry", QByteArray(), QByteArray)
    if geometry.isEmpty() or not window.restoreGeometry(geometry):
        fit_to_screen(window)
    state = store.value("window/state", QByteArray(), QByteArray)
    return not state.isEmpty() and window.restoreState(state)


def fit_to_screen(window: QMainWindow) -> None:
    """The default size, shrunk to 92 % of the screen's free area (a 1366×768 laptop included)."""
    screen = window.screen()
    width, height = DEFAULT_SIZE
    if screen is not None:
        area = screen.availableGeometry()
        width, height = min(width, int(area.width() * 0.92)), min(height, int(area.height() * 0.92))
    window.resize(width, height)


def save_window(window: QMainWindow) -> None:
    store = settings()
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState())
