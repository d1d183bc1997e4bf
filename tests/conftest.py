"""Shared fixtures: small real GeoPackages written by the tests, and the shipped data."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")
if "TERRAIN_VIEWER_LOG_DIR" not in os.environ:  # tests never write the user's real log folder
    import tempfile

    os.environ["TERRAIN_VIEWER_LOG_DIR"] = tempfile.mkdtemp(prefix="terrain_viewer_test_logs_")

from pathlib import Path  # noqa: E402

import geopandas as gpd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "geodata" / "hengyang_1944.gpkg"


@pytest.fixture
def shipped_gpkg() -> Path:
    if not SHIPPED.exists():
        pytest.fail(f"the shipped GeoPackage is missing: {SHIPPED} (run python geodata/build.py)")
    return SHIPPED


@pytest.fixture
def small_gpkg(tmp_path: Path) -> Path:
    """Units with keyframes, dated events and a static river, in lon/lat (EPSG:4326)."""
    path = tmp_path / "small.gpkg"
    units = gpd.GeoDataFrame(
        {
            "unit_id": ["a", "a", "a", "b"],
            "start_date": ["1944-06-23", "1944-06-24", "1944-06-26", "1944-06-23"],
            "end_date": ["1944-06-23", "1944-06-24", "1944-06-26", "1944-06-30"],
            "source": ["test"] * 4,
            "confidence": ["low"] * 4,
        },
        geometry=shapely.points([112.60, 112.61, 112.63, 112.50], [26.90, 26.90, 26.90, 26.80]),
        crs=4326,
    )
    events = gpd.GeoDataFrame(
        {
            "start_date": ["1944-06-23", "1944-07-01T05:00", "1944-06-24"],
            "end_date": ["1944-06-25", "1944-07-01T06:00", None],
            "source": ["test"] * 3,
            "confidence": ["high"] * 3,
        },
        geometry=shapely.points([112.6] * 3, [26.9] * 3),
        crs=4326,
    )
    river = gpd.GeoDataFrame(
        {"name_en": ["Xiang"], "source": ["test"], "confidence": ["medium"]},
        geometry=[shapely.LineString([(112.62, 26.85), (112.63, 26.95)])],
        crs=4326,
    )
    units.to_file(path, layer="units", engine="pyogrio")
    events.to_file(path, layer="events", engine="pyogrio")
    river.to_file(path, layer="rivers", engine="pyogrio")
    return path
