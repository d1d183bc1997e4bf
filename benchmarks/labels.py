"""Label placement at scale (issue 19): a render of 10,000 and 100,000 named points over the
built-in Hengyang data, and the placement alone; and (issue 16) label collisions per frame at the
default view on 23 June, 11 July and 6 August: labels more than 30% covered by a unit or event
symbol (or a moving line symbol), pairs of overlapping labels, and the smallest text height; and
(issue 17) the label plan's time per frame over 40 day steps and 48 tween steps (1/12 day), split
into frames that measure new texts (the day's new events) and frames that only place.
Prints figures; asserts nothing about time.

    python benchmarks/labels.py [--runs 3] [--size 1920x1080] [--collisions-only] [--plan-only]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render import labels as lab
from terrain_viewer.core.render.renderer import MapRenderer


def named_points(path: Path, n: int, seed: int = 3) -> Path:
    """``n`` named points spread over the Hengyang extent."""
    rng = np.random.default_rng(seed)
    xs, ys = rng.uniform(112.55, 112.66, n), rng.uniform(26.86, 26.93, n)
    gpd.GeoDataFrame({"name_en": [f"Point {i}" for i in range(n)]}, geometry=shapely.points(xs, ys),
                     crs=4326).to_file(path, layer="crowd", engine="pyogrio")
    return path


def measure(n: int, size: tuple[int, int], runs: int, folder: Path) -> dict[str, float]:
    model = ViewerModel.open(builtin_paths())
    model.add_files([named_points(folder / f"crowd_{n}.gpkg", n)])
    placing: list[float] = []
    original = lab.LabelPlanner.plan  # the one plan of every label of a frame

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            placing.append(time.perf_counter() - t0)

    lab.LabelPlanner.plan = timed
    totals, places, placed = [], [], 0
    try:
        for _ in range(runs):
            renderer = MapRenderer(model)  # cold: nothing cached
            placing.clear()
            t0 = time.perf_counter()
            renderer.render(t=model.time.start + 18, size=size)
            totals.append(time.perf_counter() - t0)
            places.append(sum(placing))
            placed = len(renderer.last_label_boxes)
    finally:
        lab.LabelPlanner.plan = original
    return {"render_s": statistics.median(totals), "placement_s": statistics.median(places),
            "labels_placed": placed}


def covered(box: tuple, symbols: list[tuple]) -> float:
    """The fraction of ``box`` covered by the union of ``symbols`` (rasterised per pixel)."""
    x0, y0 = int(np.floor(box[0])), int(np.floor(box[1]))
    x1, y1 = int(np.ceil(box[2])), int(np.ceil(box[3]))
    mask = np.zeros((max(y1 - y0, 1), max(x1 - x0, 1)), bool)
    for a0, b0, a1, b1 in symbols:
        c0, c1 = max(int(a0) - x0, 0), min(int(np.ceil(a1)) - x0, mask.shape[1])
        r0, r1 = max(int(b0) - y0, 0), min(int(np.ceil(b1)) - y0, mask.shape[0])
        if c0 < c1 and r0 < r1:
            mask[r0:r1, c0:c1] = True
    return float(mask.mean())


def collisions(renderer: MapRenderer) -> dict[str, float]:
    """Labels of the last frame covered > 30% by a symbol, overlapping label pairs, least height."""
    labels = renderer.last_labels
    symbols = renderer.last_symbol_boxes
    hidden = sum(covered(p.box, symbols) > 0.3 for p in labels)
    ext = np.array([p.box for p in labels]) if labels else np.zeros((0, 4))
    x0, y0, x1, y1 = (ext[:, i] for i in range(4))
    hit = ((x0[:, None] < x1[None]) & (x0[None] < x1[:, None]) & (y0[:, None] < y1[None])
           & (y0[None] < y1[:, None]))
    np.fill_diagonal(hit, False)
    return {"labels": len(labels), "covered": hidden, "overlapping": int(hit.sum() // 2),
            "least_px": min((p.text_height for p in labels), default=0.0)}


def measure_collisions(size: tuple[int, int]) -> None:
    import datetime as dt

    from terrain_viewer.core.temporal.timeline import day_number

    model = ViewerModel.open(builtin_paths())
    renderer = MapRenderer(model)
    for day in ("1944-06-23", "1944-07-11", "1944-08-06"):
        t = day_number(dt.date.fromisoformat(day)) + 0.5
        renderer.render(t=t, size=size, dpi=100.0 * size[1] / 1080)
        got = collisions(renderer)
        print(f"{day} at {size[0]}x{size[1]}: {got['labels']} labels placed, {got['covered']} covered > 30% "
              f"by a symbol, {got['overlapping']} overlapping pairs, "
              f"least text height {got['least_px']:.1f} px")


def measure_plan(size: tuple[int, int]) -> None:
    """Median milliseconds of ``LabelPlanner.plan`` per frame on day and tween steps (built-in data)."""
    model = ViewerModel.open(builtin_paths())
    renderer = MapRenderer(model)
    planner = renderer.planner
    plan, size_of = planner.plan, planner._size
    frame: dict[str, float] = {}

    def timed(*args, **kwargs):
        frame.update(ms=0.0, new=0)
        t0 = time.perf_counter()
        try:
            return plan(*args, **kwargs)
        finally:
            frame["ms"] = (time.perf_counter() - t0) * 1000

    def measured(*args, **kwargs):  # a text measured: not in the planner's cache
        frame["new"] += 1
        return size_of(*args, **kwargs)

    planner.plan, planner._size = timed, measured
    t0 = model.time.start + 5
    renderer.render(t=t0, size=size, copy=False)
    for name, times in (("day steps", [t0 + d for d in range(1, 41)]),
                        ("tween steps", [t0 + 20 + k / 12 for k in range(1, 49)])):
        rows = []
        for t in times:
            renderer.render(t=t, size=size, copy=False)
            rows.append((frame["ms"], frame["new"]))
        placing = [ms for ms, new in rows if not new]
        measuring = [ms for ms, new in rows if new]
        median = statistics.median(ms for ms, _ in rows)
        print(f"label plan, {name} at {size[0]}x{size[1]}: median {median:.2f} ms "
              f"({len(rows)} frames); placing only {_median(placing)} ({len(placing)} frames), "
              f"with new texts measured {_median(measuring)} ({len(measuring)} frames, "
              f"{sum(new for _, new in rows) / max(len(measuring), 1):.1f} measurements each)")


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ms" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--collisions-only", action="store_true")
    parser.add_argument("--plan-only", action="store_true")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    measure_plan(size)
    if args.plan_only:
        return
    measure_collisions(size)
    if args.collisions_only:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10_000, 100_000):
            got = measure(n, size, args.runs, Path(tmp))
            print(f"{n:>7} named points at {size[0]}x{size[1]}: cold render {got['render_s']:.2f} s, "
                  f"of which label placement {got['placement_s']:.2f} s; "
                  f"{got['labels_placed']} labels placed (median of {args.runs})")


if __name__ == "__main__":
    main()
