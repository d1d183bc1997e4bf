"""The user's cache folder: ``TERRAIN_VIEWER_CACHE_DIR`` moves it, ``TERRAIN_VIEWER_CACHE_DIR=off``
turns every disk cache off. What is kept there only saves time: losing it loses nothing."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

ENV = "TERRAIN_VIEWER_CACHE_DIR"
PARTIAL_AGE_S = 60.0  # a hidden partial write this old was cut short by its process's end


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


def cache_folder(name: str) -> Path | None:
    """The cache folder ``name`` inside the cache root (None: disk caches off)."""
    root = cache_root()
    return None if root is None else root / name


def keep_newest(folder: Path, suffix: str, count: int, partial_age_s: float = PARTIAL_AGE_S) -> None:
    """Remove the entries of ``folder`` (files ending in ``suffix``) beyond the ``count`` newest
    by modification time (a read touches its entry), and the hidden partial writes
    (``atomic.atomic_path``) older than ``partial_age_s``: cut short by their process's end (no
    write takes that long), they would otherwise stay, and counted among the entries."""
    entries = sorted((p for p in folder.glob(f"*{suffix}") if not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[count:]:
        old.unlink(missing_ok=True)
    for stale in folder.glob(".*.partial-*"):
        if time.time() - stale.stat().st_mtime > partial_age_s:
            stale.unlink(missing_ok=True)
