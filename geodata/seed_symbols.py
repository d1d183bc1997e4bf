"""Draw the unit symbols of the built-in data into ``resources/symbols`` (shipped with the app).

``python -m geodata.seed_symbols`` renders every day of the built-in session (at 00:00 and 12:00)
in the frames the app draws by default: the window (100 dpi, and 200 on a high-DPI screen) and
the 720p, 1080p and 4K exports. Every symbol those frames ask for is kept under the file name the
symbol cache looks for (``core/render/symbol_cache``), and ``manifest.json`` lists each file's
arguments and the versions they were drawn with. Run it again after changing ``symbols.py``,
upgrading milsymbol or resvg, or rebuilding the data's units (a test says when it is due).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "symbols"
# (width, height, dpi): the window's canvas at 100 and 200 dpi, the 720p, 1080p and 4K exports
FRAMES = [(1280, 720, 100.0 * 720 / 1080), (1456, 820, 100.0), (1920, 1080, 100.0), (2912, 1640, 200.0),
          (3840, 2160, 200.0)]


def used_symbols() -> set[tuple]:
    """The arguments of every unit symbol the built-in session's default frames draw."""
    from terrain_viewer.core.data.builtin import builtin_paths
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.render import units
    from terrain_viewer.core.render.renderer import MapRenderer

    asked: set[tuple] = set()
    drawn = units.cached_symbol

    def record(*args):
        asked.add(args)
        return drawn(*args)

    units.cached_symbol = record
    try:
        model = ViewerModel.open(builtin_paths())
        renderer = MapRenderer(model)
        days = range(int(model.time.start), int(model.time.end) + 1)
        for width, height, dpi in FRAMES:
            for t in (day + half for day in days for half in (0.0, 0.5)):
                renderer.render(t=t, size=(width, height), dpi=dpi)
    finally:
        units.cached_symbol = drawn
    return asked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"the folder to write (default {OUT})")
    out = parser.parse_args(argv).out
    from terrain_viewer.core.render.symbol_cache import file_name, write
    from terrain_viewer.core.render.symbols import unit_symbol

    args = sorted(used_symbols())
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    files = {}
    for arg in args:
        name = file_name(*arg)
        write(unit_symbol(*arg), out / name)
        files[name] = list(arg)
    manifest = {"milsymbol": version("milsymbol"), "resvg-py": version("resvg-py"), "symbols": files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(files)} symbols to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
