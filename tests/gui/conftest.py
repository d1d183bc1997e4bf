"""GUI fixtures: the real main window on the shipped Hengyang data or a small GeoPackage, offscreen."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import copy  # noqa: E402
import functools  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from person import pixels  # noqa: E402
from PyQt6.QtWidgets import QMessageBox  # noqa: E402

from terrain_viewer.core.data.builtin import builtin_paths  # noqa: E402
from terrain_viewer.core.model import ViewerModel  # noqa: E402
from terrain_viewer.gui.main_window import QtMainWindow  # noqa: E402

QtMainWindow.ask_to_save = False  # pytest-qt closes each test's windows, changed or not: no modal
#                                   question then (the tests of the question turn it on)

SIZE = (1000, 700)


def canvas_pixels(window) -> np.ndarray:
    """What the map canvas shows once the latest state is rendered (renders run on a thread)."""
    return pixels(window.canvas)


def _open(qtbot, model: ViewerModel):
    window = QtMainWindow(model)
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    qtbot.waitExposed(window)
    return window


@functools.cache
def _builtin_dataset():
    """The shipped data, loaded once per test process; each window gets its own deep copy."""
    from terrain_viewer.core.data.layers import open_dataset

    return open_dataset(builtin_paths())


@pytest.fixture(autouse=True)
def fresh_settings(tmp_path_factory, monkeypatch):
    """Each test starts with no remembered window state, folders or recent projects (QSettings)."""
    from PyQt6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                      str(tmp_path_factory.getbasetemp() / "qsettings"))
    QSettings("terrain_viewer", "terrain_viewer").clear()


@pytest.fixture
def hengyang(qtbot, shipped_gpkg):
    """The main window on the shipped data at its first day (23 June 1944)."""
    model = ViewerModel(copy.deepcopy(_builtin_dataset()), builtin_paths())  # as ViewerModel.open
    model.time.set_t(model.time.start)
    return _open(qtbot, model)


@pytest.fixture
def small_window(qtbot, small_gpkg: Path):
    return _open(qtbot, ViewerModel.open([small_gpkg]))


@pytest.fixture
def message_boxes(monkeypatch) -> list[tuple[str, str, str]]:
    """Record QMessageBox calls instead of blocking: (kind, title, text)."""
    shown: list[tuple[str, str, str]] = []
    for kind in ("warning", "critical", "information", "about"):
        monkeypatch.setattr(QMessageBox, kind,
                            lambda parent, title, text, *a, k=kind: shown.append((k, title, text)))
    return shown


@pytest.fixture
def grab_map():
    """``grab_map(window)`` → the canvas pixels as an RGBA array."""
    return canvas_pixels
