"""QGIS as a peer of a whole export (registered into ``run.py``'s table).

``qgis_export_peer_hengyang`` / ``_foreign``: the same GeoPackage exported as 1920×1080 PNG frames,
one a day over its whole time range, by ``terrain-viewer export`` and by QGIS 3.x through its
temporal filter (``qgis_export_peer.py``); each tool is timed from process spawn to exit (start-up,
loading, rendering and PNG writing included), alternately, and the row gives both frame rates and
the ratio. QGIS draws the Hengyang data with the shipped ``.qgz`` (its styles, no unit symbols or
labels) and the foreign data with its default styles; terrain_viewer draws its usual frame
(relief, symbols, labels, caption, legend, scale bar). The foreign data is ``foreign.py``: 30 days
in Belgian Lambert 2008, four small layers. Skipped with a note when no Python with QGIS is found.

The package's bytecode is brought up to date first (``compileall``), as an install or a first run
leaves it: with ``PYTHONDONTWRITEBYTECODE`` set (as on the shared VM) every start would otherwise
compile each module edited since its ``.pyc`` was written (~20 ms for 16 files), a cost no user
start has and QGIS's own Python files do not pay either.
"""

from __future__ import annotations

import compileall
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import foreign
from seen import HERE, REPO, _entry_point, _env, _qgis_python

RUNS = 3


def _timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    result = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        raise RuntimeError(f"{Path(cmd[1]).name}: {result.stderr[-500:] or result.returncode}")
    return elapsed, result.stdout


def _ours(data: Path | None, out: Path) -> tuple[float, int, str]:
    cmd = [*_entry_point(), "export", *([str(data)] if data else []), "--size", "1080p", "--format", "png",
           "--frames-per-day", "1", "--title-seconds", "0", "--out", str(out)]
    elapsed, stdout = _timed(cmd)
    frames = len(list(out.glob("*.png")))
    first = sorted(out.glob("*.png"))[0].name
    shutil.rmtree(out, ignore_errors=True)
    return elapsed, frames, first


def _peer(data: Path | None, first_day: str) -> dict:
    python = _qgis_python()
    if python is None:
        print("qgis_export_peer: skipped, no Python with QGIS (python3-qgis)", file=sys.stderr)
        return {"skipped": "no Python with QGIS"}
    source = str(data) if data else str(REPO / "geodata" / "hengyang_1944.qgz")
    compileall.compile_dir(str(REPO / "terrain_viewer"), quiet=1)  # current .pyc files, as installed
    ours, theirs, frames = [], [], 0
    with tempfile.TemporaryDirectory(prefix="tv-peer-") as tmp:
        for run in range(RUNS):  # alternate the two tools, so a load change hits both alike
            elapsed, frames, _ = _ours(data, Path(tmp) / f"ours{run}")
            ours.append(frames / elapsed)
            folder = Path(tmp) / f"qgis{run}"
            folder.mkdir()
            elapsed, stdout = _timed([python, str(HERE / "qgis_export_peer.py"), source, str(folder), "1920",
                                      "1080", first_day, str(frames)])
            theirs.append(json.loads(stdout.splitlines()[-1])["frames"] / elapsed)
            shutil.rmtree(folder, ignore_errors=True)
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"export of {frames} frames at 1920x1080: terrain_viewer {statistics.median(ours):.2f} fps, "
          f"QGIS {statistics.median(theirs):.2f} fps, ratio {ratio:.2f}", file=sys.stderr)
    return {"median_fps": statistics.median(ours), "n": RUNS, "frames": frames,
            "qgis_fps": round(statistics.median(theirs), 2), "viewer_over_qgis": round(ratio, 2)}


def export_peer_hengyang(args) -> dict:
    from terrain_viewer.core.data.builtin import builtin_paths
    from terrain_viewer.core.data.layers import open_dataset
    from terrain_viewer.core.temporal.timeline import to_date

    extent = open_dataset(builtin_paths()).animation_extent
    return _peer(None, to_date(extent[0]).isoformat())


def export_peer_foreign(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="tv-foreign-") as tmp:
        data = foreign.write(Path(tmp) / "ardennes_1944.gpkg")
        return _peer(data, foreign.FIRST.isoformat())


CASES = {
    "qgis_export_peer_hengyang": export_peer_hengyang,
    "qgis_export_peer_foreign": export_peer_foreign,
}
