"""``.tvproj`` project files: a whole viewer session as human-readable JSON.

The file holds the layer files (relative to the project file), the layer states, time, view,
options, swipe, basemap and, opaquely, the exporter's settings. A file is checked as a whole
against one schema (``schema``, published as docs/project.schema.json) before anything is used.
Saving goes through the shared atomic writer and keeps the previous version as
``name.tvproj.bak``; loading never fails because a data file moved: the missing files are
reported in ``ProjectInfo.missing`` and can be loaded later with ``relocate``.
See docs/project-format.md.

``format``: constants, parsed forms, paths; ``schema``: the checker; ``store``: reading and
writing the file; ``session``: loading into a model, saving one, missing files.
"""

from terrain_viewer.core.project.format import (
    FORMAT,
    SUFFIX,
    VERSION,
    ProjectFile,
    ProjectFileEntry,
    ProjectInfo,
    is_project,
    split_projects,
)
from terrain_viewer.core.project.session import (
    ProjectSession,
    load_project,
    missing_files,
    missing_messages,
    project_dict,
    relocate,
    save_project,
)
from terrain_viewer.core.project.store import read_project

__all__ = ["FORMAT", "SUFFIX", "VERSION", "ProjectFile", "ProjectFileEntry", "ProjectInfo", "ProjectSession",
           "is_project", "load_project", "missing_files", "missing_messages", "project_dict", "read_project",
           "relocate", "save_project", "split_projects"]
