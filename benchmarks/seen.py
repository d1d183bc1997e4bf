"""Cases that time what a person sees (registered into ``run.py``'s table).

- ``window_*``: the real main window, offscreen, its map canvas 1920×1080: from the key press (a
  day) or the date change (a tween frame, 1/12 day) until the paint event that shows the new frame
  has ended (``benchmarks/step_probe.py``). *back to back*: the next step as soon as the last is
  painted (what a held key asks of the machine); *paced*: 150 ms between steps (a person pressing
  → about six times a second, or playing at 12 frames a day), which lets the window render the next
  step ahead of time. *held*: back to back after the window has been open and idle for 3 s (a
  person looks at the map before holding a key), time the window uses to draw the coming days into
  its caches (``gui/map_frames``); the plain back-to-back rows start stepping at the first paint.
  *repeat*: from the first paint, a step every 33 ms, as a held key's auto-repeat sends them (about
  30 a second by default on GNOME and Windows; X's own default is 25), late steps at once.
- ``window_play_*``: playback by the ▶ button at 1 and 2 days a second, 12 frames a day: from
  the moment the player's clock makes each frame due until the paint that shows it; the frames
  due and painted are given (a frame not painted was skipped to keep time).
- ``launch_entry_point``: the console script ``terrain-viewer`` with no arguments at its default
  window size, from spawn until the first map is painted (``TERRAIN_VIEWER_EXIT_AFTER_FIRST_PAINT``
  makes the app print the time of that paint, and of the frame drawn by this start, and quit then):
  the frame the last start kept for the same state when there is one (``core/render/launch_frame``),
  ``drawn_ms`` the frame drawn now; ``_cold`` with an empty cache folder (a first start: no kept
  frame, no symbols, no loaded dataset).
- ``export_cli_*``: ``terrain-viewer export ... --size 1080p --format mp4`` end to end, wall time
  over frames (process start, data load, title card and encoding included).
- ``dated_layer_day_1080p``: a renderer that has shown the day before renders a day on which a dated
  layer under the units changes (only that layer is redrawn over the cached relief).
- ``qgis_peer_step_1080p``: QGIS renders the same GeoPackage (its ``.qgz``, temporal filter, one
  day at a time) at the same size and extent; printed with the ratio to ``date_step_1080p``.
  Skipped with a note when no Python with QGIS is found.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SIZE = (1920, 1080)
KEY_REPEAT_S = 0.033  # a held key's auto-repeat: ~30 a second (GNOME's and Windows' default rate)


def _summary(times_ms: list[float], **extra) -> dict:
    ordered = sorted(times_ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median_ms": statistics.median(ordered), "p95_ms": p95, "n": len(ordered), **extra}


def _env(**extra) -> dict:
    return dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), **extra)


def _step_probe(steps: int, *flags: str) -> dict:
    """``step_probe.py`` run for ``steps`` steps with ``flags``: its JSON line."""
    cmd = [sys.executable, str(HERE / "step_probe.py"), "--steps", str(steps), *flags]
    result = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=900)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(result.stderr[-500:] or f"exit {result.returncode}")
    return json.loads(lines[-1])


def _probe(args, *flags: str) -> dict:
    data = _step_probe(max(20, args.repeat * 8), *flags)
    extra = {}
    if "--fpd" not in flags:  # whole days: the steps onto a day on which a dated layer changes
        changes = set(_dated_change_days())
        on = [ms for ms, t in zip(data["steps_ms"], data["t"], strict=True) if math.floor(t) in changes]
        extra = {"dated_layer_days_ms": round(statistics.median(on), 1)} if on else {}
    extra["slowest"] = _slowest(data)
    if "seen_ms" in data:  # the same steps ended when the probe's loop saw the paint (the measure
        #                    before 29 November): a fraction of a ms to 5 ms later
        extra["seen_median_ms"] = round(statistics.median(data["seen_ms"]), 1)
    return _summary(data["steps_ms"], canvas="x".join(map(str, data["canvas"])), **extra)


def _slowest(data: dict, most: int = 3) -> str:
    """The ``most`` slowest steps, slowest first, as "step (date) ms": with 40 steps the p95 is the
    third slowest, so this names what set it (a day's new legend, a dated layer, the first steps)."""
    from terrain_viewer.core.temporal.timeline import to_date

    steps = sorted(enumerate(zip(data["steps_ms"], data["t"], strict=True), 1), key=lambda s: -s[1][0])
    return "; ".join(f"{k} ({to_date(t):%d %b} {24 * (t % 1):02.0f}h) {ms:.1f}"
                     for k, (ms, t) in steps[:most])


def _dated_change_days() -> list[int]:
    """Days on which a dated layer under the units changes (the background is recomposed)."""
    from run import builtin_model

    from terrain_viewer.core.render.items import background_change_days

    return background_change_days(builtin_model())


def window_day(args) -> dict:
    return _probe(args)


def window_day_paced(args) -> dict:
    return {**_probe(args, "--pause", "0.15"), "pause_s": 0.15}


def window_day_repeat(args) -> dict:
    return {**_probe(args, "--every", str(KEY_REPEAT_S)), "every_s": KEY_REPEAT_S}


def window_tween_repeat(args) -> dict:
    return {**_probe(args, "--fpd", "12", "--every", str(KEY_REPEAT_S)), "frames_per_day": 12,
            "every_s": KEY_REPEAT_S}


def window_day_held(args) -> dict:
    return {**_probe(args, "--idle", "3"), "idle_s": 3.0}


def window_tween_held(args) -> dict:
    return {**_probe(args, "--fpd", "12", "--idle", "3"), "frames_per_day": 12, "idle_s": 3.0}


def window_day_one_process(args) -> dict:
    """Back to back with no second renderer process (``TERRAIN_VIEWER_HELPER=0``): its effect."""
    return {**_probe(args, "--no-helper"), "helper": False}


def window_tween(args) -> dict:
    return {**_probe(args, "--fpd", "12"), "frames_per_day": 12}


def _played(args, speed: float) -> dict:
    """Playback (the ▶ button) at ``speed`` days a second, 12 frames a day: from each frame's moment
    by the player's clock until its paint; frames due and painted (the rest skipped to keep time)."""
    data = _step_probe(max(36, args.repeat * 8), "--play", str(speed), "--fpd", "12")
    return _summary(data["steps_ms"], frames_due=data["frames_due"], frames_painted=data["frames_painted"],
                    days_per_s=speed, frames_per_day=12)


def window_play_1(args) -> dict:
    return _played(args, 1.0)


def window_play_2(args) -> dict:
    return _played(args, 2.0)


def window_tween_paced(args) -> dict:
    return {**_probe(args, "--fpd", "12", "--pause", "0.15"), "frames_per_day": 12, "pause_s": 0.15}


def _entry_point() -> list[str]:
    """The installed console script: the one beside this Python (a venv's ``bin/``) first, so a
    wrapper such as pyenv's shim (~60 ms of bash a start here) is not timed as ours."""
    beside = Path(sys.executable).with_name("terrain-viewer")
    script = str(beside) if beside.is_file() else shutil.which("terrain-viewer")
    return [script] if script else [sys.executable, "-c", "import sys; from terrain_viewer.cli import main; "
                                                           "sys.exit(main())"]


def _launch(args, cold: bool, repeat: int | None = None) -> dict:
    """The first map on screen (the last start's frame of the same state when one is kept, else the
    frame drawn now); ``drawn_ms``: the frame drawn now; ``kept_shown``: starts that showed one."""
    out, drawn, rss, kept = [], [], [], 0
    for _ in range(args.repeat if repeat is None else repeat):
        extra = {"TERRAIN_VIEWER_EXIT_AFTER_FIRST_PAINT": "1"}
        if cold:
            extra["TERRAIN_VIEWER_CACHE_DIR"] = tempfile.mkdtemp(prefix="tv-cold-")
        t0 = time.monotonic()
        result = subprocess.run(_entry_point(), env=_env(**extra), capture_output=True, text=True,
                                timeout=120)
        lines = [ln.split() for ln in result.stdout.splitlines() if ln.startswith("painted ")]
        if not lines or lines[-1][3:] != ["drawn"]:
            raise RuntimeError(result.stderr[-500:] or f"exit {result.returncode}")
        out.append((float(lines[0][1]) - t0) * 1000)
        drawn.append((float(lines[-1][1]) - t0) * 1000)
        rss.append(float(lines[-1][2]))
        kept += lines[0][3] == "kept"
    return _summary(out, child_peak_rss_mb=max(rss), drawn_ms=round(statistics.median(drawn), 1),
                    kept_shown=f"{kept} of {len(out)}", command=Path(_entry_point()[0]).name)


def launch_entry_point(args) -> dict:
    _launch(args, cold=False, repeat=1)  # a start like any after the first: the symbol cache is filled
    return _launch(args, cold=False)


def launch_entry_point_cold(args) -> dict:
    return _launch(args, cold=True)


def _export_cli(args, start: str | None, end: str | None, fpd: int) -> dict:
    """The default worker count (``auto``), as a person runs it; the row says what it chose."""
    rates, frames, workers = [], 0, 1
    for _ in range(max(2, args.repeat // 2)):
        out = Path(tempfile.mkdtemp(prefix="tv-export-")) / "battle.mp4"
        cmd = [*_entry_point(), "export", "--size", "1080p", "--format", "mp4", "--frames-per-day", str(fpd),
               "--out", str(out)]
        cmd += ["--from", start] if start else []
        cmd += ["--to", end] if end else []
        t0 = time.perf_counter()
        result = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=1800)
        elapsed = time.perf_counter() - t0
        wrote = [ln for ln in result.stdout.splitlines() if ln.startswith("wrote") and "frames" in ln]
        if result.returncode != 0 or not wrote:
            raise RuntimeError(result.stderr[-500:] or f"exit {result.returncode}")
        frames = int(wrote[0].split("(mp4, ")[1].split(" frames")[0])
        workers = int(wrote[0].split(" workers")[0].split()[-1]) if " workers)" in wrote[0] else 1
        rates.append(frames / elapsed)
        shutil.rmtree(out.parent, ignore_errors=True)
    return {"median_fps": statistics.median(rates), "n": len(rates), "workers": workers, "frames": frames}


def export_cli_80(args) -> dict:
    return _export_cli(args, "1944-07-01", "1944-07-20", 4)


def export_cli_battle(args) -> dict:
    return _export_cli(args, None, None, 4)


def dated_layer_day(args) -> dict:
    """Days on which a dated layer under the units changes, each after the day before."""
    from run import builtin_model

    from terrain_viewer.core.render.renderer import MapRenderer

    model = builtin_model()
    days = _dated_change_days()
    totals, backgrounds = [], []
    for _ in range(max(1, args.repeat // 2)):
        renderer = MapRenderer(model)
        for d in days:
            renderer.render(t=d - 0.5, size=SIZE)
            t0 = time.perf_counter()
            renderer.render(t=d + 0.5, size=SIZE)
            totals.append((time.perf_counter() - t0) * 1000)
            backgrounds.append(renderer.last_timings["background_ms"])
    return _summary(totals, background_ms=statistics.median(backgrounds), days=len(days))


def _qgis_python() -> str | None:
    for python in (os.environ.get("TERRAIN_VIEWER_QGIS_PYTHON"), "/usr/bin/python3", sys.executable):
        if python and Path(python).exists():
            probe = subprocess.run([python, "-c", "import qgis.core"], capture_output=True, timeout=60)
            if probe.returncode == 0:
                return python
    return None


def qgis_peer(args) -> dict:
    python = _qgis_python()
    if python is None:
        print("qgis_peer_step_1080p: skipped, no Python with QGIS (apt-get install python3-qgis, or "
              "TERRAIN_VIEWER_QGIS_PYTHON)", file=sys.stderr)
        return {"skipped": "no Python with QGIS"}
    from run import builtin_model

    from terrain_viewer.core.render.renderer import MapRenderer
    from terrain_viewer.core.render.view import fit_view
    from terrain_viewer.core.temporal.timeline import to_date

    model = builtin_model()
    view = fit_view(model.view, SIZE)
    days = max(10, args.repeat * 4)
    first = to_date(model.time.start + 5)
    cmd = [python, str(HERE / "qgis_peer.py"), str(REPO / "geodata" / "hengyang_1944.qgz"), *map(str, SIZE),
           *map(str, view), first.isoformat(), str(days)]
    result = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=900)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(result.stderr[-500:] or f"exit {result.returncode}")
    qgis = json.loads(lines[-1])["steps_ms"]
    renderer = MapRenderer(model)
    renderer.render(t=model.time.start + 5, size=SIZE, view=view)
    ours = []
    for d in range(1, days + 1):
        t0 = time.perf_counter()
        renderer.render(t=model.time.start + 5 + d, size=SIZE, view=view)
        ours.append((time.perf_counter() - t0) * 1000)
    ratio = statistics.median(qgis) / statistics.median(ours)
    print(f"QGIS {statistics.median(qgis):.1f} ms / terrain_viewer {statistics.median(ours):.1f} ms "
          f"per day at 1920x1080: ratio {ratio:.2f}", file=sys.stderr)
    return _summary(qgis, terrain_viewer_ms=statistics.median(ours), qgis_over_viewer=ratio)


CASES = {
    "window_day_step_1080p": window_day,
    "window_day_step_1080p_paced": window_day_paced,
    "window_day_step_1080p_held": window_day_held,
    "window_day_step_1080p_repeat": window_day_repeat,
    "window_day_step_1080p_one_process": window_day_one_process,
    "window_tween_12_1080p": window_tween,
    "window_tween_12_1080p_paced": window_tween_paced,
    "window_tween_12_1080p_held": window_tween_held,
    "window_tween_12_1080p_repeat": window_tween_repeat,
    "window_play_1dps_12_1080p": window_play_1,
    "window_play_2dps_12_1080p": window_play_2,
    "dated_layer_day_1080p": dated_layer_day,
    "launch_entry_point": launch_entry_point,
    "launch_entry_point_cold": launch_entry_point_cold,
    "export_cli_1080p_mp4_80_frames": export_cli_80,
    "export_cli_1080p_mp4_battle": export_cli_battle,
    "qgis_peer_step_1080p": qgis_peer,
}
