"""The user's cache folder: ``TERRAIN_VIEWER_CACHE_DIR`` moves it, ``TERRAIN_VIEWER_CACHE_DIR=off``
turns every disk cache off. What is kept there only saves time: losing it loses nothing."""

from __future__ import annotations

import functools
import os
from pathlib import Path

ENV = "TERRAIN_VIEWER_CACHE_DIR"


@functools.cache
def cache_root() -> Path | None:
    """The folder the disk caches live in (None: disk caches off)."""
    override = os.environ.get(ENV)
    if override is not None and override.strip().lower() in ("", "off", "0", "none"):
        return None
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("terrain_viewer", appauthor=False))
