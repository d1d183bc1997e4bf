"""How the real window feels in the hand, offscreen, with a 1920×1080 map canvas. Prints figures only.

(a) the date handle dragged fast with the mouse across the whole battle (a move every 16 ms, events
    processed between, as a 60 Hz mouse delivers them), then the time from the release until the map
    shows the release date: ``canvas.wait_settled()``, the ``rendered`` signal and the paint of that
    frame; median of ``--repeat``;
(b) → pressed on the map: the time until that day is painted, median and 95th percentile;
(c) playback at 1, 4 and 8 days/s with 12 frames per day for ``--seconds`` each: the days per second
    achieved and the frames rendered and painted per second.

    python benchmarks/window.py [--repeat 5] [--steps 40] [--seconds 5] [--size 1920x1080]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TERRAIN_VIEWER_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}"


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


class Counter:
    """Counts the canvas's rendered frames and the paints that showed a new one."""

    def __init__(self, canvas) -> None:
        self.canvas, self.rendered, self.painted, self._last = canvas, 0, 0, None
        canvas.rendered.connect(self._on_rendered)
        canvas.painted.connect(self._on_painted)

    def _on_rendered(self) -> None:
        self.rendered += 1

    def _on_painted(self) -> None:
        if self.canvas.painted_gen != self._last:
            self._last = self.canvas.painted_gen
            self.painted += 1

    def reset(self) -> None:
        self.rendered = self.painted = 0


def shown(canvas, app, timeout: float = 60.0) -> None:
    """Process events until the latest state is rendered and painted on the canvas."""
    from PyQt6.QtCore import QEventLoop

    if not canvas.wait_settled(int(timeout * 1000)):
        raise RuntimeError("the map did not settle")
    deadline = time.monotonic() + timeout
    while canvas.painted_gen != canvas._gen and time.monotonic() < deadline:  # noqa: SLF001
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def pump(app, seconds: float) -> None:
    """Let the event loop run for ``seconds`` of wall time."""
    from PyQt6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def handle_point(slider, value: int):
    """Where the handle's centre is for ``value`` (the style's own geometry)."""
    from PyQt6.QtCore import QPoint
    from PyQt6.QtWidgets import QStyle, QStyleOptionSlider

    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    style, cc = slider.style(), QStyle.ComplexControl.CC_Slider
    groove = style.subControlRect(cc, option, QStyle.SubControl.SC_SliderGroove, slider)
    handle = style.subControlRect(cc, option, QStyle.SubControl.SC_SliderHandle, slider)
    x = groove.x() + QStyle.sliderPositionFromValue(slider.minimum(), slider.maximum(), value,
                                                    groove.width() - handle.width())
    return QPoint(x + handle.width() // 2, handle.center().y())


def drag_release(window, app, counter, release_day: int, drag_seconds: float = 1.0) -> tuple[float, int]:
    """Drag the handle from the first day to ``release_day`` in ``drag_seconds``; seconds from the
    release until that date is painted, and the frames rendered during the drag."""
    from PyQt6.QtCore import QPoint, Qt
    from PyQt6.QtTest import QTest

    from terrain_viewer.gui.qt_time_slider import STEPS_PER_DAY

    slider, model, canvas = window.time_slider.slider, window.model, window.canvas
    model.time.set_t(model.time.start)
    shown(canvas, app)
    counter.reset()
    start, end = handle_point(slider, 0), handle_point(slider, release_day * STEPS_PER_DAY)
    if release_day * STEPS_PER_DAY >= slider.maximum():
        end.setX(end.x() + 20)  # to the end: the hand overshoots, the handle stops at the last day
    left, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(slider, left, mods, start)
    moves = max(2, round(drag_seconds / 0.016))
    for i in range(1, moves + 1):
        due = time.perf_counter() + 0.016
        QTest.mouseMove(slider, QPoint(round(start.x() + (end.x() - start.x()) * i / moves), start.y()))
        app.processEvents()
        time.sleep(max(0.0, due - time.perf_counter()))
    during = counter.rendered
    t0 = time.perf_counter()
    QTest.mouseRelease(slider, left, mods, end)
    shown(canvas, app)
    elapsed = time.perf_counter() - t0
    if abs(model.time.t - model.time.start - release_day) > 0.2:
        print(f"  note: released at {model.time.date}, not day {release_day} of the battle")
    return elapsed, during


def steps(window, app, count: int) -> list[float]:
    from PyQt6.QtCore import Qt
    from PyQt6.QtTest import QTest

    model, canvas = window.model, window.canvas
    model.time.set_date("1944-06-28")
    shown(canvas, app)
    canvas.setFocus()
    out = []
    for _ in range(count):
        t0 = time.perf_counter()
        QTest.keyClick(canvas, Qt.Key.Key_Right)
        shown(canvas, app)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def playback(window, app, counter, speed: float, seconds: float) -> tuple[float, float, float]:
    """Days per second achieved, frames rendered and painted per second."""
    from terrain_viewer.gui.qt_time_slider import FRAMES_PER_DAY, SPEEDS

    bar, model = window.time_slider, window.model
    bar.speed_box.setCurrentIndex(SPEEDS.index(speed))
    bar.fpd_box.setCurrentIndex(FRAMES_PER_DAY.index(12))
    model.time.set_t(model.time.start)
    shown(window.canvas, app)
    counter.reset()
    t0, wall0 = model.time.t, time.perf_counter()
    bar.play()
    pump(app, seconds)
    bar.pause()
    wall = time.perf_counter() - wall0
    return (model.time.t - t0) / wall, counter.rendered / wall, counter.painted / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--no-helper", action="store_true", help="no second renderer process")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average before: {load()}")
    from PyQt6.QtWidgets import QApplication

    from terrain_viewer.gui.app import create_window, start_helper

    helper = None if args.no_helper else start_helper()  # as the real entry point does
    app = QApplication([sys.argv[0]])
    window = create_window([], helper)
    w, h = (int(v) for v in args.size.split("x"))
    window.canvas.setFixedSize(w, h)
    window.show()
    counter = Counter(window.canvas)
    shown(window.canvas, app)
    window.model.time.set_date("1944-07-11")  # warm: background, sprites and symbols built once
    shown(window.canvas, app)
    print(f"canvas {window.canvas.width()}x{window.canvas.height()}, "
          f"slider {window.time_slider.slider.width()} px for {window.time_slider.slider.maximum()} steps")

    days = (window.model.time.end - window.model.time.start)
    results = [drag_release(window, app, counter, round(days) - (i % 3)) for i in range(args.repeat)]
    release = [r[0] * 1000 for r in results]
    print(f"(a) drag across the battle in 1 s, release → painted: median {statistics.median(release):.0f} ms "
          f"(all: {', '.join(f'{v:.0f}' for v in release)}); frames rendered during each drag: "
          f"{', '.join(str(r[1]) for r in results)}")

    step_ms = sorted(steps(window, app, args.steps))
    p95 = step_ms[min(len(step_ms) - 1, round(0.95 * (len(step_ms) - 1)))]
    print(f"(b) → to painted over {len(step_ms)} steps: median {statistics.median(step_ms):.0f} ms, "
          f"p95 {p95:.0f} ms, max {step_ms[-1]:.0f} ms")

    for speed in (1.0, 4.0, 8.0):
        achieved, rendered, painted = playback(window, app, counter, speed, args.seconds)
        print(f"(c) play {speed:g} day/s at 12 frames/day ({speed * 12:g} frames/s asked): "
              f"{achieved:.2f} days/s achieved, {rendered:.1f} frames rendered/s, {painted:.1f} painted/s")
    print(f"load average after: {load()}")
    sys.stdout.flush()
    os._exit(0)  # the render thread may be mid-frame; nothing to tear down


if __name__ == "__main__":
    main()
