"""The viewer model (no Qt): layers and their display state, time, view and options.

The GUI subscribes to it and writes back only through it; the renderer, the exporter and
project files read it. ``to_dict``/``from_dict`` give a plain, picklable description that
export workers and project files rebuild the same session from.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from terrain_viewer.core.common.events import Events
from terrain_viewer.core.data.layers import Dataset, open_dataset, unique_name
from terrain_viewer.core.data.mapcrs import ground_scale
from terrain_viewer.core.temporal.timeline import TimeState

LEAST_SPAN_M = 2000.0  # the smallest full extent on the ground: a single point's neighbourhood

Extent = tuple[float, float, float, float]  # xmin, ymin, xmax, ymax in the map CRS


GEOMETRY_RANK = (("Polygon", 0), ("Line", 1), ("Point", 2))  # drawn from the bottom up


def _rank(geometry_type: str) -> int:
    return next((rank for word, rank in GEOMETRY_RANK if word in str(geometry_type)), 1)


def by_geometry(layers: Sequence) -> list:
    """``layers`` with the plain (generic) ones reordered, stably, so that points are drawn over
    lines and lines over polygons (a file lists its layers in any order: a researcher's area tint
    covered their own points); the other layers keep their places."""
    plain = [k for k, layer in enumerate(layers) if layer.data_role == "generic"]
    ranked = iter(sorted(plain, key=lambda k: _rank(layers[k].geometry_type)))  # sorted() is stable
    return [layers[next(ranked)] if layer.data_role == "generic" else layer for layer in layers]


@dataclass
class Removed:
    """A layer taken out of the session, as ``ViewerModel.restore_layer`` puts it back."""

    state: LayerState
    index: int  # its place in the draw order
    paths: list  # the session's files before
    layer: object | None  # the vector layer, or
    raster: object | None  # the raster

    @property
    def file(self) -> str | None:
        """The absolute path of the file it came from."""
        gone = self.layer or self.raster
        return None if gone is None else os.path.abspath(gone.path)


@dataclass
class LayerState:
    """How one layer (vector or raster, by name) is shown."""

    name: str
    visible: bool = True
    opacity: float = 1.0
    group: str = "1944"
    style: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (0.0 <= float(self.opacity) <= 1.0):
            raise ValueError(f"opacity must be 0..1, got {self.opacity}")


@dataclass
class RenderOptions:
    """Map furniture and labelling, each switchable."""

    legend: bool = True
    scale_bar: bool = True
    north_arrow: bool = True
    caption: bool = True
    caption_format: str = "{day} {month} {year}"
    labels: bool = True
    chinese_names: bool = False
    title: str = ""
    credits: bool = False
    uncertainty: bool = False  # soft halos as wide as each feature's positional uncertainty
    legend_corner: str = "lower right"  # the window's legend (View ▸ Legend corner); an export's default

    @classmethod
    def from_dict(cls, data: dict) -> RenderOptions:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class SwipeState:
    """Compare two layer groups: ``left_group`` left of the divider, ``right_group`` right of it.

    ``position`` is the divider's place across the map (0 = left edge, 1 = right edge).
    Layers of any other group are drawn on both sides.
    """

    enabled: bool = False
    position: float = 0.5
    left_group: str = "1944"
    right_group: str = "modern"


EVENT_KINDS = ("layer_added", "layer_removed", "layer_moved", "visibility", "opacity", "style", "group",
               "time", "time_range", "view", "options", "swipe", "basemap", "reset", "role", "time_offset")


def first_group(dataset: Dataset) -> str:
    """The group of the layers a session opens with: the year its dates begin (a 1916 file's
    layers went into a group "1944"), or "layers" when nothing is dated."""
    from terrain_viewer.core.temporal.timeline import to_date

    extent = dataset.animation_extent
    return str(to_date(extent[0]).year) if extent else "layers"


class ViewerModel:
    """Everything the user sees, as plain data with specific change events.

    ``model.events.<kind>.connect(callback)`` with kind one of ``EVENT_KINDS`` (``events.any`` for
    every change); callbacks get a :class:`~terrain_viewer.core.common.events.Change` naming the
    layer where one is concerned. ``reset`` means "re-read everything" (a session applied).
    """

    def __init__(self, dataset: Dataset, paths: Sequence[str | Path] = ()):
        self.dataset = dataset
        self.paths = [Path(p) for p in paths]
        # held by a renderer for a whole frame (the window's draws on a thread of its own): a
        # change made to the layers in place (role, time offset) waits for the frame's end, or
        # the frame's cache keys and its drawing saw two different layers, and kept it so
        self.layers_lock = threading.RLock()
        group = first_group(dataset)
        self.layer_states: list[LayerState] = [LayerState(r.name, group=group) for r in dataset.rasters]
        self.layer_states += [LayerState(layer.name, group=group) for layer in by_geometry(dataset.layers)]
        start, end = dataset.animation_extent or (0.0, 0.0)
        self.events = Events(*EVENT_KINDS)
        self.time = TimeState(math.floor(start), math.floor(end))
        self.time.connect(lambda t: self.events.time.emit(value=t))
        self.time_range: tuple[int, int] | None = None  # the user's slider span (days)
        self.follow: str | None = None  # the layer whose dated extent the slider follows
        self.view: Extent = self.full_extent()
        self.options = RenderOptions()
        self.swipe = SwipeState(left_group=group)
        self.basemap: dict | None = None  # e.g. {"provider": "OpenStreetMap.Mapnik"} or {"mbtiles": path}

    @classmethod
    def open(cls, paths: Sequence[str | Path]) -> ViewerModel:
        """Load files into a new model (problems land in ``dataset.problems``)."""
        return cls(open_dataset(paths), paths)

    # layers -----------------------------------------------------------------------------
    def state(self, name: str) -> LayerState:
        for state in self.layer_states:
            if state.name == name:
                return state
        raise KeyError(name)

    def set_visible(self, name: str, visible: bool) -> None:
        state = self.state(name)
        if state.visible != bool(visible):
            state.visible = bool(visible)
            self.events.visibility.emit(name, state.visible)

    def set_opacity(self, name: str, opacity: float) -> None:
        state = self.state(name)
        value = min(max(float(opacity), 0.0), 1.0)
        if state.opacity != value:
            state.opacity = value
            self.events.opacity.emit(name, value)

    def move_layer(self, name: str, new_index: int) -> None:
        """Put layer ``name`` at draw position ``new_index`` (0 = drawn first, at the bottom)."""
        state = self.state(name)
        self.layer_states.remove(state)
        self.layer_states.insert(max(0, min(new_index, len(self.layer_states))), state)
        self.events.layer_moved.emit(name, self.layer_states.index(state))

    def set_group(self, name: str, group: str) -> None:
        """Put layer ``name`` in a named group (e.g. "1944" or "modern" for the swipe)."""
        group = str(group).strip()
        if not group:
            raise ValueError("a group needs a name")
        self.state(name).group = group
        self.events.group.emit(name, group)

    def groups(self) -> list[str]:
        """The layer groups in use, in draw order of their first layer."""
        return list(dict.fromkeys(s.group for s in self.layer_states))

    def set_style(self, name: str, **style) -> None:
        self.state(name).style.update(style)
        self.events.style.emit(name, dict(self.state(name).style))

    def unset_style(self, name: str, *keys: str) -> None:
        """Drop the user's ``keys`` from layer ``name``'s style: drawn as its role draws it again."""
        style = self.state(name).style
        if any(key in style for key in keys):
            for key in keys:
                style.pop(key, None)
            self.events.style.emit(name, dict(style))

    # what a layer is, how it is labelled, when it is shown -----------------------------------------
    def _vector(self, name: str):
        for layer in self.dataset.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def set_role(self, name: str, role: str | None) -> None:
        """Override what layer ``name`` is (``units``, ``front_lines``, ``events``, ...); None: detected."""
        from terrain_viewer.core.data.roles import ROLES

        if role is not None and role not in ROLES:
            raise ValueError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
        layer, state = self._vector(name), self.state(name)
        with self.layers_lock:
            layer.data_role = role or layer.detected_role
        state.style.pop("role", None)
        if role is not None and role != layer.detected_role:
            state.style["role"] = role
        with self.events.batch():
            self.events.role.emit(name, layer.data_role)
            self.events.style.emit(name, dict(state.style))

    def set_label_field(self, name: str, column: str | None) -> None:
        """Label layer ``name`` from ``column`` (any column of it); None: the default field."""
        layer, state = self._vector(name), self.state(name)
        if column is not None and column not in layer.gdf.columns:
            raise KeyError(f"layer {name} has no column {column!r}")
        state.style.pop("label_field", None)
        if column is not None:
            state.style["label_field"] = column
        self.events.style.emit(name, dict(state.style))

    def set_time_offset(self, name: str, days: float) -> None:
        """Show layer ``name`` shifted in time: its features of date D appear at D + ``days``."""
        days = float(days)
        if not math.isfinite(days):
            raise ValueError(f"time offset must be a finite number of days, got {days}")
        layer, state = self._vector(name), self.state(name)
        with self.layers_lock:
            layer.time_offset = days
        state.style.pop("time_offset", None)
        if days:
            state.style["time_offset"] = days
        with self.events.batch():
            self.events.time_offset.emit(name, days)
            self.events.style.emit(name, dict(state.style))
            self.refresh_time_range()

    def set_time_range(self, start: float | None, end: float | None = None) -> None:
        """The slider's first and last day; ``None`` goes back to the union of the layers' extents."""
        if start is None:
            self.time_range = None
        else:
            start, end = math.floor(float(start)), math.floor(float(end if end is not None else start))
            if end < start:
                raise ValueError("the time range ends before it starts")
            self.time_range = (start, end)
        self.follow = None
        self.refresh_time_range()

    def follow_layer(self, name: str | None) -> None:
        """Let the slider cover one layer's dated extent (None: all layers again)."""
        if name is not None and self._vector(name).dated_extent is None:
            raise ValueError(f"layer {name} has no dates to follow")
        self.time_range, self.follow = None, name
        self.refresh_time_range()

    def time_extent(self) -> tuple[float, float] | None:
        """The span the slider covers: the user's range, a followed layer's, or the data's."""
        if self.time_range is not None:
            return self.time_range
        if self.follow is not None:
            try:
                return self._vector(self.follow).dated_extent
            except KeyError:
                self.follow = None
        return self.dataset.animation_extent

    def apply_layer_styles(self) -> None:
        """Put the role and time offset stored in the layers' styles on the layers themselves."""
        for layer in self.dataset.layers:
            try:
                style = self.state(layer.name).style
            except KeyError:
                continue
            role = style.get("role")
            offset = style.get("time_offset", 0.0)
            usable = isinstance(offset, int | float) and math.isfinite(offset)
            with self.layers_lock:
                layer.data_role = role if isinstance(role, str) and role else layer.detected_role
                layer.time_offset = float(offset) if usable else 0.0

    def with_map_crs(self, crs) -> ViewerModel:
        """This session reopened in another map CRS (same files, states, time; the view reprojected)."""
        from pyproj import Transformer

        from terrain_viewer.core.data.mapcrs import map_crs_of

        target = map_crs_of(crs)
        data = self.to_dict()
        data["map_crs"] = target.to_string()
        x0, y0, x1, y1 = self.view
        to_new = Transformer.from_crs(self.dataset.map_crs, target, always_xy=True)
        box = to_new.transform_bounds(x0, y0, x1, y1)
        data["view"] = list(box) if all(math.isfinite(v) for v in box) and box[2] > box[0] else None
        model = type(self).from_dict(data)
        if not data["view"]:
            model.set_view(model.full_extent())
        return model

    def remove_layer(self, name: str) -> Removed:
        """Take layer ``name`` off the map and out of the session (its file is untouched); what
        ``restore_layer`` needs to put it back is returned."""
        state = self.state(name)
        raster = next((r for r in self.dataset.rasters if r.name == name), None)
        removed = Removed(state, self.layer_states.index(state), list(self.paths), self.dataset.find(name),
                          raster)
        self.layer_states.remove(state)
        self.dataset.layers = [lyr for lyr in self.dataset.layers if lyr.name != name]
        self.dataset.rasters = [r for r in self.dataset.rasters if r.name != name]
        file = removed.file
        if file is not None and file not in self.dataset.files():  # its file's last layer: the file goes
            self.paths = [p for p in self.paths if os.path.abspath(p) != file]
        with self.events.batch():
            self.events.layer_removed.emit(name)
            self.refresh_time_range()
        return removed

    def restore_layer(self, removed: Removed) -> bool:
        """Put a removed layer back where it was, with its settings (undo); False when a layer of
        that name is in the session again (its file was opened again meanwhile)."""
        name = removed.state.name
        if any(s.name == name for s in self.layer_states):
            return False
        self.layer_states.insert(min(removed.index, len(self.layer_states)), removed.state)
        if removed.layer is not None:
            self.dataset.layers.append(removed.layer)
        if removed.raster is not None:
            self.dataset.rasters.append(removed.raster)
        file = removed.file
        if file is not None and file not in {os.path.abspath(p) for p in self.paths}:  # its file again
            before = [os.path.abspath(p) for p in removed.paths]
            given = Path((removed.layer or removed.raster).path)  # as the session named it
            self.paths.insert(before.index(file) if file in before else len(self.paths), given)
        with self.events.batch():
            self.events.layer_added.emit(name)
            self.refresh_time_range()
        return True

    def add_files(self, paths: Sequence[str | Path], group: str = "added") -> list[str]:
        """Add the layers of more files; return the problems met (the rest still load)."""
        return self.add_read(paths, open_dataset(paths, map_crs=self.dataset.map_crs), group)

    def add_read(self, paths: Sequence[str | Path], extra: Dataset, group: str = "added") -> list[str]:
        """Add the layers of ``paths`` read already into ``extra`` (``open_dataset`` in the map CRS);
        a file that gave no layer is not one of the session's files (a project would name it)."""
        gave = extra.files()
        self.paths += [Path(p) for p in paths if os.path.abspath(p) in gave]
        return self.merge_dataset(extra, group)

    def merge_dataset(self, extra: Dataset, group: str = "added") -> list[str]:
        """Take in the layers of another dataset (same map CRS), renaming clashes."""
        taken = {o.name for o in self.dataset.layers + self.dataset.rasters}
        known = {s.name for s in self.layer_states}
        added = []
        rasters = {r.name for r in self.dataset.rasters}
        vectors = by_geometry(extra.layers)
        for obj, raster in [(r, True) for r in extra.rasters] + [(v, False) for v in vectors]:
            obj.name = unique_name(obj.name, obj.path, taken)
            taken.add(obj.name)
            if obj.name not in known:
                state = LayerState(obj.name, group=group)
                if raster:  # a scan or a grid goes under the vector layers, over the rasters there
                    #         (on top it hid every unit and front, their labels left floating)
                    floor = max((k + 1 for k, s in enumerate(self.layer_states) if s.name in rasters),
                                default=0)
                    self.layer_states.insert(floor, state)
                    rasters.add(obj.name)
                else:
                    self.layer_states.append(state)
                added.append(obj.name)
        self.dataset.layers += extra.layers
        self.dataset.rasters += extra.rasters
        self.dataset.problems += extra.problems
        self.dataset.notes += extra.notes
        for name, table in extra.tables.items():  # another file's variants table is kept beside ours
            key, n = name, 2
            while key in self.dataset.tables and self.dataset.tables[key] is not table:
                key, n = f"{name} {n}", n + 1
            self.dataset.tables[key] = table
        with self.events.batch():
            for name in added:
                self.events.layer_added.emit(name)
            self.refresh_time_range()
        return extra.problems

    @property
    def has_time(self) -> bool:
        """Whether any layer is dated (undated data has no date to show or animate)."""
        return self.dataset.has_time

    def refresh_time_range(self) -> None:
        """Fit the slider's range to the dataset's animation extent (keeps the current time)."""
        extent = self.time_extent()
        if extent:
            span = (math.floor(extent[0]), math.floor(extent[1]))
            if span != (self.time.start, self.time.end):
                self.time.start, self.time.end = span
                self.events.time_range.emit(value=span)
            self.time.set_t(min(max(self.time.t, self.time.start), self.time.end))

    def _beside_their_file(self, ordered: list[LayerState], new: list[LayerState]) -> list[LayerState]:
        """``ordered`` (a description's layers) with each of ``new`` (its files' layers it does not
        name: one removed, then its file opened again) just above the others of its file, in their
        group ("added" stays "added"); a layer of a file it does not name goes on top."""
        path = {o.name: os.path.abspath(o.path) for o in self.dataset.layers + self.dataset.rasters}
        out = list(ordered)
        for state in new:
            kin = [k for k, s in enumerate(out) if path.get(s.name) == path.get(state.name)]
            if kin:
                state.group = out[kin[-1]].group
                out.insert(kin[-1] + 1, state)
            else:
                out.append(state)
        return out

    # view and options -------------------------------------------------------------------
    def full_extent(self, margin: float = 0.03) -> Extent:
        """The data's bounds with ``margin`` of them around, at least ``LEAST_SPAN_M`` across on
        the ground (a single point, or points in a row, have no area: a scale bar of 2e-10 m)."""
        x0, y0, x1, y1 = self.dataset.bounds
        dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
        return self.at_least((x0 - dx, y0 - dy, x1 + dx, y1 + dy))

    def at_least(self, extent: Extent) -> Extent:
        """``extent`` grown about its centre to ``LEAST_SPAN_M`` across on the ground each way, in
        map units whatever they are (metres, degrees, feet)."""
        x0, y0, x1, y1 = (float(v) for v in extent)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        east, north = self._metres_per_unit(extent)
        half_x, half_y = max(x1 - x0, LEAST_SPAN_M / east) / 2, max(y1 - y0, LEAST_SPAN_M / north) / 2
        return (cx - half_x, cy - half_y, cx + half_x, cy + half_y)

    def ground_width(self, extent: Extent) -> float:
        """How wide ``extent`` is on the ground, in metres, whatever the map units."""
        return (float(extent[2]) - float(extent[0])) * self._metres_per_unit(extent)[0]

    def _metres_per_unit(self, extent: Extent) -> tuple[float, float]:
        """Metres on the ground per map unit eastward and northward at ``extent``'s centre."""
        x0, y0, x1, y1 = (float(v) for v in extent)
        return ground_scale(self.dataset.map_crs, (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0, 1e-6))

    def layer_extent(self, name: str) -> Extent:
        for layer in self.dataset.layers:
            if layer.name == name and len(layer.gdf):
                return tuple(float(v) for v in layer.gdf.total_bounds)
        for raster in self.dataset.rasters:
            if raster.name == name:
                return raster.bounds
        raise KeyError(name)

    def set_view(self, extent: Extent) -> None:
        x0, y0, x1, y1 = (float(v) for v in extent)
        if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 <= x0 or y1 <= y0:
            raise ValueError(f"bad extent {extent}")
        if (x0, y0, x1, y1) != self.view:
            self.view = (x0, y0, x1, y1)
            self.events.view.emit(value=self.view)

    def set_options(self, **changes) -> None:
        for key in changes:
            if not hasattr(self.options, key):
                raise KeyError(key)
        with self.events.batch():
            for key, value in changes.items():
                setattr(self.options, key, value)
                self.events.options.emit(key, value)

    def set_swipe(self, **changes) -> None:
        for key, value in changes.items():
            if not hasattr(self.swipe, key):
                raise KeyError(key)
            setattr(self.swipe, key, value)
        self.swipe.position = min(max(float(self.swipe.position), 0.0), 1.0)
        self.events.swipe.emit(value=self.swipe)

    def set_basemap(self, spec: dict | None) -> None:
        self.basemap = dict(spec) if spec else None
        self.events.basemap.emit(value=self.basemap)

    # plain description ------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A picklable, JSON-able description of the session (paths are absolute)."""
        return {
            "paths": [str(p.resolve()) for p in self.paths],
            "map_crs": self.dataset.map_crs.to_string(),
            "layers": [asdict(s) for s in self.layer_states],
            "time": self.time.t,
            "view": list(self.view),
            "options": asdict(self.options),
            "swipe": asdict(self.swipe),
            "basemap": self.basemap,
            "time_range": list(self.time_range) if self.time_range else None,
            "follow": self.follow,
        }

    @classmethod
    def from_dict(cls, data: dict, dataset: Dataset | None = None) -> ViewerModel:
        """Rebuild a session from ``to_dict`` output (loading its files unless given)."""
        paths = data.get("paths", [])
        model = cls(dataset or open_dataset(paths, map_crs=data.get("map_crs")), paths)
        model.apply_dict(data)
        return model

    def apply_dict(self, data: dict) -> None:
        """Apply layer states, time, view and options from a description."""
        known = {s.name: s for s in self.layer_states}
        ordered = [LayerState(**s) for s in data.get("layers", []) if s.get("name") in known]
        rest = [s for s in self.layer_states if s.name not in {o.name for o in ordered}]
        with self.events.batch():
            self.layer_states = self._beside_their_file(ordered, rest)
            self.apply_layer_styles()
            span = data.get("time_range")
            ok = isinstance(span, list | tuple) and len(span) == 2 and span[0] <= span[1]
            self.time_range = (math.floor(span[0]), math.floor(span[1])) if ok else None
            self.follow = data.get("follow") if isinstance(data.get("follow"), str) else None
            self.refresh_time_range()
            if "time" in data:
                self.time.set_t(float(data["time"]))
            if data.get("view"):
                self.set_view(tuple(data["view"]))
            self.options = RenderOptions.from_dict(data.get("options", {}))
            self.swipe = SwipeState(**data.get("swipe", {}))
            self.basemap = data.get("basemap")
            self.events.reset.emit()
