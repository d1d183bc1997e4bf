"""Before/after crops of the walled city on 11 July 1944 at 1080p (issue 16: labels clear of symbols).

    python docs/screenshots/make_label_crops.py [--before-src DIR]

``--before-src`` is a checkout of the code before the change (e.g. ``git archive ed9f561 terrain_viewer``
unpacked into DIR); without it only the after crop is written.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = """
import datetime as dt, sys
from PIL import Image
from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.core.temporal.timeline import day_number
model = ViewerModel.open(builtin_paths())
renderer = MapRenderer(model)
t = day_number(dt.date(1944, 7, 11)) + 0.5
rgba = renderer.render(t=t, size=(1920, 1080), dpi=100.0)
city = model.dataset.layer("city").gdf.geometry.iloc[0].centroid
px, py = renderer.map_to_pixel(city.x, city.y, model.view, (1920, 1080))
x0, y0 = int(max(px - 480, 0)), int(max(py - 300, 0))
Image.fromarray(rgba[y0:y0 + 600, x0:x0 + 960]).convert("RGB").save(sys.argv[1])
"""


def crop(out: Path, src: Path | None) -> None:
    env = None
    if src is not None:
        import os

        env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", SCRIPT, str(out)], check=True, env=env, cwd=src or HERE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-src", type=Path)
    args = parser.parse_args()
    if args.before_src:
        crop(HERE / "labels_city_1944-07-11_before.png", args.before_src)
    crop(HERE / "labels_city_1944-07-11_after.png", None)


if __name__ == "__main__":
    main()
