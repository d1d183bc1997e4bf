"""Label placement at scale (issue 19): a render of 10,000 and 100,000 named points over the
built-in Hengyang data, and the placement alone. Prints figures; asserts nothing about time.

    python benchmarks/labels.py [--runs 3] [--size 1920x1080]
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
    original = lab.place_labels

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            placing.append(time.perf_counter() - t0)

    import terrain_viewer.core.render.renderer as renderer_module  # the name the renderer calls

    renderer_module.place_labels = timed
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
        renderer_module.place_labels = original
    return {"render_s": statistics.median(totals), "placement_s": statistics.median(places),
            "labels_placed": placed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10_000, 100_000):
            got = measure(n, size, args.runs, Path(tmp))
            print(f"{n:>7} named points at {size[0]}x{size[1]}: cold render {got['render_s']:.2f} s, "
                  f"of which label placement {got['placement_s']:.2f} s; "
                  f"{got['labels_placed']} labels placed (median of {args.runs})")


if __name__ == "__main__":
    main()
