"""The window's style sheet and icon from ``resources/`` (the repository's, or an installed copy)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PyQt6.QtGui import QIcon

HERE = Path(__file__).resolve().parent


@cache
def folder() -> Path | None:
    """``terrain_viewer/resources`` when installed, else the repository's ``resources``."""
    for candidate in (HERE.parent / "resources", HERE.parent.parent / "resources"):
        if (candidate / "styles").is_dir():
            return candidate
    return None


def style_sheet() -> str:
    """The Qt style sheet ('' when the resources are missing: Qt's default look)."""
    base = folder()
    path = base / "styles" / "terrain_viewer.qss" if base else None
    return path.read_text(encoding="utf-8") if path and path.exists() else ""


def icon() -> QIcon:
    """The application icon (an empty icon when missing)."""
    base = folder()
    path = base / "icons" / "terrain_viewer.svg" if base else None
    return QIcon(str(path)) if path and path.exists() else QIcon()
