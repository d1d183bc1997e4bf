"""A start on the state of the last start shows that start's frame at its first paint (the same
pixels as the frame it then draws); any change to the state shows none."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PyQt6.QtGui import QImage

from terrain_viewer.gui import app, launch_frames

SIZE = (900, 640)


def _rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    bits = image.constBits()
    bits.setsize(image.sizeInBytes())
    return np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4).copy()


def _start(qtbot, change=None, sizes=(SIZE,)):
    """A window as ``app.main`` opens it (the launch frame on), shown at the first of ``sizes`` and
    resized to each next one after a paint, then drawn; returns it and the last kept frame its
    paints showed (None if none did)."""
    window = app.create_window()
    qtbot.addWidget(window)
    window.canvas.keeps_launch_frame = True
    if change is not None:
        change(window)
    seen, painted = [], []
    window.canvas.kept_frame_painted.connect(lambda: seen.append(_rgb(window.canvas._image)))  # noqa: SLF001

    def paint(event, canvas=window.canvas) -> None:
        painted.append(canvas.pixel_size())
        type(canvas).paintEvent(canvas, event)
        image = canvas._image  # noqa: SLF001
        if image is not None:
            window.images_painted.append((canvas.showing_kept_frame, image.width(), image.height()))

    window.images_painted = []  # (a kept frame?, width, height) of each paint's image
    window.canvas.paintEvent = paint
    window.resize(*sizes[0])
    window.show()
    for size in sizes[1:]:  # a paint at this size before any frame is drawn, then the next size
        qtbot.waitUntil(lambda: bool(painted), timeout=10_000)
        assert window.canvas._image is None or window.canvas.showing_kept_frame  # noqa: SLF001
        before = window.canvas.pixel_size()
        window.resize(*size)
        assert window.canvas.pixel_size() != before
    qtbot.waitUntil(lambda: window.canvas.wait_settled() and window.canvas.painted_gen >= 0, timeout=30_000)
    qtbot.wait(50)  # the paint of the frame drawn now
    if window.canvas.launch_frame_writer is not None:
        window.canvas.launch_frame_writer.join()
    return window, (seen[-1] if seen else None)


def test_a_second_start_shows_the_first_starts_frame_at_once_then_its_own_the_same(qtbot, shipped_gpkg,
                                                                                   own_cache):
    first, shown = _start(qtbot)
    assert shown is None  # nothing kept yet
    assert 1 <= len(list((own_cache / "frames").glob("*.npy"))) <= launch_frames.KEPT_MOST
    drawn_first = _rgb(first.canvas._image)  # noqa: SLF001
    first.close()

    second, shown = _start(qtbot)
    assert shown is not None, "the second start showed no kept frame"
    drawn = _rgb(second.canvas._image)  # noqa: SLF001
    assert not second.canvas.showing_kept_frame
    assert shown.shape == drawn.shape
    assert np.array_equal(shown, drawn)  # what showed at once is what is drawn: no jump
    assert np.array_equal(drawn, drawn_first)


@pytest.mark.parametrize("change", ["date", "hidden layer", "scale bar"])
def test_a_start_on_another_state_shows_no_kept_frame(qtbot, shipped_gpkg, own_cache, change):
    first, _ = _start(qtbot)
    first.close()

    def differ(window) -> None:
        model = window.model
        if change == "date":
            model.time.set_t(model.time.t + 3)
        elif change == "hidden layer":
            model.set_visible("units", False)
        else:
            model.set_options(scale_bar=not model.options.scale_bar)

    _, shown = _start(qtbot, differ)
    assert shown is None


def test_a_damaged_kept_frame_is_not_shown_and_the_start_goes_on(qtbot, shipped_gpkg, own_cache):
    first, _ = _start(qtbot)
    first.close()
    for kept in (own_cache / "frames").glob("*.npy"):
        kept.write_bytes(kept.read_bytes()[:1000])  # cut short (a full disk, a crash)
    window, shown = _start(qtbot)
    assert shown is None
    assert window.canvas.painted_gen >= 0 and window.canvas.error is None


def test_the_app_started_twice_paints_the_kept_frame_first(tmp_path, shipped_gpkg):
    """The console entry point as a person starts it, twice: the second start's first map on
    screen is the kept frame, then the frame it draws."""
    env = {**os.environ, "TERRAIN_VIEWER_CACHE_DIR": str(tmp_path / "cache"), "QT_QPA_PLATFORM": "offscreen",
           "TERRAIN_VIEWER_EXIT_AFTER_FIRST_PAINT": "1", "TERRAIN_VIEWER_HELPER": "0"}
    said = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-m", "terrain_viewer.cli"], env=env, capture_output=True,
                             text=True, timeout=120)
        said.append([line.split()[-1] for line in out.stdout.splitlines() if line.startswith("painted ")])
    assert said == [["drawn"], ["kept", "drawn"]]  # the kept frame first, once


def test_a_start_whose_first_paints_come_before_its_layout_settles_finds_its_frame(qtbot, shipped_gpkg,
                                                                                  own_cache):
    """The window is painted at one size and laid out at another before its first frame is drawn
    (a window manager's placement, docks restored): the kept frame of the size it settles on shows."""
    first, shown = _start(qtbot, sizes=[(1100, 700), (1400, 860)])
    assert shown is None
    first.close()
    second, shown = _start(qtbot, sizes=[(1100, 700), (1400, 860)])
    width, height = second.canvas.pixel_size()
    assert shown is not None and shown.shape[:2] == (height, width)
    after = second.images_painted[second.images_painted.index((True, width, height)):]
    assert all((w, h) == (width, height) for _, w, h in after)  # no frame of the first size after it


def test_the_first_render_waits_for_the_first_paint_that_shows_the_kept_frame(qtbot, shipped_gpkg,
                                                                               own_cache):
    """The window's first render starts once its first paint has looked the kept frame up: started
    at once, it held the interpreter lock that paint needed, and on a busy machine (a fresh clone's
    suite) its own frame came first and the kept one was never shown."""
    first, _ = _start(qtbot)
    first.close()
    second = app.create_window()
    qtbot.addWidget(second)
    second.canvas.keeps_launch_frame = True
    second.canvas.setUpdatesEnabled(False)  # no paint yet
    second.resize(*SIZE)
    second.show()
    qtbot.wait(500)
    assert second.canvas._image is None and not second.canvas._busy  # noqa: SLF001 - nothing drawn
    kept = []
    second.canvas.kept_frame_painted.connect(lambda: kept.append(True))
    second.canvas.setUpdatesEnabled(True)
    qtbot.waitUntil(lambda: second.canvas.wait_settled() and second.canvas.painted_gen >= 0, timeout=30_000)
    assert kept
