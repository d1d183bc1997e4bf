"""The viewer model (no Qt): layers and their display state, time, view and options.

The GUI subscribes to it and writes back only through it; the renderer, the exporter and
project files read it. ``to_dict``/``from_dict`` give a plain, picklable description that
export workers and project files rebuild the same session from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from terrain_viewer.core.common.events import Events
from terrain_viewer.core.data.layers import Dataset, open_dataset, unique_name
from terrain_viewer.core.temporal.timeline import TimeState

Extent = tuple[float, float, float, float]  # xmin, ymin, xmax, ymax in the map CRS


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
               "time", "time_range", "view", "options", "swipe", "basemap", "reset")


class ViewerModel:
    """Everything the user sees, as plain data with specific change events.

    ``model.events.<kind>.connect(callback)`` with kind one of ``EVENT_KINDS`` (``events.any`` for
    every change); callbacks get a :class:`~terrain_viewer.core.common.events.Change` naming the
    layer where one is concerned. ``reset`` means "re-read everything" (a session applied).
    """

    def __init__(self, dataset: Dataset, paths: Sequence[str | Path] = ()):
        self.dataset = dataset
        self.paths = [Path(p) for p in paths]
        self.layer_states: list[LayerState] = [LayerState(r.name) for r in dataset.rasters]
        self.layer_states += [LayerState(layer.name) for layer in dataset.layers]
        start, end = dataset.animation_extent or (0.0, 0.0)
        self.events = Events(*EVENT_KINDS)
        self.time = TimeState(math.floor(start), math.floor(end))
        self.time.connect(lambda t: self.events.time.emit(value=t))
        self.view: Extent = self.full_extent()
        self.options = RenderOptions()
        self.swipe = SwipeState()
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

    def remove_layer(self, name: str) -> None:
        """Take layer ``name`` off the map and out of the session (its file is untouched)."""
        state = self.state(name)
        self.layer_states.remove(state)
        self.dataset.layers = [lyr for lyr in self.dataset.layers if lyr.name != name]
        self.dataset.rasters = [r for r in self.dataset.rasters if r.name != name]
        with self.events.batch():
            self.events.layer_removed.emit(name)
            self.refresh_time_range()

    def add_files(self, paths: Sequence[str | Path], group: str = "added") -> list[str]:
        """Add the layers of more files; return the problems met (the rest still load)."""
        extra = open_dataset(paths, map_crs=self.dataset.map_crs)
        self.paths += [Path(p) for p in paths]
        return self.merge_dataset(extra, group)

    def merge_dataset(self, extra: Dataset, group: str = "added") -> list[str]:
        """Take in the layers of another dataset (same map CRS), renaming clashes."""
        taken = {o.name for o in self.dataset.layers + self.dataset.rasters}
        known = {s.name for s in self.layer_states}
        added = []
        for obj in list(extra.rasters) + list(extra.layers):
            obj.name = unique_name(obj.name, obj.path, taken)
            taken.add(obj.name)
            if obj.name not in known:
                self.layer_states.append(LayerState(obj.name, group=group))
                added.append(obj.name)
        self.dataset.layers += extra.layers
        self.dataset.rasters += extra.rasters
        self.dataset.problems += extra.problems
        self.dataset.notes += extra.notes
        for name, table in extra.tables.items():
            self.dataset.tables.setdefault(name, table)
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
        extent = self.dataset.animation_extent
        if extent:
            span = (math.floor(extent[0]), math.floor(extent[1]))
            if span != (self.time.start, self.time.end):
                self.time.start, self.time.end = span
                self.events.time_range.emit(value=span)
            self.time.set_t(min(max(self.time.t, self.time.start), self.time.end))

    # view and options -------------------------------------------------------------------
    def full_extent(self, margin: float = 0.03) -> Extent:
        x0, y0, x1, y1 = self.dataset.bounds
        dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
        return (x0 - dx, y0 - dy, x1 + dx, y1 + dy)

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
            self.layer_states = ordered + rest
            if "time" in data:
                self.time.set_t(float(data["time"]))
            if data.get("view"):
                self.set_view(tuple(data["view"]))
            self.options = RenderOptions.from_dict(data.get("options", {}))
            self.swipe = SwipeState(**data.get("swipe", {}))
            self.basemap = data.get("basemap")
            self.events.reset.emit()
