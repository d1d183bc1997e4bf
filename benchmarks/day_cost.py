"""Where a day step's time goes in the renderer (docs/performance.md, "Where the time goes").

A fresh renderer on the shipped data at 1920×1080: 28 June drawn first, then each later day new to
it, then the same days drawn again. Prints the median of each pass and, per renderer phase, what a
new day adds; with ``--profile``, then the cumulative cProfile table of 30 days new to a second
renderer (text sizes, kept per process, are known by then). Days on which
the legend or a dated layer changes are left out of the medians (they have their own rows in
``run.py``).

    python benchmarks/day_cost.py [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZE = (1920, 1080)


def special_days(paths) -> set[int]:
    """Days after the first on which the legend or a dated background layer changes (worked out
    from the data, on a model and renderer of their own: no cache of the timed ones is warmed)."""
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.render.items import background_change_days, visible_items
    from terrain_viewer.core.render.renderer import MapRenderer

    model = ViewerModel.open(paths)
    renderer = MapRenderer(model)
    renderer.render(t=model.time.start, size=SIZE, copy=False)
    start = int(model.time.start)
    out = {d - start for d in background_change_days(model)}
    items, view = visible_items(model), tuple(renderer._fig.axes[0].viewLim.extents)  # noqa: SLF001
    legends = [renderer._legends.entries(items, model.time.start + d, view, renderer._features_at)  # noqa: SLF001
               for d in range(0, int(model.time.end) - start + 1)]
    out |= {d for d in range(1, len(legends)) if legends[d] != legends[d - 1]}
    return out


def phases() -> dict[str, float]:
    """Time spent in the renderer's phases, summed per frame, by wrapping them."""
    from terrain_viewer.core.render import labels, legend_cache, renderer, sprites

    spent: dict[str, float] = {}
    for owner, name in [(renderer.MapRenderer, "_draw_top"), (renderer.MapRenderer, "_draw_labels"),
                        (renderer.MapRenderer, "_frame_furniture"), (renderer.MapRenderer, "_features_at"),
                        (renderer.MapRenderer, "_restore_background"), (labels.LabelPlanner, "plan"),
                        (labels.LabelPlanner, "_size"), (sprites.TextSprites, "_make"),
                        (legend_cache.LegendCache, "entries"), (sprites, "draw_cropped")]:
        original = getattr(owner, name)

        def timed(*args, _original=original, _name=name, **kwargs):
            t0 = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name] = spent.get(_name, 0.0) + time.perf_counter() - t0

        setattr(owner, name, functools.wraps(original)(timed))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of 30 new days")
    args = parser.parse_args()
    from terrain_viewer.core.data.builtin import builtin_paths
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.render.renderer import MapRenderer

    model = ViewerModel.open(builtin_paths())
    start = model.time.start
    spent = phases()
    renderer = MapRenderer(model)
    renderer.render(t=start + 5, size=SIZE, copy=False)
    special = special_days(builtin_paths())
    days = [d for d in range(7, 46) if d not in special]
    print(f"left out (legend or dated layer changes): days {sorted(d for d in special if 7 <= d < 46)}")
    passes = []
    for _ in ("new", "again"):
        totals, parts = [], []
        for day in days:
            spent.clear()
            t0 = time.perf_counter()
            renderer.render(t=start + day, size=SIZE, copy=False)
            totals.append((time.perf_counter() - t0) * 1e3)
            parts.append(dict(spent))
        passes.append((totals, parts))
    (new, new_parts), (again, again_parts) = passes
    print(f"a day new to the renderer: median {statistics.median(new):.1f} ms; "
          f"drawn again: {statistics.median(again):.1f} ms ({len(days)} days)")
    for name in sorted(new_parts[0], key=lambda k: -statistics.median(p.get(k, 0) for p in new_parts)):
        cold = statistics.median(p.get(name, 0) * 1e3 for p in new_parts)
        warm = statistics.median(p.get(name, 0) * 1e3 for p in again_parts)
        print(f"  {name:22s} new {cold:5.2f} ms  again {warm:5.2f} ms  adds {cold - warm:5.2f} ms")
    if args.profile:  # a second renderer: its texts' sizes are known already (module caches)
        renderer = MapRenderer(model)
        renderer.render(t=start + 5, size=SIZE, copy=False)
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.enable()
        for day in range(6, 36):
            renderer.render(t=start + day, size=SIZE, copy=False)
        profile.disable()
        print(f"profiled: {(time.perf_counter() - t0) / 30 * 1e3:.1f} ms a new day")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(r"terrain_viewer|matplotlib", 20)

if __name__ == "__main__":
    main()
