"""The swipe screenshot for docs/comparing.md: the real window over Hengyang, 1944 left of the
divider and a basemap right of it, saved as ``swipe.png`` beside this script.

    python docs/screenshots/make_swipe.py                      # an offline stand-in basemap (below)
    python docs/screenshots/make_swipe.py OpenStreetMap.Mapnik  # a tile service, when online

Offline, the basemap is an MBTiles file made here with GDAL from the shipped DEM (tinted relief):
the same commands turn any georeferenced raster you have into an offline basemap.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PyQt6.QtWidgets import QApplication  # noqa: E402

from terrain_viewer.core.data.tiles import source_for  # noqa: E402
from terrain_viewer.gui.app import create_window  # noqa: E402

HERE = Path(__file__).resolve().parent
RAMP = "50 214 228 196\n58 226 232 200\n70 236 228 190\n100 222 206 160\n150 196 170 130\n227 170 150 120\n"


def stand_in_mbtiles(folder: Path) -> Path:
    """Tinted, hill-shaded relief of the shipped DEM as web mercator MBTiles (zooms 12-14)."""
    dem, ramp = folder / "dem3857.tif", folder / "ramp.txt"
    ramp.write_text(RAMP)
    run = lambda *args: subprocess.run(args, check=True)  # noqa: E731
    run("gdalwarp", "-q", "-t_srs", "EPSG:3857", "-r", "bilinear", "-tr", "8", "8",
        str(ROOT / "geodata" / "hengyang_dem.tif"), str(dem))
    run("gdaldem", "hillshade", "-q", "-z", "4", "-igor", str(dem), str(folder / "hs.tif"))
    run("gdaldem", "color-relief", "-q", str(dem), str(ramp), str(folder / "tint.tif"))
    run("gdal_calc.py", "--quiet", "-A", str(folder / "tint.tif"), "--allBands=A",
        "-B", str(folder / "hs.tif"), "--calc=A*(0.45+0.55*B/255.0)", "--type=Byte",
        f"--outfile={folder / 'relief.tif'}")
    out = folder / "hengyang_relief.mbtiles"
    run("gdal_translate", "-q", "-of", "MBTILES", "-co", "TILE_FORMAT=PNG", str(folder / "relief.tif"),
        str(out))
    run("gdaladdo", "-q", "-r", "average", str(out), "2", "4")
    with sqlite3.connect(out) as db:
        db.execute("INSERT INTO metadata VALUES ('attribution', 'relief tinted from the reconstructed DEM "
                   "(offline stand-in for a modern map)')")
    return out


def main(provider: str | None = None) -> Path:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        spec = {"provider": provider} if provider else {"mbtiles": str(stand_in_mbtiles(Path(tmp)))}
        window = create_window()
        window.resize(1600, 1000)
        window.show()
        window.model.time.set_date("1944-07-11")
        window.canvas.zoom_to_layer("city")
        x0, y0, x1, y1 = window.model.view
        pad = (x1 - x0) * 1.2
        window.model.set_view((x0 - pad, y0 - pad, x1 + pad, y1 + pad))
        window.model.set_basemap({**spec, "opacity": 1.0})
        source_for(window.model.basemap)  # a bad provider name fails here, with its one line
        window.canvas.renderer.wait_for_tiles = 30.0  # a screenshot waits for its tiles
        window.swipe_action.trigger()
        window.model.set_swipe(position=0.5)
        app.processEvents()
        path = HERE / "swipe.png"
        tmp_png = path.with_name(f".{path.name}.tmp.png")
        if not window.grab().save(str(tmp_png)):
            raise OSError(f"{path}: could not write the screenshot")
        os.replace(tmp_png, path)
        window.close()
    print(path)
    return path


if __name__ == "__main__":
    main(*sys.argv[1:2])
