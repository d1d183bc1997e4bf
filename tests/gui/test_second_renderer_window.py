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
from conftest import SIZE
from person import click_check, image_array, unit_pixels
from PyQt6.QtCore import Qt

from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.gui.app import create_window, start_helper


@pytest.fixture
def helped(qtbot, shipped_gpkg):
    """The main window on the built-in data with its helper process, the helper running."""
    window = create_window([], start_helper())
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    qtbot.waitExposed(window)
    assert window.canvas.helper is not None
    qtbot.waitUntil(lambda: window.canvas.helper.ready, timeout=60000)
    window.model.time.set_date("1944-07-01")
    assert window.canvas.wait_settled()
    qtbot.waitUntil(lambda: not window.canvas.helper_busy, timeout=60000)  # its first frames are in
    return window


def shown(canvas) -> np.ndarray:
    return image_array(canvas.grab().toImage())[..., :3]


def drawn_here(window) -> np.ndarray:
    """The window's state as a renderer of this process draws it."""
    canvas = window.canvas
    fresh = MapRenderer(window.model)
    fresh.look = canvas.renderer.look
    return fresh.render(t=window.model.time.t, size=canvas.pixel_size(), view=canvas.view())[..., :3]


def steps_back_to_back(qtbot, window, count: int) -> list[np.ndarray]:
    """→ pressed ``count`` times, each press as soon as the last day is on screen."""
    canvas = window.canvas
    canvas.setFocus()
    frames = []
    for _ in range(count):
        qtbot.keyClick(canvas, Qt.Key.Key_Right)
        assert canvas.wait_settled()
        frames.append((window.model.time.t, shown(canvas)))
    return frames


def test_steps_back_to_back_show_the_helpers_frames_and_they_are_the_windows_own(helped, qtbot):
    canvas = helped.canvas
    frames = steps_back_to_back(qtbot, helped, 6)
    assert str(helped.model.time.date) == "1944-07-07"
    assert canvas.helper_frames >= 2  # the helper drew some of the six days
    fresh = MapRenderer(helped.model)
    fresh.look = canvas.renderer.look
    for t, image in frames:
        want = fresh.render(t=t, size=canvas.pixel_size(), view=canvas.view())[..., :3]
        assert np.array_equal(image, want), f"day {t}"


def test_a_layer_switched_off_by_its_checkbox_is_gone_from_the_helpers_frames(helped, qtbot):
    canvas = helped.canvas
    steps_back_to_back(qtbot, helped, 2)  # the helper has the session and is drawing ahead
    tree = helped.layer_panel.tree
    before = canvas.helper_frames
    click_check(qtbot, tree, helped.layer_panel.item("units"))
    assert canvas.wait_settled()
    assert not helped.model.state("units").visible
    fresh = MapRenderer(helped.model)
    fresh.look = canvas.renderer.look
    for t, image in steps_back_to_back(qtbot, helped, 4):
        want = fresh.render(t=t, size=canvas.pixel_size(), view=canvas.view())[..., :3]
        assert np.array_equal(image, want), f"day {t}"
        assert unit_pixels(image) == 0
    assert canvas.helper_frames > before  # drawn by the helper after the change, without the units


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kills a process by its pid")
def test_the_window_carries_on_alone_when_the_helper_is_killed(helped, qtbot, caplog):
    canvas = helped.canvas
    os.kill(canvas.helper.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: canvas.helper is None, timeout=10000)
    assert "drawn in one process" in caplog.text
    frames = steps_back_to_back(qtbot, helped, 3)
    assert str(helped.model.time.date) == "1944-07-04"
    assert np.array_equal(frames[-1][1], drawn_here(helped))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="looks for the process in /proc")
def test_closing_the_window_ends_the_helper(helped, qtbot):
    pid = helped.canvas.helper.pid
    assert os.path.exists(f"/proc/{pid}")
    helped.close()
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        qtbot.wait(50)
    assert not os.path.exists(f"/proc/{pid}")
