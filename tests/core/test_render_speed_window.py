"""What you see is what you export: the window's map (rendered on its thread, converted for the
screen, possibly rendered ahead of the key press) is, pixel for pixel, the frame the export writes."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from PyQt6.QtCore import Qt  # noqa: E402
from PyQt6.QtGui import QImage  # noqa: E402

from terrain_viewer.core.data.builtin import builtin_paths  # noqa: E402
from terrain_viewer.core.model import ViewerModel  # noqa: E402

CANVAS = (1920, 1080)  # the export's type size is set for 1080 rows: the window's at 100 dpi


def shown(canvas) -> np.ndarray:
    assert canvas.wait_settled()
    image = canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    rows = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def exported(tmp_path, date: str) -> np.ndarray:
    from terrain_viewer.cli import main

    out = tmp_path / f"frames_{date}"
    code = main(["export", "--from", date, "--to", date, "--frames-per-day", "1",
                 "--size", f"{CANVAS[0]}x{CANVAS[1]}", "--format", "png", "--workers", "1",
                 "--no-credits", "--out", str(out), "--quiet"])  # --no-credits: the window's options
    assert code == 0
    (frame,) = sorted(out.glob("*.png"))
    return np.asarray(Image.open(frame).convert("RGB"))


def test_the_window_shows_the_frames_the_export_writes(qtbot, tmp_path, monkeypatch):
    from PyQt6.QtCore import QSettings

    from terrain_viewer.gui.main_window import QtMainWindow

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    window = QtMainWindow(ViewerModel.open(builtin_paths()))
    qtbot.addWidget(window)
    window.canvas.setFixedSize(*CANVAS)
    window.show()
    qtbot.waitExposed(window)
    window.model.time.set_date("1944-07-10")
    on_the_10th = shown(window.canvas)
    qtbot.wait(1500)  # idle: the window may render the next day ahead of the key press
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    assert str(window.model.time.date) == "1944-07-11"
    on_the_11th = shown(window.canvas)
    assert on_the_11th.shape == (CANVAS[1], CANVAS[0], 3)
    assert np.array_equal(on_the_11th, exported(tmp_path, "1944-07-11"))
    assert np.array_equal(on_the_10th, exported(tmp_path, "1944-07-10"))
