"""Cursor coordinates (map CRS, lon/lat decimal and DMS) and the geodesic measure tool."""

from __future__ import annotations

from pyproj import CRS, Transformer

from terrain_viewer.core.data.mapcrs import GEOD


def dms(value: float, positive: str, negative: str) -> str:
    """One angle as degrees, minutes and seconds with a hemisphere letter (26°53′36.1″N)."""
    hemi = positive if value >= 0 else negative
    tenths = round(abs(value) * 36000)
    deg, rest = divmod(tenths, 36000)
    minutes, tenths = divmod(rest, 600)
    return f"{deg}°{minutes:02d}′{tenths / 10:04.1f}″{hemi}"


def format_distance(metres: float) -> str:
    """Metres below 10 km, kilometres with two decimals above."""
    return f"{metres:,.0f} m" if metres < 10_000 else f"{metres / 1000:,.2f} km"


class CursorCoordinates:
    """Turns map-CRS points into lon/lat and into the status-bar coordinate text."""

    def __init__(self, map_crs: CRS):
        self.map_crs = CRS.from_user_input(map_crs)
        self._to_lonlat = Transformer.from_crs(self.map_crs, "EPSG:4326", always_xy=True)

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self._to_lonlat.transform(x, y)
        return float(lon), float(lat)

    def text(self, x: float, y: float) -> str:
        """Decimal lon/lat, DMS, and the map CRS coordinates, separated by bars."""
        lon, lat = self.lonlat(x, y)
        decimal = f"{abs(lat):.5f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.5f}° {'E' if lon >= 0 else 'W'}"
        sexagesimal = f"{dms(lat, 'N', 'S')} {dms(lon, 'E', 'W')}"
        code = self.map_crs.to_string()
        return f"{decimal}  |  {sexagesimal}  |  {x:,.0f} E {y:,.0f} N ({code})"


class MeasurePath:
    """The points clicked with the measure tool (map CRS) and their geodesic length on WGS84."""

    def __init__(self, coordinates: CursorCoordinates):
        self.coordinates = coordinates
        self.points: list[tuple[float, float]] = []

    def add(self, x: float, y: float) -> None:
        self.points.append((float(x), float(y)))

    def clear(self) -> None:
        self.points.clear()

    def distance(self) -> float:
        """Geodesic length of the clicked path in metres (0 for fewer than two points)."""
        if len(self.points) < 2:
            return 0.0
        lonlat = [self.coordinates.lonlat(x, y) for x, y in self.points]
        lons, lats = zip(*lonlat, strict=True)
        return float(GEOD.line_length(lons, lats))

    def text(self, cursor: tuple[float, float] | None = None) -> str:
        """The status text; with ``cursor``, also the length of the path on to the cursor."""
        if not self.points:
            return "Measure: click points on the map (right-click to restart)"
        to_cursor = ""
        if cursor is not None:
            (x0, y0), (x1, y1) = self.points[-1], cursor
            lon0, lat0 = self.coordinates.lonlat(x0, y0)
            lon1, lat1 = self.coordinates.lonlat(x1, y1)
            total = self.distance() + GEOD.inv(lon0, lat0, lon1, lat1)[2]
            to_cursor = f"; to cursor {format_distance(total)}"
        if len(self.points) == 1:
            return f"Measure: click the next point{to_cursor}"
        segments = len(self.points) - 1
        legs = f"{segments} segment{'s' if segments != 1 else ''}"
        return f"Distance: {format_distance(self.distance())} ({legs}, geodesic){to_cursor}"
