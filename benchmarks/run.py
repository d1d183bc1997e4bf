"""Benchmarks: ``python benchmarks/run.py [--only NAME ...] [--markdown FILE]`` prints a table of medians.

Each case runs in its own Python process, so its peak memory (RSS) is its own and start-up
costs are real. The table starts with the machine (cores, CPU, RAM), the load average and the
speed gauge (``machine.gauge``) before and after the run; each row gives the 1-minute load before
and after it and the gauge's Python workload just before it (a slow spell of a shared host shows
there, not in the load); a row run on a busy machine (1-minute load above half the cores) is
marked *busy*. Nothing here asserts a time: the
figures go into docs/performance.md. What a person sees (window steps, launch through the real
entry point, the CLI export, QGIS as a peer) is in ``seen.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import machine  # noqa: E402 - benchmarks/ on the path first
import peers  # noqa: E402
import seen  # noqa: E402

CASES: dict[str, Callable[[argparse.Namespace], dict]] = {}


def case(name: str):
    def register(func):
        CASES[name] = func
        return func
    return register


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    """Wall times in milliseconds of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def summary(times_ms: list[float], **extra) -> dict:
    ordered = sorted(times_ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median_ms": statistics.median(ordered), "p95_ms": p95, "n": len(ordered), **extra}


def builtin_model():
    """The shipped data, opened; then every object alive frozen (``gc.freeze``) as the window
    (``gui.app.create_window``) and the console commands (``cli.common.loading``) do once their
    data is loaded: without it, a full collection of the loaded data (≈ 65 ms) fell inside one of
    a case's few timed renders now and then (``dated_layer_day_1080p``'s p95 68–86 ms, median 33)."""
    import gc

    from terrain_viewer.core.data.builtin import builtin_paths
    from terrain_viewer.core.model import ViewerModel

    model = ViewerModel.open(builtin_paths())
    gc.freeze()
    return model


def tmpdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="tv-bench-"))


# --- loading -----------------------------------------------------------------------------
@case("load_builtin")
def load_builtin(args) -> dict:
    """Reading and preparing the built-in GeoPackage (the dataset cache off: a first start)."""
    os.environ["TERRAIN_VIEWER_CACHE_DIR"] = "off"
    return _load_builtin(args)


@case("load_builtin_cached")
def load_builtin_cached(args) -> dict:
    """The same from the dataset cache (``load_cache``: every start after the first)."""
    os.environ["TERRAIN_VIEWER_CACHE_DIR"] = str(tmpdir())
    return _load_builtin(args)


def _load_builtin(args) -> dict:
    from terrain_viewer.core.common.caches import cache_root
    from terrain_viewer.core.data.builtin import builtin_paths
    from terrain_viewer.core.data.layers import open_dataset

    cache_root.cache_clear()
    paths = builtin_paths()
    open_dataset(paths)  # the cache filled (or, off, the readers warmed)
    return summary(timed(lambda: open_dataset(paths), args.repeat))


def _load_units(units: int, days: int, args) -> dict:
    """Load ``units`` × ``days`` keyframes (the file written beforehand by a child process), then
    time ``features_at`` of a tween frame. Each load starts with the last one freed, so the peak
    memory is that of one load; ``load_peak_rss_mb`` is the peak after the first. The file is read
    each time (the dataset cache off: this row is reading)."""
    import synthetic

    from terrain_viewer.core.data.layers import open_dataset

    os.environ["TERRAIN_VIEWER_CACHE_DIR"] = "off"

    path = synthetic.cached_units(units, days)
    load, ds, first_peak = [], None, 0.0
    for _ in range(max(1, args.repeat // 3)):
        ds = None
        t0 = time.perf_counter()
        ds = open_dataset([path])
        load.append((time.perf_counter() - t0) * 1000)
        if not ds.layers:  # refused (too many rows): say so, with the time it took to say it
            return {"skipped": f"{ds.problems[0]} ({load[-1]:.0f} ms)"}
        if len(load) == 1:
            first_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    layer = ds.layer("units")
    t0 = ds.time_extent[0]
    query = timed(lambda: layer.features_at(t0 + days / 2 + 0.37), args.repeat * 5)
    return summary(query, load_ms=statistics.median(load), load_peak_rss_mb=first_peak, rows=units * days)


# point keyframes may have up to readers.MAX_KEYFRAME_POINTS (5,000,000) rows
UNIT_DAYS = {100: 365, 1000: 180, 10000: 20}
for _units, _days in UNIT_DAYS.items():
    CASES[f"units_{_units}x{_days}_query"] = (
        lambda u, d: lambda args: _load_units(u, d, args))(_units, _days)
CASES["units_1000x30_query"] = lambda args: _load_units(1000, 30, args)
CASES["units_10000x365_load"] = lambda args: _load_units(10000, 365, args)  # 3.65 million rows


# --- rendering ---------------------------------------------------------------------------
def _step_times(model, renderer, size, steps: int, fraction: float = 1.0) -> list[float]:
    start = model.time.start
    renderer.render(t=start, size=size)  # warm the background cache
    out = []
    for i in range(1, steps + 1):
        t = start + (i * fraction) % (model.time.end - start)
        t0 = time.perf_counter()
        renderer.render(t=t, size=size)
        out.append((time.perf_counter() - t0) * 1000)
    return out


@case("date_step_1080p")
def date_step(args) -> dict:
    from terrain_viewer.core.render.renderer import MapRenderer

    model = builtin_model()
    renderer = MapRenderer(model)
    return summary(_step_times(model, renderer, (1920, 1080), args.repeat * 10))


@case("date_step_1080p_smooth")
def date_step_smooth(args) -> dict:
    """Playing at 8 frames per day: units glide between keyframes."""
    from terrain_viewer.core.render.renderer import MapRenderer

    model = builtin_model()
    renderer = MapRenderer(model)
    return summary(_step_times(model, renderer, (1920, 1080), args.repeat * 10, fraction=0.125))


def _view_change(kind: str, args) -> dict:
    from terrain_viewer.core.render.renderer import MapRenderer

    model = builtin_model()
    renderer = MapRenderer(model)
    x0, y0, x1, y1 = model.view
    renderer.render(size=(1920, 1080), view=model.view)
    out = []
    for i in range(args.repeat * 3):
        if kind == "pan":
            dx = (x1 - x0) * 0.05 * (i + 1)
            view = (x0 + dx, y0, x1 + dx, y1)
        else:
            f = 0.9 ** (i + 1)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            view = (cx - (cx - x0) * f, cy - (cy - y0) * f, cx + (x1 - cx) * f, cy + (y1 - cy) * f)
        t0 = time.perf_counter()
        renderer.render(size=(1920, 1080), view=view)
        out.append((time.perf_counter() - t0) * 1000)
    return summary(out)


CASES["pan_1080p"] = lambda args: _view_change("pan", args)
CASES["zoom_1080p"] = lambda args: _view_change("zoom", args)


def _static_vertices(vertices: int, args) -> dict:
    """A date step over a map whose static layer has ``vertices`` vertices (cached background)."""
    import synthetic

    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.render.renderer import MapRenderer

    folder = tmpdir()
    static = synthetic.static_lines(folder / "static.gpkg", vertices)
    units = synthetic.moving_units(folder / "units.gpkg", 100, 365)
    model = ViewerModel.open([static, units])
    renderer = MapRenderer(model)
    first = timed(lambda: renderer.render(t=model.time.start, size=(1920, 1080)), 1)
    steps = _step_times(model, renderer, (1920, 1080), args.repeat * 5)
    return summary(steps, first_render_ms=first[0], vertices=vertices)


for _v in (10_000, 100_000, 1_000_000):
    CASES[f"static_{_v}_vertices_step"] = (lambda v: lambda args: _static_vertices(v, args))(_v)


def _units_step(units: int, days: int, args) -> dict:
    """A date step with ``units`` moving units over ``days`` days."""
    import synthetic

    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.render.renderer import MapRenderer

    model = ViewerModel.open([synthetic.cached_units(units, days)])
    renderer = MapRenderer(model)
    return summary(_step_times(model, renderer, (1920, 1080), args.repeat * 3), units=units)


for _u, _d in UNIT_DAYS.items():
    CASES[f"units_{_u}x{_d}_step"] = (lambda u, d: lambda args: _units_step(u, d, args))(_u, _d)


@case("date_step_1080p_tween12")
def date_step_tween(args) -> dict:
    """Playing at 12 frames per day (the renderer alone)."""
    from terrain_viewer.core.render.renderer import MapRenderer

    model = builtin_model()
    renderer = MapRenderer(model)
    return summary(_step_times(model, renderer, (1920, 1080), args.repeat * 10, fraction=1 / 12))


# --- export (in process) -----------------------------------------------------------------
def _export_rate(workers: int, fmt: str, args) -> dict:
    """Frames per second of a 1080p export of 20 days at 4 frames a day (80 frames), start-up
    of the worker processes included."""
    from terrain_viewer.core.export.run import ExportSettings, run_export

    rates = []
    for _ in range(max(2, args.repeat // 2)):
        out = tmpdir() / ("frames" if fmt == "png" else f"battle.{fmt}")
        settings = ExportSettings(start="1944-07-01", end="1944-07-20", frames_per_day=4,
                                  size="1080p", workers=workers)
        model = builtin_model()
        t0 = time.perf_counter()
        result = run_export(model, settings, out)
        elapsed = time.perf_counter() - t0
        rates.append(result.frames / elapsed)
    return {"median_fps": statistics.median(rates), "n": len(rates), "workers": workers,
            "frames": result.frames}


for _fmt in ("png", "mp4"):
    for _w in (1, 2):
        CASES[f"export_1080p_{_fmt}_{_w}_worker{'s' if _w > 1 else ''}"] = (
            lambda w, f: lambda args: _export_rate(w, f, args))(_w, _fmt)


CASES.update(seen.CASES)
CASES.update(peers.CASES)
NOTES = {"median_ms", "p95_ms", "median_fps", "n", "peak_rss_mb", "child_peak_rss_mb", "load_before",
         "load_after", "gauge_python_ms"}


# --- driver ------------------------------------------------------------------------------
def run_one(name: str, args) -> None:
    result = CASES[name](args)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_all(names: list[str], args) -> list[tuple[str, dict]]:
    rows = []
    for name in names:
        cmd = [sys.executable, __file__, "--one", name, "--repeat", str(args.repeat)]
        speed = machine.python_gauge()
        before = machine.load()[0]
        result = subprocess.run(cmd, capture_output=True, text=True)
        after = machine.load()[0]
        if result.returncode != 0:
            row = {"error": (result.stderr.strip().splitlines() or ["?"])[-1]}
        else:
            row = json.loads(result.stdout.strip().splitlines()[-1])
            for line in result.stderr.splitlines():
                if line.startswith(("QGIS ", "qgis_peer")):
                    print(line, flush=True)
        row.update(load_before=before, load_after=after, gauge_python_ms=speed)
        rows.append((name, row))
        print(format_row(name, row), flush=True)
    return rows


def _load_note(r: dict) -> str:
    """The 1-minute load before → after a row; *busy* when others were using the CPU (the previous
    case of this run alone leaves up to ≈1.0 in the 1-minute average, so a row allows that much)."""
    busy = " busy" if r["load_before"] > machine.BUSY * (os.cpu_count() or 1) + 1.0 else ""
    speed = f", gauge {r['gauge_python_ms']:.1f} ms" if "gauge_python_ms" in r else ""
    return f"load {r['load_before']:.2f}→{r['load_after']:.2f}{busy}{speed}"


def format_row(name: str, r: dict) -> str:
    if "error" in r:
        return f"{name:<32} ERROR {r['error']}"
    if "skipped" in r:
        return f"{name:<32} skipped: {r['skipped']}"
    if "median_fps" in r:
        main = f"{r['median_fps']:8.1f} fps (median)"
    else:
        main = f"{r['median_ms']:8.1f} ms median {r['p95_ms']:8.1f} ms p95"
    extras = " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in r.items() if k not in NOTES)
    rss = r.get("child_peak_rss_mb", r["peak_rss_mb"])
    return f"{name:<32} {main}  rss {rss:7.0f} MB  n={r['n']} {_load_note(r)} {extras}"


def markdown(rows: list[tuple[str, dict]]) -> str:
    """The results as a Markdown table (for docs/performance.md)."""
    lines = ["| case | median | p95 | peak RSS | n | load before→after | notes |",
             "|---|---:|---:|---:|---:|---|---|"]
    for name, r in rows:
        if "error" in r or "skipped" in r:
            lines.append(f"| {name} | {'error' if 'error' in r else 'skipped'} | | | | {_load_note(r)} | "
                         f"{r.get('error') or r.get('skipped')} |")
            continue
        if "median_fps" in r:
            median, p95 = f"{r['median_fps']:.1f} fps", ""
        else:
            median, p95 = f"{r['median_ms']:.1f} ms", f"{r['p95_ms']:.1f} ms"
        rss = r.get("child_peak_rss_mb", r["peak_rss_mb"])
        notes = ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()
                          if k not in NOTES)
        lines.append(f"| {name} | {median} | {p95} | {rss:.0f} MB | {r['n']} | {_load_note(r)} | {notes} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="*", help="case names (prefixes) to run")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--markdown", help="also write the table as Markdown to this file")
    args = parser.parse_args()
    if args.one:
        return run_one(args.one, args)
    names = [n for n in CASES if not args.only or any(n.startswith(p) for p in args.only)]
    if args.list:
        print("\n".join(names))
        return None
    info, before = machine.describe(), machine.load()
    first = machine.gauge_text(machine.gauge())
    print(f"# {machine.header(info, before)}; {first}", flush=True)
    rows = run_all(names, args)
    after = machine.load()
    last = machine.gauge_text(machine.gauge())
    print(f"# {machine.header(info, before, after)}; {first} before, {last.split(': ', 1)[1]} after")
    if args.markdown:
        text = (f"Machine: {machine.header(info, before, after)}; {first} before, "
                f"{last.split(': ', 1)[1]} after\n\n{markdown(rows)}\n")
        Path(args.markdown).write_text(text, encoding="utf-8")
    return None


if __name__ == "__main__":
    main()
