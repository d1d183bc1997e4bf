"""Offline tiles from local files: MBTiles and GeoPackage tile tables in web mercator."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path

import numpy as np

from terrain_viewer.core.common.errors import DataError
from terrain_viewer.core.data.tileformat import check_zoom, decode_png, plain_text
from terrain_viewer.core.data.tilesource import ORIGIN, TileSource

log = logging.getLogger(__name__)


class MBTilesSource(TileSource):
    """Offline tiles from an MBTiles file (SQLite; rows are TMS, counted from the bottom)."""

    def __init__(self, path: str | Path):
        super().__init__()
        self.path = Path(path)
        self.name = self.path.stem
        meta = _sqlite_rows(self.path, "SELECT name, value FROM metadata", "an MBTiles file")
        info = {str(k): str(v) for k, v in meta}
        self.attribution = plain_text(info.get("attribution", ""))
        zooms = _sqlite_rows(self.path, "SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles",
                             "an MBTiles file")
        if not zooms or zooms[0][0] is None:
            raise DataError("the MBTiles file holds no tiles", self.path)
        self.min_zoom = check_zoom(zooms[0][0], "a tile's", self.path)
        self.max_zoom = check_zoom(zooms[0][1], "a tile's", self.path)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                                  check_same_thread=False)
        return db

    def _load(self, z: int, x: int, y: int) -> np.ndarray | None:
        try:
            row = self._db().execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? "
                                     "AND tile_row=?", (z, x, (1 << z) - 1 - y)).fetchone()
        except sqlite3.Error as exc:
            log.warning("%s: %s", self.path, exc)
            return None
        return decode_png(bytes(row[0])) if row else None


class GpkgTilesSource(TileSource):
    """Offline tiles from a GeoPackage tile table in web mercator (GoogleMapsCompatible matrices)."""

    def __init__(self, path: str | Path, table: str | None = None):
        super().__init__()
        self.path = Path(path)
        tables = [r[0] for r in _sqlite_rows(
            self.path, "SELECT table_name FROM gpkg_contents WHERE data_type='tiles'", "a GeoPackage")]
        if not tables:
            raise DataError("the GeoPackage holds no tile tables", self.path)
        self.table = table or tables[0]
        if self.table not in tables:
            raise DataError(f"no tile table '{self.table}' (has {', '.join(tables)})", self.path)
        self.name = self.table
        self._sql_table = '"' + self.table.replace('"', '""') + '"'  # a quoted SQL identifier
        srs = _sqlite_rows(self.path, "SELECT s.organization_coordsys_id, m.min_x, m.max_x FROM "
                           "gpkg_tile_matrix_set m JOIN gpkg_spatial_ref_sys s ON m.srs_id = s.srs_id "
                           "WHERE m.table_name = ?", "a GeoPackage", (self.table,))
        if not srs or int(srs[0][0]) != 3857 or abs(srs[0][1] + ORIGIN) > 1 or abs(srs[0][2] - ORIGIN) > 1:
            raise DataError(f"tile table '{self.table}' is not a web mercator (EPSG:3857) world grid; "
                            "add it as a raster layer instead", self.path)
        zooms = _sqlite_rows(self.path, "SELECT zoom_level, matrix_width FROM gpkg_tile_matrix "
                             "WHERE table_name = ?", "a GeoPackage", (self.table,))
        for z, _ in zooms:
            check_zoom(z, f"tile table '{self.table}'", self.path)
        bad = [z for z, width in zooms if width != 1 << z]
        if bad or not zooms:
            raise DataError(f"tile table '{self.table}' does not use the standard web mercator zoom "
                            "levels; add it as a raster layer instead", self.path)
        held = _sqlite_rows(self.path, f'SELECT MIN(zoom_level), MAX(zoom_level) FROM {self._sql_table}',
                            "a GeoPackage")
        if not held or held[0][0] is None:
            raise DataError(f"tile table '{self.table}' holds no tiles", self.path)
        what = f"tile table '{self.table}'"
        self.min_zoom, self.max_zoom = (check_zoom(v, what, self.path) for v in held[0])  # levels with tiles
        self._local = threading.local()

    def _load(self, z: int, x: int, y: int) -> np.ndarray | None:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            row = db.execute(f'SELECT tile_data FROM {self._sql_table} WHERE zoom_level=? AND tile_column=? '
                             "AND tile_row=?", (z, x, y)).fetchone()
        except sqlite3.Error as exc:
            log.warning("%s: %s", self.path, exc)
            return None
        return decode_png(bytes(row[0])) if row else None


def _sqlite_rows(path: Path, sql: str, what: str, params: tuple = ()) -> list[tuple]:
    if not path.is_file():
        raise DataError("file not found", path)
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return db.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise DataError(f"not {what} ({exc})", path) from None
