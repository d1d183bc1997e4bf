"""File ▸ Open reads on a thread: a slow read shows a busy bar with Cancel while the window keeps
running; Cancel gives the window back with nothing added, even when the read ends later."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from person import LEFT, NO_MOD, click_menu
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QApplication, QFileDialog, QProgressDialog, QPushButton

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from own_data import make_battle  # noqa: E402

from terrain_viewer.gui import qt_loading  # noqa: E402

UNITS = "units (river_battle_1943)"


def slow_reads(monkeypatch, seconds: float) -> list[bool]:
    """Make reading take ``seconds`` longer; the list gets True when a read has ended."""
    ended: list[bool] = []
    read = qt_loading.open_dataset

    def slow(*args, **kwargs):
        time.sleep(seconds)
        try:
            return read(*args, **kwargs)
        finally:
            ended.append(True)

    monkeypatch.setattr(qt_loading, "open_dataset", slow)
    return ended


def reading() -> bool:
    return any(t.name == "open-files" and t.is_alive() for t in threading.enumerate())


def progress(window) -> QProgressDialog | None:
    """The busy bar on screen (a child of the window, or a window of its own), else None."""
    found = [window.findChild(QProgressDialog, "openProgress"), *QApplication.topLevelWidgets()]
    return next((d for d in found if isinstance(d, QProgressDialog) and d.objectName() == "openProgress"
                 and d.isVisible()), None)


def choose(monkeypatch, tmp_path) -> None:
    files = [str(make_battle(tmp_path))]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (files, ""))


def test_a_slow_open_shows_a_busy_bar_and_the_window_keeps_running(hengyang, qtbot, tmp_path, monkeypatch,
                                                                  message_boxes):
    choose(monkeypatch, tmp_path)
    slow_reads(monkeypatch, 3.0)
    during: dict = {}

    def look() -> None:  # a timer of the window's own event loop: it fires only if the loop runs
        dialog = progress(hengyang)
        during.update(reading=reading(), text=dialog.labelText() if dialog else None)

    QTimer.singleShot(900, look)
    click_menu(qtbot, hengyang, "File", "Open…")
    assert during.get("reading"), "the window's event loop was frozen while the file was read"
    assert "river_battle_1943.gpkg" in (during.get("text") or "")
    names = [layer.name for layer in hengyang.model.dataset.layers]
    assert UNITS in names and not message_boxes
    assert progress(hengyang) is None


def test_cancel_gives_the_window_back_with_nothing_added(hengyang, qtbot, tmp_path, monkeypatch,
                                                         message_boxes):
    choose(monkeypatch, tmp_path)
    ended = slow_reads(monkeypatch, 3.0)
    before = [layer.name for layer in hengyang.model.dataset.layers]

    def cancel() -> None:
        dialog = progress(hengyang)
        assert dialog is not None
        button = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel")
        qtbot.mouseClick(button, LEFT, NO_MOD, button.rect().center())

    QTimer.singleShot(800, cancel)
    click_menu(qtbot, hengyang, "File", "Open…")
    assert not ended  # the window is back before the read has ended
    assert "cancelled" in hengyang.statusBar().currentMessage()
    qtbot.waitUntil(lambda: bool(ended) and not reading(), timeout=10000)
    qtbot.wait(100)
    assert [layer.name for layer in hengyang.model.dataset.layers] == before and not message_boxes
    day = hengyang.model.time.date
    hengyang.canvas.setFocus()
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Right)  # the window still answers
    assert (hengyang.model.time.date - day).days == 1


def test_the_busy_bar_never_comes_back_over_the_problems_box(hengyang, qtbot, tmp_path, monkeypatch):
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(make_battle(tmp_path).read_bytes()[:5000])  # a truncated GeoPackage: read at once
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(bad)], ""))
    seen: list = []

    def warning(parent, title, text, *args):  # the modal box runs its own event loop while it is read
        qtbot.wait(1500)
        seen.append((text, progress(hengyang)))

    monkeypatch.setattr(qt_loading.QMessageBox, "warning", warning)
    done: list = []  # the menu is clicked from the window's running event loop, as in the app
    QTimer.singleShot(0, lambda: (click_menu(qtbot, hengyang, "File", "Open…"), done.append(True)))
    qtbot.waitUntil(lambda: bool(done), timeout=20000)
    assert len(seen) == 1 and "bad.gpkg" in seen[0][0] and "truncated" in seen[0][0]
    assert seen[0][1] is None, "the 'Opening…' bar came up over the problems box and took its clicks"
