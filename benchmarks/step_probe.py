"""What a user sees when stepping the date in the real window (``run.py window_*`` cases).

The main window on the built-in data, offscreen, its map canvas exactly ``--size`` pixels. A step
is timed from the key press (→, a day) or the slider change (a tween frame, 1/``--fpd`` day) until
the end of the paint event that puts the frame of that state on screen: the time is taken in the
canvas's ``painted`` signal, emitted as that paint ends, not when this probe's loop next runs (which
waits for the interpreter lock while the render thread draws the coming step ahead: 0.5–3.5 ms
more). The probe goes on once the state is rendered and painted (``wait_settled()`` then the paint).
Prints one JSON line: the step times in milliseconds (``steps_ms``) and, for comparison, when the
probe saw the paint (``seen_ms``, as measured before 29 November).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def painted(canvas, app, timeout: float = 30.0) -> None:
    """Process events until the canvas's latest state is rendered and painted."""
    from terrain_viewer.gui.map_frames import wait_for_events

    if not canvas.wait_settled():
        raise RuntimeError("the map did not settle")
    deadline = time.monotonic() + timeout
    while canvas.painted_gen != canvas._gen and time.monotonic() < deadline:  # noqa: SLF001
        wait_for_events(5)


def idle(app, seconds: float) -> None:
    """Let the event loop run for ``seconds`` (the window idles, as between a person's key presses)."""
    from terrain_viewer.gui.map_frames import wait_for_events

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        wait_for_events(max(1, int((end - time.monotonic()) * 1000)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--fpd", type=int, default=0, help="tween frames per day (0: whole days by key)")
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds between a painted frame and the next step (a person's pace)")
    parser.add_argument("--every", type=float, default=0.0,
                        help="seconds from one step to the next, as a held key's auto-repeat sends them "
                             "(a step whose time has passed goes at once after the last paint)")
    parser.add_argument("--idle", type=float, default=0.0,
                        help="seconds the window stays open, idle, before the first step (a person "
                             "looking at the map before holding a key); 0: step at once")
    parser.add_argument("--play", type=float, default=0.0,
                        help="days a second: play (the ▶ button) at --fpd frames a day for --steps "
                             "frames' time; a frame is timed from the moment the clock makes it due")
    parser.add_argument("--no-ahead", action="store_true", help="do not render the next step ahead")
    parser.add_argument("--no-helper", action="store_true", help="no second renderer process")
    parser.add_argument("--profile", help="write a cProfile of the steps to this file")
    args = parser.parse_args()
    if not args.no_helper:  # as the real entry point does (``cli.gui``): its forkserver loads meanwhile
        from terrain_viewer.core.export.processes import prepare_workers

        prepare_workers()
    from PyQt6.QtCore import Qt
    from PyQt6.QtTest import QTest
    from PyQt6.QtWidgets import QApplication

    from terrain_viewer.gui.app import create_window, start_helper

    helper = None if args.no_helper else start_helper()  # as the real entry point does
    app = QApplication([sys.argv[0]])
    window = create_window([], helper)
    w, h = (int(v) for v in args.size.split("x"))
    window.canvas.setFixedSize(w, h)
    window.show()
    window.canvas.setFocus()
    painted(window.canvas, app)
    model = window.model
    model.time.set_date("1944-06-28")  # warm: the first frames build the background and the sprites
    painted(window.canvas, app)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    ends: dict[int, float] = {}  # the generation of a frame -> when its first paint ended
    canvas = window.canvas
    canvas.painted.connect(lambda: ends.setdefault(canvas.painted_gen, time.perf_counter()))
    out, seen, dates = [], [], []
    window.canvas.render_ahead = not args.no_ahead
    idle(app, args.idle)
    if args.play:
        played(window, app, ends, args)
    due = time.monotonic()
    for _ in range(args.steps):
        if args.pause:
            idle(app, args.pause)
        if args.every:
            idle(app, due - time.monotonic())
            due = max(due, time.monotonic() - args.every) + args.every
        t0 = time.perf_counter()
        if args.fpd:
            model.time.set_t(min(model.time.t + 1.0 / args.fpd, model.time.end))
        else:
            QTest.keyClick(window.canvas, Qt.Key.Key_Right)
        painted(window.canvas, app)
        seen.append((time.perf_counter() - t0) * 1000)
        out.append((ends[canvas.painted_gen] - t0) * 1000)
        dates.append(model.time.t)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    size = [canvas.width(), canvas.height()]
    print(json.dumps({"steps_ms": out, "seen_ms": seen, "t": dates, "canvas": size}))
    sys.stdout.flush()
    os._exit(0)


def played(window, app, ends: dict, args) -> None:
    """Play at ``args.play`` days a second and ``args.fpd`` frames a day (set in the bar's boxes,
    started by its ▶ button) for ``args.steps`` frames' time. Each frame the clock made due is
    timed from that moment (the play origin plus its place on the frame grid) until the end of
    the paint that showed it; frames due but never painted (skipped to keep the clock, or
    replaced before their paint) are counted. Prints one JSON line and leaves."""
    from PyQt6.QtCore import Qt
    from PyQt6.QtTest import QTest

    from terrain_viewer.gui.qt_time_slider import FRAMES_PER_DAY, SPEEDS

    bar, model, canvas = window.time_slider, window.model, window.canvas
    fpd = args.fpd or 12
    bar.speed_box.setCurrentIndex(SPEEDS.index(args.play))
    bar.fpd_box.setCurrentIndex(FRAMES_PER_DAY.index(fpd))
    changes: list[tuple[int, float]] = []  # (canvas generation, model time) at each frame set
    date_changed = canvas._date_changed  # noqa: SLF001 - the canvas's own handler of a date change

    def note() -> None:  # the generation the canvas gives the new date, once it has given it
        date_changed()
        changes.append((canvas._gen, float(model.time.t)))  # noqa: SLF001

    canvas._date_changed = note  # noqa: SLF001
    QTest.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    wall0, t0 = bar._play_origin  # noqa: SLF001 - the clock the player keeps (time.monotonic)
    offset = time.perf_counter() - time.monotonic()
    idle(app, args.steps / (args.play * fpd))
    QTest.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    painted(canvas, app)
    out, dates = [], []
    for gen, t in changes:
        if gen in ends:
            due = wall0 + (t - t0) / args.play + offset
            out.append((ends[gen] - due) * 1000)
            dates.append(t)
    asked = round((changes[-1][1] - t0) * fpd) if changes else 0
    print(json.dumps({"steps_ms": out, "t": dates, "frames_due": asked, "frames_painted": len(out),
                      "canvas": [canvas.width(), canvas.height()]}))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
