"""The second renderer process, as the installed window starts it: date steps taken back to back
are drawn two at a time, every frame it draws is, pixel for pixel, what the window's own renderer
draws of that state (after a layer is switched off by its checkbox too), and the window carries on
alone when the process is killed. Closing the window ends the process."""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np
import pytest
from person import choose, click_check, image_array, unit_pixels, wheel
from PyQt6.QtCore import QPoint, Qt

from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.gui.app import create_window, start_helper


@pytest.fixture
def helped(qtbot, shipped_gpkg):
    """The main window on the built-in data with its helper process running, the map 1920×1080
    (a day then takes the window's renderer longer than a key press)."""
    window = create_window([], start_helper())
    qtbot.addWidget(window)
    window.canvas.setFixedSize(1920, 1080)
    window.show()
    qtbot.waitExposed(window)
    assert window.canvas.helper is not None
    qtbot.waitUntil(lambda: window.canvas.helper.ready, timeout=60000)
    window.model.time.set_date("1944-07-01")
    assert window.canvas.wait_settled()
    canvas = window.canvas
    qtbot.waitUntil(lambda: canvas.helper_warm and not canvas.helper_busy, timeout=60000)  # it drew this
    return window


def shown(canvas) -> np.ndarray:
    return image_array(canvas.grab().toImage())[..., :3]


def drawn_here(window, t: float | None = None, fresh: MapRenderer | None = None) -> np.ndarray:
    """The window's state (at ``t``) as a renderer of this process (``fresh``, else a new one) draws it."""
    canvas = window.canvas
    if fresh is None:
        fresh = MapRenderer(window.model)
    fresh.look = canvas.renderer.look
    t = window.model.time.t if t is None else t
    return fresh.render(t=t, size=canvas.pixel_size(), view=canvas.view())[..., :3]


def steps_until_the_helper_drew(qtbot, window, most: int = 30) -> list[tuple[float, np.ndarray]]:
    """→ pressed as soon as the last day is on screen, until two of the days shown were the
    helper's (``most`` presses at most)."""
    canvas = window.canvas
    canvas.setFocus()
    before, frames = canvas.helper_frames, []
    while len(frames) < most and canvas.helper_frames < before + 2:
        qtbot.keyClick(canvas, Qt.Key.Key_Right)
        assert canvas.wait_settled()
        frames.append((window.model.time.t, shown(canvas)))
    helper_days = canvas.helper_frames - before
    assert helper_days >= 2, f"{len(frames)} days, {helper_days} of them the helper's"
    return frames


def test_days_stepped_after_a_zoom_are_the_helpers_and_the_windows_own_pixel_for_pixel(helped, qtbot):
    canvas = helped.canvas
    wheel(canvas, QPoint(canvas.width() // 2, canvas.height() // 2), 2)  # zoom in: a new view
    assert canvas.wait_settled()
    frames = steps_until_the_helper_drew(qtbot, helped)
    assert helped.model.time.t == float(helped.model.time.start) + 8 + len(frames)  # 1 July + steps
    fresh = MapRenderer(helped.model)
    for t, image in frames:
        assert np.array_equal(image, drawn_here(helped, t, fresh)), f"day {t}"


def test_a_layer_switched_off_by_its_checkbox_is_gone_from_the_helpers_frames(helped, qtbot):
    canvas = helped.canvas
    click_check(qtbot, helped.layer_panel.tree, helped.layer_panel.item("units"))
    assert canvas.wait_settled()
    assert not helped.model.state("units").visible
    fresh = MapRenderer(helped.model)
    for t, image in steps_until_the_helper_drew(qtbot, helped):
        assert unit_pixels(image) == 0
        assert np.array_equal(image, drawn_here(helped, t, fresh)), f"day {t}"


class StartingHelper:
    """A helper whose process has not started yet (its imports take as long as the window's): it
    keeps what it is asked, in order."""

    ready, alive, pid = False, True, None

    def __init__(self) -> None:
        self.asked: list[tuple] = []
        self.on_frame = self.on_gone = self.on_ready = None

    def set_state(self, model, data, look) -> bool:
        self.asked.append(("session", data is not None))
        return True

    def warm(self, key, t, size, view, dpi, layers) -> bool:
        self.asked.append(("warm", t, tuple(size)))
        self.warm_at = time.perf_counter()
        return True

    def render(self, *_args) -> bool:
        return False

    def close(self) -> None:
        pass


def test_a_helper_still_starting_gets_the_first_frame_as_its_first_job(qtbot, shipped_gpkg):
    """Its caches are built the moment its process runs, side by side with the window's first
    frame: steps taken as soon as the window opened waited 1.2-1.4 s for a helper asked only after
    a quiet spell once it ran, then 0.5-0.75 s for one asked once the first frame was painted."""
    helper = StartingHelper()
    window = create_window([], helper)
    qtbot.addWidget(window)
    painted: list[float] = []
    window.canvas.painted.connect(lambda: painted.append(time.perf_counter()))
    window.canvas.setFixedSize(640, 360)
    window.show()
    qtbot.waitExposed(window)
    assert window.canvas.wait_settled()
    qtbot.waitUntil(lambda: len(helper.asked) >= 2 and bool(painted), timeout=5000)
    assert helper.asked[:2] == [("session", True), ("warm", float(window.model.time.start), (640, 360))]
    assert helper.warm_at < painted[0]  # asked while the window drew its own first frame


def test_playback_is_left_to_the_window(helped, qtbot):
    """Playback keeps the clock by skipping frames: frames drawn ahead by the helper came too late to
    be shown and took the core the window needed (25–31 frames a second against 38–40)."""
    bar, canvas = helped.time_slider, helped.canvas
    choose(qtbot, bar.speed_box, "4 day/s")
    choose(qtbot, bar.fpd_box, "12 frames/day")
    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    qtbot.wait(1500)
    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    assert not bar.playing and helped.model.time.t > float(helped.model.time.start) + 12  # it played
    assert canvas.helper_frames == 0 and not canvas.helper_busy


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kills a process by its pid")
def test_the_window_carries_on_alone_when_the_helper_is_killed(helped, qtbot, caplog):
    canvas = helped.canvas
    wheel(canvas, QPoint(canvas.width() // 2, canvas.height() // 2), 2)
    assert canvas.wait_settled()
    steps_until_the_helper_drew(qtbot, helped)
    slots = [f"/dev/shm/{shm.name.lstrip('/')}" for shm in canvas.helper._slots]  # noqa: SLF001
    assert slots and all(os.path.exists(path) for path in slots)  # it drew frames
    os.kill(canvas.helper.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: canvas.helper is None, timeout=10000)
    assert "drawn in one process" in caplog.text
    assert not any(os.path.exists(path) for path in slots)  # its shared memory is freed at once
    canvas.setFocus()
    day = helped.model.time.t
    for _ in range(3):
        qtbot.keyClick(canvas, Qt.Key.Key_Right)
        assert canvas.wait_settled()
    assert helped.model.time.t == day + 3
    assert np.array_equal(shown(canvas), drawn_here(helped))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="looks for the process in /proc")
def test_closing_the_window_ends_the_helper(helped, qtbot):
    pid = helped.canvas.helper.pid
    assert os.path.exists(f"/proc/{pid}")
    helped.close()
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        qtbot.wait(50)
    assert not os.path.exists(f"/proc/{pid}")
