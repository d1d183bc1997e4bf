"""Large point layers read through Arrow with their coordinates taken from the WKB, checked as
coordinates and made into points once in the map CRS: the same layers, problems and refusals as
the plain reading of the same file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from terrain_viewer.core.data import arrowpoints, readers
from terrain_viewer.core.data.layers import open_dataset

pytestmark = pytest.mark.usefixtures("no_dataset_cache")  # they count or limit reads

pytest.importorskip("pyarrow")


def units(xy: np.ndarray, crs: int) -> gpd.GeoDataFrame:
    n = len(xy)
    return gpd.GeoDataFrame({"unit_id": np.char.add("u", (np.arange(n) % 7).astype(str)),
                             "start_date": np.array(["1944-07-01", "1944-07-02", ""])[np.arange(n) % 3],
                             "strength": np.arange(n) * 1.5},
                            geometry=shapely.points(xy), crs=crs)


def files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(5)
    out = {}
    projected = rng.uniform([500_000, 2_900_000], [520_000, 3_000_000], (60, 2))
    projected[[5, 7, 9]] = [[2e9, 1.0], [1e300, 1e300], [9e8, 9e8]]  # beyond ±1e9; overflows; far
    lonlat = rng.uniform([112.5, 26.8], [112.7, 27.0], (60, 2))
    wrong = lonlat.copy()
    wrong[10] = [200, 95]
    holes = units(lonlat, 4326)
    across = rng.uniform([179.0, -18], [180.0, -17], (60, 2))
    across[::2, 0] -= 359.5  # half the points just east of -180
    holes.loc[3, "geometry"] = shapely.Point()
    holes.loc[4, "geometry"] = None
    for name, frame in {"projected": units(projected, 32649), "lonlat": units(lonlat, 4326),
                        "wrong_crs": units(wrong, 4326), "holes": holes,
                        "antimeridian": units(across, 4326)}.items():
        out[name] = tmp_path / f"{name}.gpkg"
        frame.to_file(out[name], layer="units")
    return out


def loaded(path: Path, arrow: bool, monkeypatch):
    monkeypatch.setattr(readers, "USE_ARROW", arrow)
    monkeypatch.setattr(readers, "ARROW_FROM", 10)
    return open_dataset([path])


def test_point_layers_read_as_coordinates_are_the_layers_read_plainly(tmp_path, monkeypatch):
    made = []
    original = arrowpoints.wkb_points
    monkeypatch.setattr(arrowpoints, "wkb_points", lambda wkb: made.append(original(wkb)) or made[-1])
    for name, path in files(tmp_path).items():
        fast, plain = loaded(path, True, monkeypatch), loaded(path, False, monkeypatch)
        assert fast.problems == plain.problems, name
        assert fast.map_crs == plain.map_crs, name
        assert [layer.name for layer in fast.layers] == [layer.name for layer in plain.layers]
        for a, b in zip(fast.layers, plain.layers, strict=True):
            pd.testing.assert_frame_equal(a.gdf.to_wkb(), b.gdf.to_wkb(), check_exact=True)
            assert a.gdf.crs == b.gdf.crs and a.lonlat_bounds == b.lonlat_bounds and a.role == b.role
    assert sum(xy is not None for xy in made) == 4  # all but the file with an empty and a null point
    problems = " | ".join(loaded(files(tmp_path)["projected"], True, monkeypatch).problems)
    assert "2 features with coordinates beyond ±1e+09" in problems


def test_only_plain_2d_little_endian_points_are_read_by_numpy():
    import pyarrow as pa

    xy = np.array([[1.5, -2.25], [3e5, 4e6]])
    plain = pa.array(list(shapely.to_wkb(shapely.points(xy))), type=pa.binary())
    assert np.array_equal(arrowpoints.wkb_points(plain), xy)
    assert np.array_equal(arrowpoints.wkb_points(plain.cast(pa.large_binary())), xy)
    for other in (shapely.to_wkb(shapely.points(xy), byte_order=0),  # big-endian
                  shapely.to_wkb(shapely.points(np.c_[xy, xy[:, :1]])),  # Z
                  shapely.to_wkb(shapely.points([[np.nan, 1.0], [2.0, 3.0]])),
                  shapely.to_wkb([shapely.Point(1, 2), shapely.LineString([(0, 0), (1, 1)])])):
        assert arrowpoints.wkb_points(pa.array(list(other), type=pa.binary())) is None
    assert arrowpoints.wkb_points(pa.array([None, plain[0].as_py()], type=pa.binary())) is None
