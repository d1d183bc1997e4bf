"""The tile source base: decoded tiles kept in memory, and listeners told when a tile arrives or fails."""

from __future__ import annotations

import contextlib
import inspect
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable

import numpy as np

log = logging.getLogger(__name__)

ORIGIN = 20037508.342789244  # half the web mercator world width in metres
MEMORY_TILES = 256  # decoded tiles kept in memory (~64 MB)
Tile = tuple[int, int, int]  # z, x, y (XYZ: y from the top)


class TileSource:
    """Where tiles come from; subclasses implement ``_load`` (bytes or None)."""

    name = "tiles"
    attribution = ""
    min_zoom, max_zoom = 0, 19

    def __init__(self) -> None:
        self._memory: OrderedDict[Tile, np.ndarray | None] = OrderedDict()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], Callable[[], None] | None]] = []  # references
        self.failures = 0  # tiles that could not be had (network errors, garbage)
        self.version = 0  # grows whenever a tile arrives or fails: renders key their caches on it

    def on_tile(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` (from a download thread) when a tile arrives or fails.

        A bound method is held weakly, so a renderer that is gone stops listening; a listener that
        raises (e.g. a closed window's signal) is logged once and dropped.
        """
        self._listeners.append(weakref.WeakMethod(listener) if inspect.ismethod(listener)
                               else (lambda: listener))

    def tile(self, z: int, x: int, y: int) -> np.ndarray | None:
        """The tile as RGBA if it is at hand (memory, disk, file); else None."""
        key = (z, x, y)
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        rgba = self._load(z, x, y)
        if rgba is not None or not self.is_remote:
            self._remember(key, rgba)
        return rgba

    is_remote = False

    def pending(self) -> int:
        return 0

    def wait_for(self, tiles: Iterable[Tile], timeout: float) -> None:
        """Block until ``tiles`` are at hand or have failed (remote sources only)."""

    def _remember(self, key: Tile, rgba: np.ndarray | None) -> None:
        with self._lock:
            self._memory[key] = rgba
            while len(self._memory) > MEMORY_TILES:
                self._memory.popitem(last=False)

    def _notify(self) -> None:
        self.version += 1
        for ref in list(self._listeners):
            listener = ref()
            try:
                if listener is not None:
                    listener()
                    continue
            except Exception:  # noqa: BLE001 - a listener must not kill the fetch thread
                log.exception("tile listener failed; it is dropped")
            with contextlib.suppress(ValueError):
                self._listeners.remove(ref)

    def _load(self, z: int, x: int, y: int) -> np.ndarray | None:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the source holds (threads, connections); it may be used again after."""
