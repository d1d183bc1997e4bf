"""The on-disk tile cache: bounded in size (least recently used tiles go first) and honouring the
server's freshness (``Cache-Control: max-age`` / ``no-store`` / ``no-cache``, ``Expires``).

A tile is ``<root>/<source>/<z>/<x>/<y>.tile`` and its expiry time (seconds since the epoch) is in
``<y>.expires`` beside it. Reading a tile touches its mtime, so mtime orders tiles by last use; a
stale tile is still shown while a fresh copy is fetched.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import math
import os
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from terrain_viewer.core.common.files import temp_file_beside

log = logging.getLogger(__name__)

CACHE_BYTES = 500 * 1024 * 1024  # the whole tile cache (all sources); oldest-used tiles go first
DEFAULT_FRESH = 7 * 86400.0  # seconds a tile stays fresh when the server says nothing
PRUNE_EVERY = 200  # tiles written between two size checks
Key = tuple[int, int, int]


def freshness(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds since the epoch until which a response is fresh; None when it must not be stored."""
    control = (headers.get("Cache-Control") or "").lower()
    if "no-store" in control:
        return None
    if "no-cache" in control:
        return now
    age = re.search(r"max-age\s*=\s*(\d+)", control)
    if age:
        return now + float(age.group(1))
    expires = headers.get("Expires")
    if expires:
        with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
            return email.utils.parsedate_to_datetime(expires).timestamp()
        return now  # an unparseable Expires (often "0") means already expired
    return now + DEFAULT_FRESH


class DiskCache:
    """Tiles of one source under ``root/folder``; the size cap applies to all of ``root``."""

    def __init__(self, root: Path, folder: str, cap_bytes: int = CACHE_BYTES):
        self.root, self.dir, self.cap = root, root / folder, cap_bytes
        self._writes = 0
        self._lock = threading.Lock()

    def path(self, key: Key) -> Path:
        z, x, y = key
        return self.dir / str(z) / str(x) / f"{y}.tile"

    def read(self, key: Key) -> tuple[bytes | None, bool]:
        """The cached bytes (or None) and whether they are stale."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None, False
        with contextlib.suppress(OSError):
            os.utime(path)  # last used now (LRU by mtime)
        try:
            expires = float(path.with_suffix(".expires").read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            expires = 0.0
        return data, time.time() >= expires

    def write(self, key: Key, data: bytes, headers: Mapping[str, str]) -> None:
        """Store a tile atomically with its expiry (a failure only costs a later download)."""
        expires = freshness(headers, time.time())
        if expires is None:
            return
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            stamp = str(math.floor(expires)).encode()
            for target, payload in ((path.with_suffix(".expires"), stamp), (path, data)):
                fd, tmp = temp_file_beside(path.parent, ".tile-", ".tmp")
                with os.fdopen(fd, "wb") as handle:
                    handle.write(payload)
                os.replace(tmp, target)
        except OSError as exc:
            log.warning("cannot cache tile %s: %s", path, exc)
            return
        with self._lock:
            self._writes += 1
            due = self._writes % PRUNE_EVERY == 1
        if due:
            self.prune()

    def prune(self) -> int:
        """Delete least recently used tiles until the cache is under 90% of its cap; bytes freed."""
        tiles = []
        for path in self.root.rglob("*.tile"):
            with contextlib.suppress(OSError):
                st = path.stat()
                tiles.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in tiles)
        if total <= self.cap:
            return 0
        freed = 0
        for _, size, path in sorted(tiles):
            if total - freed <= self.cap * 0.9:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                path.with_suffix(".expires").unlink(missing_ok=True)
                freed += size
        return freed
