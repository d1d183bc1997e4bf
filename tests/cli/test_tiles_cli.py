"""``terrain-viewer tiles``: a small area saved from a local tile server becomes an offline basemap the
renderer draws; 429 stops with one line and no output; the cap refuses before any download; resume,
--overwrite, TERRAIN_VIEWER_OFFLINE, OpenStreetMap's limits and Ctrl-C behave as the help says."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from terrain_viewer.cli import main
from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.data.tiles import MBTilesSource
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.renderer import BASEMAP, MapRenderer

REPO = Path(__file__).resolve().parents[2]
BBOX = "112.58,26.87,112.64,26.91"
SIZE = (480, 360)


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(["tiles", *args])
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def tiles_in(path: Path) -> set[tuple[int, int, int]]:
    with sqlite3.connect(path) as db:
        return set(db.execute("SELECT zoom_level, tile_column, tile_row FROM tiles"))


def test_a_saved_area_is_an_offline_basemap_the_render_draws(tile_server, tmp_path: Path, capsys,
                                                             target_lonlat):
    out = tmp_path / "hengyang.mbtiles"
    code, stdout, err = run(capsys, "--url", tile_server.url, "--attribution", "Local tiles", "--bbox", BBOX,
                            "--zoom", "10-12", "--rate", "10", "--out", str(out))
    assert code == 0, err
    n = len(tile_server.requests)
    assert f"wrote {out}: {n} tiles fetched" in stdout
    assert "tiles © Local tiles" in err and "usage policy:" in err
    assert f"{n} tiles at zoom 10-12, about" in err
    assert f"tile {n} of {n}" in err and " MB" in err
    source = MBTilesSource(out)
    assert (source.min_zoom, source.max_zoom, source.attribution) == (10, 12, "Local tiles")
    tile_server.stop()  # offline from here on

    model = ViewerModel.open(builtin_paths())
    model.set_basemap({"mbtiles": str(out), "opacity": 1.0})
    model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False)
    to_map = Transformer.from_crs(4326, model.dataset.map_crs, always_xy=True)
    model.set_view(to_map.transform_bounds(112.595, 26.88, 112.625, 26.90))
    renderer = MapRenderer(model)
    rgba = renderer.render(size=SIZE, layers={BASEMAP})
    px, py = renderer.map_to_pixel(*to_map.transform(*target_lonlat), model.view, SIZE)
    colour = rgba[..., :3].astype(int)
    assert np.abs(colour[int(py), int(px)] - (230, 20, 20)).max() < 40  # the tiles' red spot, in place
    grey = (np.abs(colour - (200, 200, 205)).max(axis=2) < 30).mean()
    assert grey > 0.5  # the rest of the map area is the tiles' grey


def test_a_server_saying_429_stops_with_one_line_and_no_output(tile_server, tmp_path: Path, capsys,
                                                               monkeypatch):
    base = tile_server.httpd.RequestHandlerClass

    class Refusing(base):
        def do_GET(self) -> None:  # noqa: N802 (http.server name)
            if len(tile_server.requests) >= 2:
                tile_server.requests.append(self.path)
                self.send_error(429)
                return
            super().do_GET()

    monkeypatch.setattr(tile_server.httpd, "RequestHandlerClass", Refusing)
    out = tmp_path / "area.mbtiles"
    code, stdout, err = run(capsys, "--url", tile_server.url, "--bbox", BBOX, "--zoom", "10-12",
                            "--rate", "10", "--quiet", "--out", str(out))
    assert code == 3 and stdout == ""
    last = err.splitlines()[-1]
    assert err.count("HTTP 429") == 1 and "HTTP 429" in last and "stopped, nothing written" in last
    assert "tile " not in err.replace("tiles", "").replace("at tile", "")  # --quiet: no progress lines
    assert len(tile_server.requests) == 3 and list(tmp_path.iterdir()) == []


def test_the_tile_cap_refuses_before_any_download(tile_server, tmp_path: Path, capsys):
    out = tmp_path / "big.mbtiles"
    code, _, err = run(capsys, "--url", tile_server.url, "--bbox", "112.0,26.5,113.0,27.5", "--zoom", "10-16",
                       "--out", str(out))
    assert code == 2 and "over the limit of 20,000" in err and "MB" in err and err.count("\n") == 1
    code, _, err = run(capsys, "--url", tile_server.url, "--bbox", BBOX, "--zoom", "10-12",
                       "--max-tiles", "3", "--out", str(out))
    assert code == 2 and "is over the limit of 3" in err and "--max-tiles" in err
    assert tile_server.requests == [] and not out.exists()


def test_openstreetmap_is_capped_lower_and_offline_is_refused(tmp_path: Path, capsys):
    out = tmp_path / "osm.mbtiles"
    osm = ["--provider", "OpenStreetMap.Mapnik", "--out", str(out)]
    code, _, err = run(capsys, *osm, "--bbox", "112.0,26.5,113.0,27.5", "--zoom", "10-14",
                       "--max-tiles", "100000")
    assert code == 2 and "over the limit of 2,000 (OpenStreetMap's tile policy: small areas only)" in err
    assert "--i-have-permission" in err and "raise --max-tiles" not in err  # --max-tiles does not lift it
    code, _, err = run(capsys, *osm, "--bbox", BBOX, "--zoom", "17")
    assert code == 2 and "forbids offline copies at zoom 17" in err
    code, _, err = run(capsys, *osm, "--bbox", BBOX, "--zoom", "10-12")  # small enough, but offline
    assert code == 2 and err.count("\n") == 1 and "TERRAIN_VIEWER_OFFLINE is set" in err
    code, _, err = run(capsys, "--provider", "Gaode.Normal", "--bbox", BBOX, "--zoom", "10",
                       "--out", str(out))
    assert code == 2 and "GCJ-02" in err
    code, _, err = run(capsys, *osm, "--bbox", BBOX, "--zoom", "10-25")
    assert code == 2 and "0 to 24" in err
    assert not out.exists()


def test_resume_skips_tiles_already_saved_and_overwrite_rules(tile_server, tmp_path: Path, capsys):
    out = tmp_path / "area.mbtiles"
    common = ["--url", tile_server.url, "--bbox", BBOX, "--rate", "10", "--quiet", "--out", str(out)]
    assert run(capsys, *common, "--zoom", "10-11")[0] == 0
    first, saved = len(tile_server.requests), tiles_in(out)
    code, _, err = run(capsys, *common, "--zoom", "10-12")
    assert code == 2 and "already exists" in err and "--overwrite" in err and tiles_in(out) == saved
    code, stdout, _ = run(capsys, *common, "--zoom", "10-12", "--resume")
    assert code == 0 and f"{first} already there" in stdout
    added = len(tile_server.requests) - first
    assert added > 0 and len(tiles_in(out)) == len(saved) + added  # only the new level was asked for
    assert run(capsys, *common, "--zoom", "10", "--overwrite")[0] == 0
    assert {t[0] for t in tiles_in(out)} == {10}  # replaced, not added to


def test_from_data_takes_the_area_of_a_dataset(tile_server, tmp_path: Path, capsys, small_gpkg: Path):
    out = tmp_path / "data.mbtiles"
    code, _, err = run(capsys, "--url", tile_server.url, "--from-data", str(small_gpkg), "--zoom", "9",
                       "--rate", "10", "--out", str(out))
    assert code == 0, err
    with sqlite3.connect(out) as db:
        (bounds,) = db.execute("SELECT value FROM metadata WHERE name='bounds'").fetchone()
    w, s, e, n = (float(v) for v in bounds.split(","))
    assert w < 112.50 and e > 112.63 and s < 26.80 and n > 26.95  # the data's points and river inside


def test_ctrl_c_exits_130_and_leaves_no_finished_looking_file(tile_server, tmp_path: Path):
    out = tmp_path / "area.mbtiles"
    argv = [sys.executable, "-m", "terrain_viewer.cli", "tiles", "--url", tile_server.url, "--bbox", BBOX,
            "--zoom", "10-13", "--rate", "1", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TERRAIN_VIEWER_OFFLINE": "1"}  # 127.0.0.1 is allowed
    # a terminal's default SIGINT, even when the tests run as a background job (which ignores it)
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while len(tile_server.requests) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.rstrip().endswith("terrain-viewer: interrupted")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["--zoom", "x"], ["--rate", "0"], ["--bbox", "1,2,3"]])
def test_bad_arguments_are_usage_errors(tile_server, tmp_path: Path, capsys, args):
    base = {"--url": tile_server.url, "--bbox": BBOX, "--zoom": "10", "--rate": "2",
            "--out": str(tmp_path / "x.mbtiles")}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    code, _, err = run(capsys, *[v for kv in base.items() for v in kv])
    assert code == 2 and args[0] in err and tile_server.requests == []


def test_help_shows_the_command_and_its_limits():
    done = subprocess.run([sys.executable, "-m", "terrain_viewer.cli", "tiles", "--help"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0
    for text in ("--provider", "--url", "--bbox", "--from-data", "--zoom", "--rate", "--max-tiles",
                 "--i-have-permission", "--resume", "--overwrite", "--quiet", "2,000 tiles"):
        assert text in done.stdout
