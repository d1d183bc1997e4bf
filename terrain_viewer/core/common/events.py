"""Specific, disconnectable, batchable change events for Qt-free models (after napari and glue).

A model owns an :class:`Events` group; each change kind is a :class:`Signal` that listeners
connect to and disconnect from. ``with events.batch():`` holds emissions back and then emits each
(kind, layer) once, in the order first seen, so a project load or a merge tells a listener once.
A view binds its callbacks through :class:`Links`, which disconnects them all when the view is
rebound to another model.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """What changed: ``kind`` (the signal's name), the layer it concerns (if any) and a value."""

    kind: str
    layer: str | None = None
    value: object = None


Callback = Callable[[Change], None]


class Signal:
    """One kind of change. ``connect`` returns the callback, so it can be used as a decorator."""

    def __init__(self, kind: str, group: Events):
        self.kind = kind
        self._group = group
        self._callbacks: list[Callback] = []

    def connect(self, callback: Callback) -> Callback:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback) -> None:
        """Forget ``callback`` (no error when it was not connected)."""
        with contextlib.suppress(ValueError):
            self._callbacks.remove(callback)

    def __len__(self) -> int:
        return len(self._callbacks)

    def emit(self, layer: str | None = None, value: object = None) -> None:
        self._group.deliver(Change(self.kind, layer, value))

    def _call(self, change: Change) -> None:
        for callback in list(self._callbacks):
            callback(change)


class Events:
    """A named set of signals plus ``any`` (every change), with batching."""

    def __init__(self, *kinds: str):
        self.kinds = kinds
        self.any = Signal("any", self)
        for kind in kinds:
            setattr(self, kind, Signal(kind, self))
        self._depth = 0
        self._held: dict[tuple[str, str | None], Change] = {}

    def signal(self, kind: str) -> Signal:
        if kind not in self.kinds:
            raise KeyError(kind)
        return getattr(self, kind)

    def deliver(self, change: Change) -> None:
        if self._depth:
            key = (change.kind, change.layer)
            self._held.pop(key, None)  # the latest value wins, at its latest place
            self._held[key] = change
            return
        self.signal(change.kind)._call(change)
        self.any._call(change)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Hold emissions until the outermost batch ends, then emit each (kind, layer) once."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth:
                held, self._held = self._held, {}
                for change in held.values():
                    self.deliver(change)


class Links:
    """A view's connections to one model's events, undone together by ``clear``."""

    def __init__(self) -> None:
        self._links: list[tuple[Signal, Callback]] = []

    def connect(self, signal: Signal, callback: Callback) -> None:
        signal.connect(callback)
        self._links.append((signal, callback))

    def clear(self) -> None:
        for signal, callback in self._links:
            signal.disconnect(callback)
        self._links.clear()
