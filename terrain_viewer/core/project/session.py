"""Opening and saving a whole session, and the files a project names that are missing.

What a loaded project still owes (its missing files and the time it was saved at) lives in a
``ProjectSession`` on the model it was loaded into (``model.project_session``), not in module
state: whoever holds the model holds it.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pyproj.exceptions import ProjError

from terrain_viewer.core.common.errors import DataError, ProjectError
from terrain_viewer.core.data.layers import open_dataset
from terrain_viewer.core.model import Extent, LayerState, ViewerModel
from terrain_viewer.core.project.format import (
    BASEMAP_FILES,
    FORMAT,
    SESSION_KEYS,
    UNSET_KEYS,
    VERSION,
    ProjectInfo,
    norm,
    stored_path,
)
from terrain_viewer.core.project.store import dumps, read_project, write_project_text

WORLD_MARGIN = 10.0  # a view may reach this many data widths beyond the data, no further
MIN_VIEW = 1e-6  # the smallest view, as a fraction of the data's extent


@dataclass
class ProjectSession:
    """A loaded project's unfinished business, kept on its model as ``model.project_session``.

    ``pending``: missing data file → the layer names it gave. ``saved_time``: (saved time, time
    after loading); loading clips the time to the data found, so the saved time is kept (and saved
    again) until the user moves the time or the files are found.
    """

    pending: dict[Path, list[str]] = field(default_factory=dict)
    saved_time: tuple[float, float] | None = None


def session_of(model: ViewerModel) -> ProjectSession:
    """The model's project session (an empty one when it was not loaded from a project)."""
    return getattr(model, "project_session", None) or ProjectSession()


# ---- saving -------------------------------------------------------------------------------
def _file_layers(model: ViewerModel) -> dict[Path, list[str]]:
    """Absolute data path → the names of the layers it gave (pending ones included)."""
    out: dict[Path, list[str]] = {Path(os.path.abspath(p)): [] for p in model.paths}
    for obj in list(model.dataset.rasters) + list(model.dataset.layers):
        out.setdefault(Path(os.path.abspath(obj.path)), []).append(obj.name)
    for path, names in session_of(model).pending.items():
        out.setdefault(path, []).extend(n for n in names if n not in out.get(path, []))
    return {path: names for path, names in out.items() if names}  # a file that gave no layer: not saved


def project_dict(model: ViewerModel, path: str | Path, export: dict | None = None) -> dict:
    """The JSON-able content of a project file for ``model`` saved at ``path``."""
    folder = Path(os.path.abspath(path)).parent
    session = model.to_dict()
    files = [{**stored_path(p, folder), "layers": names} for p, names in _file_layers(model).items()]
    data = {"format": FORMAT, "version": VERSION, "files": files}
    data.update({key: session[key] for key in SESSION_KEYS
                 if key in session and not (key in UNSET_KEYS and session[key] is None)})
    if (saved := _saved_time(model)) is not None:
        data["time"] = saved
    basemap = data.get("basemap")
    for key in BASEMAP_FILES:
        if isinstance(basemap, dict) and basemap.get(key):
            data["basemap"] = basemap = {**basemap, key: stored_path(Path(basemap[key]), folder)["path"]}
    if export is not None:
        data["export"] = export
    return data


def save_project(model: ViewerModel, path: str | Path, export: dict | None = None) -> Path:
    """Save the session (and the exporter's settings, stored as given) to ``path`` atomically."""
    path = Path(path)
    return write_project_text(path, dumps(project_dict(model, path, export), path))


# ---- loading ------------------------------------------------------------------------------
def _one_line(text: str) -> str:
    return " ".join(text.split())


def unknown_crs(project, exc: Exception) -> ProjectError:
    """The project's map_crs that pyproj does not know, said in one line."""
    crs = project.session.get("map_crs")
    return ProjectError(f"bad project: map_crs: expected a CRS pyproj knows, got {crs!r} "
                        f"({_one_line(str(exc))})", project.path)


def check_map_crs(project) -> None:
    """Raise the ProjectError opening ``project`` would for a map_crs pyproj does not know
    (``project-info`` said nothing of one that ``render`` refused)."""
    from pyproj import CRS

    crs = project.session.get("map_crs")
    if crs is not None:
        try:
            CRS.from_user_input(crs)
        except ProjError as exc:
            raise unknown_crs(project, exc) from exc


def _open_data(project, present: list[Path]):
    """The project's data in its map CRS; a CRS that cannot show the data is a ProjectError."""
    crs = project.session.get("map_crs")
    try:
        dataset = open_dataset(present, map_crs=crs)
    except ProjError as exc:  # CRSError and the others: a map_crs pyproj does not know
        raise unknown_crs(project, exc) from exc
    nothing_left = (dataset.layers and not dataset.rasters and dataset.problems
                    and not any(len(layer.gdf) for layer in dataset.layers))  # all features skipped
    if nothing_left or not all(math.isfinite(v) for v in dataset.bounds):
        raise ProjectError(f"bad project: map_crs: expected a CRS the data can be drawn in, got {crs!r} "
                           "(the data's coordinates do not project into it)", project.path)
    return dataset


def clamp_view(view: Extent, world: Extent) -> Extent:
    """``view`` kept within ``WORLD_MARGIN`` data widths of ``world`` and no smaller than
    ``MIN_VIEW`` of it; a view wholly outside becomes ``world``."""
    wx0, wy0, wx1, wy1 = world
    w, h = max(wx1 - wx0, 1.0), max(wy1 - wy0, 1.0)
    x0, y0 = max(view[0], wx0 - WORLD_MARGIN * w), max(view[1], wy0 - WORLD_MARGIN * h)
    x1, y1 = min(view[2], wx1 + WORLD_MARGIN * w), min(view[3], wy1 + WORLD_MARGIN * h)
    if x1 - x0 < MIN_VIEW * w or y1 - y0 < MIN_VIEW * h:
        return world
    return (x0, y0, x1, y1)


def load_project(path: str | Path) -> tuple[ViewerModel, ProjectInfo]:
    """Open a project: check it whole, load its files, restore the session, mark missing files."""
    project = read_project(path)
    present = [e.path for e in project.files if e.exists]
    missing = [e for e in project.files if not e.exists]
    dataset = _open_data(project, present)
    objs = list(dataset.layers) + list(dataset.rasters)
    _restore_names(objs, {e.path: e.layers for e in project.files}, {o.name for o in objs})
    model = ViewerModel(dataset, [e.path for e in project.files])
    try:
        _apply_session(model, project.session, {n for e in missing for n in e.layers})
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise ProjectError(f"bad project: {_one_line(str(exc))}", project.path) from exc
    if missing:
        saved = (float(project.session["time"]), model.time.t) if "time" in project.session else None
        model.project_session = ProjectSession({e.path: list(e.layers) for e in missing}, saved)
    problems = list(dataset.problems) + missing_messages(model) + _lost_layers(project, objs)
    return model, ProjectInfo(project.path, [e.path for e in missing], project.export, problems)


def _lost_layers(project, objs: list) -> list[str]:
    """One line per layer the project saved for a file that is there but no longer gives it (a
    layer gone from the file, or a second copy of one under a session's name): its settings go."""
    loaded = {o.name for o in objs}
    return [ProjectError(f"layer {name!r} saved in the project is not in this file (now): its settings "
                         "were dropped", e.path).message
            for e in project.files if e.exists for name in e.layers if name not in loaded]


def _apply_session(model: ViewerModel, session: dict, pending: set[str]) -> None:
    """``model.apply_dict`` plus: keep the states of layers whose file is missing, in place;
    a view beyond the data's world is clamped to it."""
    model.apply_dict({k: v for k, v in session.items() if k != "view"})
    if session.get("view") and (model.dataset.layers or model.dataset.rasters):
        model.set_view(clamp_view(tuple(session["view"]), model.full_extent()))
    elif session.get("view"):
        model.set_view(tuple(session["view"]))  # no data yet: kept as saved
    saved = [LayerState(**s) for s in session.get("layers", [])]
    loaded = {s.name: s for s in model.layer_states}
    order = [loaded.pop(s.name, None) or (s if s.name in pending else None) for s in saved]
    model.layer_states = [s for s in order if s is not None] + list(loaded.values())


# ---- missing files ------------------------------------------------------------------------
def _saved_time(model: ViewerModel) -> float | None:
    saved = session_of(model).saved_time
    return saved[0] if saved is not None and model.time.t == saved[1] else None


def missing_files(model: ViewerModel) -> dict[Path, list[str]]:
    """The model's data files that were not found when its project was opened → their layers."""
    return {p: list(names) for p, names in session_of(model).pending.items()}


def _base_name(name: str) -> str:
    """``units (second)`` → ``units``: the source layer name under a clash-avoiding suffix."""
    return re.sub(r" \([^()]*\)$", "", name)


def _restore_names(objs: list, expected: dict[Path, list[str]], taken: set[str]) -> None:
    """Give loaded layers the names their saved states have (``units (second)`` for ``units``).

    Names get a suffix when files clash; which file got it depends on what loaded, so the
    saved name of the same source layer of the same file wins when it is free.
    """
    for obj in objs:
        names = expected.get(norm(obj.path), [])
        if obj.name in names:
            continue
        match = next((n for n in names if _base_name(n) == _base_name(obj.name) and n not in taken), None)
        if match is not None:
            taken.discard(obj.name)
            obj.name = match
            taken.add(match)


def missing_messages(model: ViewerModel) -> list[str]:
    """One line per missing data file of the model, for the problems list."""
    return [ProjectError("data file not found; use Locate… to point to its new place", p).message
            for p in missing_files(model)]


def relocate(model: ViewerModel, old_path: str | Path, new_path: str | Path) -> list[str]:
    """Load the layers of missing file ``old_path`` from ``new_path``; keep their saved states.

    Returns the problems met while loading (and saved layers the new file lacks); raises
    DataError when ``new_path`` gives no layer or none of the expected ones (the file stays
    missing) and ProjectError when ``old_path`` is not a missing file.
    """
    old, new = norm(old_path), Path(new_path)
    session = session_of(model)
    if old not in session.pending:
        raise ProjectError("not a missing file of this project", old)
    extra = open_dataset([new], map_crs=model.dataset.map_crs)
    if not extra.layers and not extra.rasters:
        if extra.problems:
            raise DataError(extra.problems[0])  # already names the file and the layer
        raise DataError("no layers", new)
    expected = session.pending[old]
    objs = list(extra.layers) + list(extra.rasters)
    taken = {o.name for o in model.dataset.layers + model.dataset.rasters}
    _restore_names(objs, {norm(new): expected}, taken)
    found = {o.name for o in objs}
    if expected and not found & set(expected):
        raise DataError(f"has none of the project's layers ({', '.join(expected)}); wrong file?", new)
    lost = [n for n in expected if n not in found]
    session.pending.pop(old)
    model.paths = [new if Path(os.path.abspath(p)) == old else p for p in model.paths]
    saved = _saved_time(model)  # before merging moves the time range
    with model.events.batch():  # the pending layers had states already: announce their data
        problems = model.merge_dataset(extra, group="added")  # keeps the saved states of these layers
        for name in sorted(found & set(expected)):
            model.events.layer_added.emit(name)
    if lost:
        problems = [*problems, DataError(f"layers not in this file: {', '.join(lost)}", new).message]
    if saved is not None:
        model.time.set_t(saved)
    if not session.pending:
        session.saved_time = None
    return list(problems)
