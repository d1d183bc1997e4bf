"""Reading a project file (a regular file, UTF-8 JSON, checked against the schema as a whole) and
writing one through the shared atomic writer (temp file, fsync, ``name.tvproj.bak``, rename)."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

from terrain_viewer.core.common.atomic import atomic_write_text, remove_stale_partials
from terrain_viewer.core.common.errors import ProjectError
from terrain_viewer.core.model import RenderOptions, SwipeState
from terrain_viewer.core.project.format import (
    BASEMAP_FILES,
    FORMAT,
    MAX_BYTES,
    SESSION_KEYS,
    VERSION,
    ProjectFile,
    ProjectFileEntry,
    norm,
)
from terrain_viewer.core.project.schema import HugeInt, check_document, parse_int


# ---- reading ------------------------------------------------------------------------------
def _read_bytes(path: Path) -> bytes:
    """The file's bytes; only a regular file is read (a FIFO or device would block or never end)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ProjectError("project file not found", path) from None
    except OSError as exc:
        raise ProjectError(f"cannot read: {exc.strerror or exc}", path) from exc
    if stat.S_ISDIR(info.st_mode):
        raise ProjectError("is a folder, not a project file", path)
    if not stat.S_ISREG(info.st_mode):
        raise ProjectError("not a regular file (a pipe, socket or device); not read", path)
    if info.st_size > MAX_BYTES:
        raise ProjectError(f"too large ({info.st_size} bytes) to be a project file", path)
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ProjectError(f"cannot read: {exc.strerror or exc}", path) from exc


def read_json(path: Path) -> object:
    """The parsed JSON of a project file; ProjectError with one line when it is not JSON text."""
    raw = _read_bytes(path)
    if not raw.strip():
        raise ProjectError("empty project file", path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectError("not a project file (not UTF-8 text)", path) from None
    try:
        return json.loads(text, parse_int=parse_int)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                           path) from None
    except RecursionError:
        raise ProjectError("not a project file (JSON nested too deeply)", path) from None


def check_header(data: object, path: Path) -> int:
    """The format version; a newer one is refused before any field is judged by this version."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProjectError(f'not a terrain_viewer project (no "format": "{FORMAT}")', path)
    version = data.get("version")
    if isinstance(version, (bool, HugeInt)) or not isinstance(version, int) or version < 1:
        raise ProjectError(f"bad project version {version!r} (expected a whole number >= 1)", path)
    if version > VERSION:
        raise ProjectError(f"made by a newer terrain_viewer (version {version}); "
                           f"this one reads up to {VERSION}", path)
    return version


def _entry(item: dict, folder: Path) -> ProjectFileEntry:
    stored = Path(item["path"])
    here = stored if stored.is_absolute() else folder / stored
    absolute = item.get("absolute")
    if not here.exists() and isinstance(absolute, str) and Path(absolute).exists():
        here = Path(absolute)  # the project moved, the data did not
    return ProjectFileEntry(Path(os.path.normpath(here)), list(item.get("layers", [])))


def _known(values: dict, cls: type) -> dict:
    names = set(cls.__dataclass_fields__)
    return {k: v for k, v in values.items() if k in names}


def read_project(path: str | Path) -> ProjectFile:
    """Parse and check a whole project file without loading its data; ProjectError if unusable."""
    path = Path(path)
    data = read_json(path)
    version = check_header(data, path)
    if problem := check_document(data):
        raise ProjectError(f"bad project: {problem}", path)
    folder = norm(path).parent
    files = [_entry(item, folder) for item in data.get("files", [])]
    session = {key: data[key] for key in SESSION_KEYS if key in data}
    for key, cls in (("options", RenderOptions), ("swipe", SwipeState)):
        if key in session:  # fields of a later version are ignored, not refused
            session[key] = _known(session[key], cls)
    basemap = session.get("basemap")
    for key in BASEMAP_FILES:
        if isinstance(basemap, dict) and isinstance(basemap.get(key), str):
            session["basemap"] = basemap = {**basemap, key: str(folder / basemap[key])}
    return ProjectFile(path, version, files, session, data.get("export"))


# ---- writing ------------------------------------------------------------------------------
def dumps(data: dict, path: Path) -> str:
    """The project's JSON text (readable, CJK as itself); NaN and the like are refused first."""
    try:
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"cannot store the session as JSON: {exc}", path) from exc


def _os_problem(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "cannot save: the disk is full; the previous project file is unchanged"
    return f"cannot save: {exc.strerror or exc}; the previous project file is unchanged"


def write_project_text(path: Path, text: str) -> Path:
    """Write a project atomically with the shared writer, keeping ``name.tvproj.bak``; then clean
    the temp files an earlier, killed save left (an hour old or more)."""
    if path.is_dir():
        raise ProjectError("cannot save: is a folder", path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        problem = f"{folder} is a file, not a folder" if folder.exists() else "the folder does not exist"
        raise ProjectError(f"cannot save: {problem}", path)
    try:
        atomic_write_text(path, text, backup=True, error=ProjectError)
    except ProjectError as exc:
        if isinstance(exc.__cause__, OSError):
            raise ProjectError(_os_problem(exc.__cause__), path) from exc.__cause__
        raise
    remove_stale_partials(path)
    return path
