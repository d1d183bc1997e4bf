"""Where the built-in Hengyang 1944 data lives (the repository's geodata/ or an installed copy)."""

from __future__ import annotations

from pathlib import Path

from terrain_viewer.core.common.errors import DataError

GPKG = "hengyang_1944.gpkg"
DEM = "hengyang_dem.tif"


def data_dir() -> Path:
    """``terrain_viewer/data`` when installed, else the repository's ``geodata``."""
    package = Path(__file__).resolve().parents[2]  # terrain_viewer/
    for candidate in (package / "data", package.parent / "geodata"):
        if (candidate / GPKG).exists():
            return candidate
    raise DataError("the built-in Hengyang data is missing; run python geodata/build.py", GPKG)


def builtin_paths() -> list[Path]:
    """The shipped GeoPackage and, when present, its elevation grid."""
    folder = data_dir()
    paths = [folder / GPKG]
    if (folder / DEM).exists():
        paths.append(folder / DEM)
    return paths
