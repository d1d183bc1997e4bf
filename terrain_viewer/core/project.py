"""``.tvproj`` project files: a whole viewer session as human-readable JSON.

The file holds the layer files (relative to the project file), the layer states, time, view,
options, swipe, basemap and, opaquely, the exporter's settings. Saving is atomic and keeps the
previous version as ``name.tvproj.bak``; loading never fails because a data file moved: the
missing files are reported in ``ProjectInfo.missing`` and can be loaded later with ``relocate``.
See docs/project-format.md.
"""

from __future__ import annotations

import errno
import glob
import json
import math
import os
import re
import shutil
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath

from terrain_viewer.core.common.errors import DataError, ProjectError
from terrain_viewer.core.common.files import temp_file_beside
from terrain_viewer.core.data.layers import open_dataset
from terrain_viewer.core.model import LayerState, RenderOptions, SwipeState, ViewerModel

FORMAT = "terrain_viewer project"
VERSION = 1
SUFFIX = ".tvproj"
MAX_BYTES = 50 * 1024 * 1024  # a project is a few kB; anything this big is the wrong file
BASEMAP_FILES = ("mbtiles", "gpkg")  # basemap keys holding a file path (stored relative)
SESSION_KEYS = ("map_crs", "layers", "time", "view", "options", "swipe", "basemap")

# files of a loaded project that were missing, per model: {absolute path: [layer names]}
_PENDING: weakref.WeakKeyDictionary[ViewerModel, dict[Path, list[str]]] = weakref.WeakKeyDictionary()
# (saved time, time after loading) of such a model: loading clips the time to the data found,
# so the saved time is kept (and saved again) until the user moves the time or the files are found
_SAVED_TIME: weakref.WeakKeyDictionary[ViewerModel, tuple[float, float]] = weakref.WeakKeyDictionary()


@dataclass
class ProjectFileEntry:
    """One data file named by a project: where it is now and which layers it gave."""

    path: Path
    layers: list[str]

    @property
    def exists(self) -> bool:
        return self.path.exists()


@dataclass
class ProjectFile:
    """A parsed and checked project file, before any data is loaded."""

    path: Path
    version: int
    files: list[ProjectFileEntry]
    session: dict
    export: dict | None = None


@dataclass
class ProjectInfo:
    """What ``load_project`` found besides the model."""

    path: Path
    missing: list[Path] = field(default_factory=list)
    export: dict | None = None
    problems: list[str] = field(default_factory=list)


# ---- writing ------------------------------------------------------------------------------
def is_project(path: str | Path) -> bool:
    """Whether ``path`` names a project file (by its ``.tvproj`` suffix)."""
    return Path(path).suffix.lower() == SUFFIX


def split_projects(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """``paths`` as (project files, data files)."""
    paths = [Path(p) for p in paths]
    return [p for p in paths if is_project(p)], [p for p in paths if not is_project(p)]


def _stored_path(path: Path, folder: Path) -> dict:
    """``{"path": relative POSIX path (absolute on another drive), "absolute": fallback}``."""
    absolute = Path(os.path.abspath(path))
    try:
        relative = PurePosixPath(Path(os.path.relpath(absolute, folder)).as_posix())
    except ValueError:  # another drive (Windows)
        return {"path": str(absolute), "absolute": str(absolute)}
    return {"path": str(relative), "absolute": str(absolute)}


def _file_layers(model: ViewerModel) -> dict[Path, list[str]]:
    """Absolute data path → the names of the layers it gave (pending ones included)."""
    out: dict[Path, list[str]] = {Path(os.path.abspath(p)): [] for p in model.paths}
    for obj in list(model.dataset.rasters) + list(model.dataset.layers):
        out.setdefault(Path(os.path.abspath(obj.path)), []).append(obj.name)
    for path, names in _PENDING.get(model, {}).items():
        out.setdefault(path, []).extend(n for n in names if n not in out.get(path, []))
    return out


def project_dict(model: ViewerModel, path: str | Path, export: dict | None = None) -> dict:
    """The JSON-able content of a project file for ``model`` saved at ``path``."""
    folder = Path(os.path.abspath(path)).parent
    session = model.to_dict()
    files = [{**_stored_path(p, folder), "layers": names} for p, names in _file_layers(model).items()]
    data = {"format": FORMAT, "version": VERSION, "files": files}
    data.update({key: session[key] for key in SESSION_KEYS if key in session})
    if _saved_time(model) is not None:
        data["time"] = _saved_time(model)
    basemap = data.get("basemap")
    for key in BASEMAP_FILES:
        if isinstance(basemap, dict) and basemap.get(key):
            data["basemap"] = basemap = {**basemap, key: _stored_path(Path(basemap[key]), folder)["path"]}
    if export is not None:
        data["export"] = export
    return data


def _dumps(data: dict, path: Path) -> str:
    try:
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"cannot store the session as JSON: {exc}", path) from exc


def _write_chunks(handle, data: bytes) -> None:
    """Write ``data`` to an open binary file (a seam the save-kill test slows down)."""
    handle.write(data)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; best effort (some file systems cannot fsync a folder)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _os_problem(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "cannot save: the disk is full; the previous project file is unchanged"
    return f"cannot save: {exc.strerror or exc}; the previous project file is unchanged"


def atomic_write_text(path: str | Path, text: str, backup: bool = True) -> Path:
    """Write ``text`` to ``path`` so that a crash at any moment leaves the old or the new file.

    The text goes to a temp file in the same folder, is fsynced, the old file is copied to
    ``path.bak`` (when ``backup``), then the temp file replaces ``path``.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ProjectError("cannot save: the folder does not exist", path)
    tmp: Path | None = None
    try:
        fd, tmp = temp_file_beside(folder, f".{path.name}.", ".tmp")
        with os.fdopen(fd, "wb") as handle:
            _write_chunks(handle, text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        if backup and path.is_file():
            _copy_atomically(path, path.with_name(path.name + ".bak"))
        os.replace(tmp, path)
        tmp = None
        _fsync_folder(folder)
        _remove_stale_temps(path)
    except OSError as exc:
        raise ProjectError(_os_problem(exc), path) from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path


def _remove_stale_temps(path: Path, age_s: float = 3600.0) -> None:
    """Delete temp files an earlier save left when it was killed (old enough not to be in use)."""
    limit = time.time() - age_s
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        try:
            if stale.stat().st_mtime < limit:
                stale.unlink()
        except OSError:
            pass


def _copy_atomically(source: Path, target: Path) -> None:
    fd, tmp = temp_file_beside(target.parent, f".{target.name}.", ".tmp")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def save_project(model: ViewerModel, path: str | Path, export: dict | None = None) -> Path:
    """Save the session (and the exporter's settings, stored as given) to ``path`` atomically."""
    path = Path(path)
    if path.is_dir():
        raise ProjectError("cannot save: is a folder", path)
    return atomic_write_text(path, _dumps(project_dict(model, path, export), path))


# ---- reading ------------------------------------------------------------------------------
def _read_json(path: Path) -> object:
    if not path.exists():
        raise ProjectError("project file not found", path)
    if path.is_dir():
        raise ProjectError("is a folder, not a project file", path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ProjectError(f"too large ({size} bytes) to be a project file", path)
        raw = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"cannot read: {exc.strerror or exc}", path) from exc
    if not raw.strip():
        raise ProjectError("empty project file", path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectError("not a project file (not UTF-8 text)", path) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                           path) from None
    except RecursionError:
        raise ProjectError("not a project file (JSON nested too deeply)", path) from None


def _check_header(data: object, path: Path) -> int:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProjectError(f'not a terrain_viewer project (no "format": "{FORMAT}")', path)
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProjectError(f"bad project version {version!r} (expected a whole number >= 1)", path)
    if version > VERSION:
        raise ProjectError(f"made by a newer terrain_viewer (version {version}); "
                           f"this one reads up to {VERSION}", path)
    return version


def _expect(ok: bool, path: Path, what: str) -> None:
    if not ok:
        raise ProjectError(f"bad project: {what}", path)


def _check_session(data: dict, path: Path) -> None:
    """Type checks of every field the model will read, each failure a one-line message."""
    _expect(isinstance(data.get("files", []), list), path, '"files" must be a list')
    _expect(isinstance(data.get("layers", []), list), path, '"layers" must be a list')
    for i, state in enumerate(data.get("layers", [])):
        _expect(isinstance(state, dict) and isinstance(state.get("name"), str), path,
                f'"layers"[{i}] must be an object with a "name"')
        opacity = state.get("opacity", 1.0)
        _expect(_is_number(opacity) and 0 <= opacity <= 1, path, f'"layers"[{i}] opacity must be 0..1')
        _expect(isinstance(state.get("style", {}), dict), path, f'"layers"[{i}] style must be an object')
        _expect(isinstance(state.get("visible", True), bool), path,
                f'"layers"[{i}] visible must be true or false')
        _expect(isinstance(state.get("group", ""), str), path, f'"layers"[{i}] group must be a string')
        unknown = set(state) - {"name", "visible", "opacity", "group", "style"}
        _expect(not unknown, path, f'"layers"[{i}] has unknown keys {sorted(unknown)}')
    names = [state["name"] for state in data.get("layers", [])]
    twice = sorted({n for n in names if names.count(n) > 1})
    _expect(not twice, path, f'"layers" lists {twice[0]!r} twice' if twice else "")
    if "time" in data:
        _expect(_is_number(data["time"]) and math.isfinite(data["time"]), path, '"time" must be a number')
    view = data.get("view")
    if view is not None:
        _expect(isinstance(view, list) and len(view) == 4 and all(_is_number(v) for v in view)
                and view[2] > view[0] and view[3] > view[1], path,
                '"view" must be [xmin, ymin, xmax, ymax] with xmax > xmin and ymax > ymin')
    for key, cls in (("options", RenderOptions), ("swipe", SwipeState)):
        _expect(isinstance(data.get(key, {}), dict), path, f'"{key}" must be an object')
        _check_fields(data.get(key, {}), cls, key, path)
    position = data.get("swipe", {}).get("position", 0.5)
    _expect(0 <= position <= 1, path, '"swipe" position must be 0..1')
    _expect(data.get("basemap") is None or isinstance(data["basemap"], dict), path,
            '"basemap" must be an object or null')
    _expect(data.get("export") is None or isinstance(data["export"], dict), path,
            '"export" must be an object or null')


def _check_fields(values: dict, cls: type, key: str, path: Path) -> None:
    """Known fields must have their default's type (numbers: any finite number); others are ignored."""
    for f in fields(cls):
        if f.name not in values:
            continue
        default, value = f.default, values[f.name]
        ok = _is_number(value) if isinstance(default, float) else type(value) is type(default)
        _expect(ok, path, f'"{key}" {f.name} must be {type(default).__name__}, not {json.dumps(value)[:40]}')


def _known(values: dict, cls: type) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in values.items() if k in names}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _entry(item: object, folder: Path, path: Path, i: int) -> ProjectFileEntry:
    _expect(isinstance(item, dict) and isinstance(item.get("path"), str) and item["path"], path,
            f'"files"[{i}] must be an object with a "path"')
    layers = item.get("layers", [])
    _expect(isinstance(layers, list) and all(isinstance(n, str) for n in layers), path,
            f'"files"[{i}] "layers" must be a list of names')
    stored = Path(item["path"])
    here = stored if stored.is_absolute() else folder / stored
    absolute = item.get("absolute")
    if not here.exists() and isinstance(absolute, str) and Path(absolute).exists():
        here = Path(absolute)  # the project moved, the data did not
    return ProjectFileEntry(Path(os.path.normpath(here)), list(layers))


def read_project(path: str | Path) -> ProjectFile:
    """Parse and check a project file without loading its data; raise ProjectError if unusable."""
    path = Path(path)
    data = _read_json(path)
    version = _check_header(data, path)
    _check_session(data, path)
    folder = Path(os.path.abspath(path)).parent
    files = [_entry(item, folder, path, i) for i, item in enumerate(data.get("files", []))]
    session = {key: data[key] for key in SESSION_KEYS if key in data}
    for key, cls in (("options", RenderOptions), ("swipe", SwipeState)):
        if key in session:  # fields of a later version are ignored, not refused
            session[key] = _known(session[key], cls)
    basemap = session.get("basemap")
    for key in BASEMAP_FILES:
        if isinstance(basemap, dict) and isinstance(basemap.get(key), str):
            session["basemap"] = basemap = {**basemap, key: str(folder / basemap[key])}
    return ProjectFile(path, version, files, session, data.get("export"))


def load_project(path: str | Path) -> tuple[ViewerModel, ProjectInfo]:
    """Open a project: load its files, restore the session, mark the files that are missing."""
    project = read_project(path)
    present = [e.path for e in project.files if e.exists]
    missing = [e for e in project.files if not e.exists]
    try:
        dataset = open_dataset(present, map_crs=project.session.get("map_crs"))
    except Exception as exc:  # a bad map_crs string is the only way here (pyproj's error)
        raise ProjectError(f"bad map CRS {project.session.get('map_crs')!r}: {_one_line(str(exc))}",
                           project.path) from exc
    objs = list(dataset.layers) + list(dataset.rasters)
    _restore_names(objs, {e.path: e.layers for e in project.files}, {o.name for o in objs})
    model = ViewerModel(dataset, [e.path for e in project.files])
    try:
        _apply_session(model, project.session, {n for e in missing for n in e.layers})
    except (TypeError, ValueError, KeyError) as exc:
        raise ProjectError(f"bad project: {_one_line(str(exc))}", project.path) from exc
    if missing:
        _PENDING[model] = {e.path: list(e.layers) for e in missing}
        if "time" in project.session:
            _SAVED_TIME[model] = (float(project.session["time"]), model.time.t)
    problems = list(dataset.problems) + missing_messages(model)
    return model, ProjectInfo(project.path, [e.path for e in missing], project.export, problems)


def _apply_session(model: ViewerModel, session: dict, pending: set[str]) -> None:
    """``model.apply_dict`` plus: keep the states of layers whose file is missing, in place."""
    model.apply_dict(session)
    saved = [LayerState(**s) for s in session.get("layers", [])]
    loaded = {s.name: s for s in model.layer_states}
    order = [loaded.pop(s.name, None) or (s if s.name in pending else None) for s in saved]
    model.layer_states = [s for s in order if s is not None] + list(loaded.values())


# ---- missing files ------------------------------------------------------------------------
def _saved_time(model: ViewerModel) -> float | None:
    saved, clipped = _SAVED_TIME.get(model, (None, None))
    return saved if saved is not None and model.time.t == clipped else None


def missing_files(model: ViewerModel) -> dict[Path, list[str]]:
    """The model's data files that were not found when its project was opened → their layers."""
    return {p: list(names) for p, names in _PENDING.get(model, {}).items()}


def _base_name(name: str) -> str:
    """``units (second)`` → ``units``: the source layer name under a clash-avoiding suffix."""
    return re.sub(r" \([^()]*\)$", "", name)


def _restore_names(objs: list, expected: dict[Path, list[str]], taken: set[str]) -> None:
    """Give loaded layers the names their saved states have (``units (second)`` for ``units``).

    Names get a suffix when files clash; which file got it depends on what loaded, so the
    saved name of the same source layer of the same file wins when it is free.
    """
    for obj in objs:
        names = expected.get(_norm(obj.path), [])
        if obj.name in names:
            continue
        match = next((n for n in names if _base_name(n) == _base_name(obj.name) and n not in taken), None)
        if match is not None:
            taken.discard(obj.name)
            obj.name = match
            taken.add(match)


def _norm(path: str | Path) -> Path:
    return Path(os.path.normpath(os.path.abspath(path)))


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
    old, new = _norm(old_path), Path(new_path)
    pending = _PENDING.get(model, {})
    if old not in pending:
        raise ProjectError("not a missing file of this project", old)
    extra = open_dataset([new], map_crs=model.dataset.map_crs)
    if not extra.layers and not extra.rasters:
        if extra.problems:
            raise DataError(extra.problems[0])  # already names the file and the layer
        raise DataError("no layers", new)
    expected = pending[old]
    objs = list(extra.layers) + list(extra.rasters)
    taken = {o.name for o in model.dataset.layers + model.dataset.rasters}
    _restore_names(objs, {_norm(new): expected}, taken)
    found = {o.name for o in objs}
    if expected and not found & set(expected):
        raise DataError(f"has none of the project's layers ({', '.join(expected)}); wrong file?", new)
    lost = [n for n in expected if n not in found]
    pending.pop(old)
    model.paths = [new if Path(os.path.abspath(p)) == old else p for p in model.paths]
    saved = _saved_time(model)  # before merging moves the time range
    problems = model.merge_dataset(extra, group="added")  # keeps the saved states of these layers
    if lost:
        problems = [*problems, DataError(f"layers not in this file: {', '.join(lost)}", new).message]
    if saved is not None:
        model.time.set_t(saved)
    if not pending:
        _PENDING.pop(model, None)
        _SAVED_TIME.pop(model, None)
    return list(problems)
