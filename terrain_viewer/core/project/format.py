"""The ``.tvproj`` format's constants, the parsed forms of a project, and how paths are stored."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

FORMAT = "terrain_viewer project"
VERSION = 1
SUFFIX = ".tvproj"
MAX_BYTES = 50 * 1024 * 1024  # a project is a few kB; anything this big is the wrong file
BASEMAP_FILES = ("mbtiles", "gpkg")  # basemap keys holding a file path (stored relative)
SESSION_KEYS = ("map_crs", "layers", "time", "time_range", "follow", "view", "options", "swipe", "basemap")
UNSET_KEYS = ("time_range", "follow")  # left out of a project while not set (null is not theirs)


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


def is_project(path: str | Path) -> bool:
    """Whether ``path`` names a project file (by its ``.tvproj`` suffix)."""
    return Path(path).suffix.lower() == SUFFIX


def split_projects(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """``paths`` as (project files, data files)."""
    paths = [Path(p) for p in paths]
    return [p for p in paths if is_project(p)], [p for p in paths if not is_project(p)]


def stored_path(path: Path, folder: Path) -> dict:
    """``{"path": relative POSIX path (absolute on another drive), "absolute": fallback}``."""
    absolute = Path(os.path.abspath(path))
    try:
        relative = PurePosixPath(Path(os.path.relpath(absolute, folder)).as_posix())
    except ValueError:  # another drive (Windows)
        return {"path": str(absolute), "absolute": str(absolute)}
    return {"path": str(relative), "absolute": str(absolute)}


def norm(path: str | Path) -> Path:
    """An absolute, normalised path (symlinks not resolved), the key of a file in a project."""
    return Path(os.path.normpath(os.path.abspath(path)))
