"""A second renderer in a process of its own, drawing the frames a window is likely to ask for next.

One render thread is the most a process can use (the interpreter lock), so on a machine of two or
more cores a window's date steps back to back are bound by one core. The helper holds the same
session (the parent's data, pickled once, and ``ViewerModel.to_dict`` on each change) and its own
``MapRenderer``; it renders the frames it is asked for (a date, size, view, dpi and layers) into
shared memory slots and names each by the key it was given. A frame depends on those inputs only
(labels are planned per frame in a window), so it is the frame the window's own renderer would draw.

The parent reads the answers on a thread of its own and hands each frame to ``on_frame`` while its
slot is held (the callback copies what it keeps). A frame may also be asked for only to warm the
helper's caches (``warm``: answered with no pixels). The helper ends with its parent (see
``workers``: a pipe only the parent writes to, and ``PR_SET_PDEATHSIG`` on Linux).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import pickle
import queue
import signal
import threading
import warnings as warnings_module
from collections.abc import Callable
from multiprocessing import shared_memory
from multiprocessing.connection import Connection

import numpy as np

from terrain_viewer.core.export.processes import process_context
from terrain_viewer.core.export.workers import die_with_parent
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render import LOGGER  # its warnings are handed back with the frame
from terrain_viewer.core.render.glyphs import MISSING_GLYPH

log = logging.getLogger(__name__)

SLOTS = 3  # frames that may be in the helper's hands or being read at once

FrameCallback = Callable[[tuple, "np.ndarray | None", "str | None", list], None]


class RenderHelper:
    """The parent's handle on the helper process (see the module). ``on_frame(key, rgba, error,
    warnings)`` is called on the reader thread; ``on_ready()`` once the process runs (on the sender
    thread, which starts it); ``on_gone()`` once if it ends or cannot start."""

    def __init__(self) -> None:
        context = process_context()
        self._conn, self._child_conn = context.Pipe()
        self._alive_r, self._alive_w = context.Pipe(duplex=False)
        self._process = context.Process(target=serve, args=(self._child_conn, self._alive_r),
                                        name="terrain-viewer-helper", daemon=True)
        self._lock = threading.Lock()
        self._slots: list[shared_memory.SharedMemory] = []
        self._free: list[int] = []
        self._closed = False  # no more frames may be asked for
        self._finished = False  # the process is ended and the slots freed
        self._no_room = False  # shared memory for the frames could not be had
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()  # sent in order by the sender thread
        self.ready = False  # the process runs: frames may be asked for
        self.on_frame: FrameCallback | None = None
        self.on_gone: Callable[[], None] | None = None
        self.on_ready: Callable[[], None] | None = None
        threading.Thread(target=self._start_and_send, name="helper-sender", daemon=True).start()
        atexit.register(self.close)  # its shared memory is freed when the window's process ends

    @property
    def alive(self) -> bool:
        return not self._closed and (not self.ready or self._process.is_alive())

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def set_state(self, model: ViewerModel, data: bytes | None, look) -> bool:
        """The session to draw from now on: ``model.to_dict()``, with the data pickled when it is
        new to the helper (``workers.pickle_data``), and the renderer's ``look``."""
        return self._send(("state", model.to_dict(), data, look))

    def warm(self, key: tuple, t: float, size: tuple[int, int], view, dpi: float, layers) -> bool:
        """Ask for one frame drawn into the helper's caches only (answered with no pixels), so that
        drawing it again later costs half; False when the helper is gone. Asked before the process
        runs, it is its first job."""
        if self._closed:
            return False
        return self._send(("render", key, None, None, t, size, view, dpi, layers))

    def render(self, key: tuple, t: float, size: tuple[int, int], view, dpi: float, layers) -> bool:
        """Ask for one frame; False (nothing sent) when every slot is taken or the helper is gone."""
        nbytes = size[0] * size[1] * 4
        with self._lock:
            if self._closed or not self.ready:
                return False
            if not self._slots or self._slots[0].size < nbytes:
                if len(self._free) != len(self._slots) or self._no_room:
                    return False  # frames of the old size are still out: later
                try:
                    self._new_slots(nbytes)
                except OSError as exc:  # no shared memory (a small /dev/shm in a container)
                    log.warning("no shared memory for the second renderer's frames (%s): the map is "
                                "drawn in one process", exc)
                    for shm in self._slots:
                        _release(shm)
                    self._slots, self._free, self._no_room = [], [], True
                    return False
            if not self._free:
                return False
            slot = self._free.pop()
            name = self._slots[slot].name
        if self._send(("render", key, slot, name, t, size, view, dpi, layers)):
            return True
        with self._lock:
            self._free.append(slot)
        return False

    def close(self) -> None:
        """End the helper and free the slots (idempotent; a helper still starting ends once started).
        No callback is called after this: its owner may be gone (a window closed, the application
        ending), and a thread of this helper must not hand it anything then."""
        self.on_frame = self.on_gone = self.on_ready = None
        self._finish()

    def _finish(self) -> None:
        """End the process and free the slots (idempotent)."""
        with self._lock:
            if self._finished:
                return
            self._finished = self._closed = True
        self._outbox.put(None)
        self._alive_w.close()  # the helper's watchdog reads EOF and exits even if it is busy
        if self.ready:
            self._process.join(timeout=2)
            if self._process.is_alive():
                self._process.kill()
        with self._lock:
            for shm in self._slots:
                _release(shm)
            self._slots, self._free = [], []

    # ---- parent side ----------------------------------------------------------------------
    def _new_slots(self, nbytes: int) -> None:
        for shm in self._slots:
            _release(shm)
        self._slots, self._free = [], []
        for _ in range(SLOTS):  # kept as made, so that a failure frees those made before it
            self._slots.append(shared_memory.SharedMemory(create=True, size=nbytes))
        self._free = list(range(SLOTS))

    def _send(self, message: tuple) -> bool:
        """Queue ``message`` for the sender thread (a send never blocks the caller)."""
        if self._closed:
            return False
        self._outbox.put(message)
        return True

    def _start_and_send(self) -> None:
        """The sender thread: start the process (the forkserver may still be loading: seconds), then
        send what is queued, in order."""
        try:
            self._process.start()
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("no second renderer process (%s): the map is drawn in one process", exc)
            self._gone()
            return
        self._child_conn.close()
        if self._closed:  # closed while it started
            self._process.kill()
            self._process.join(timeout=2)
            return
        threading.Thread(target=self._read, name="helper-reader", daemon=True).start()
        self.ready = True
        on_ready = self.on_ready
        if on_ready is not None:
            on_ready()
        while (message := self._outbox.get()) is not None:
            try:
                self._conn.send(message)
            except (OSError, ValueError, pickle.PicklingError, TypeError, AttributeError) as exc:
                log.warning("the second renderer process cannot be sent its work (%s): the map is "
                            "drawn in one process", exc)
                self._gone()
                return
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(("stop",))

    def _read(self) -> None:
        """The reader thread: each answer to ``on_frame`` while its slot is held."""
        try:
            while True:
                kind, key, slot, shape, error, warnings = self._conn.recv()
                if kind == "frame" and slot is None:  # warmed: no pixels
                    self._deliver(key, None, None, warnings)
                    continue
                if kind == "frame":
                    with self._lock:
                        shm = None if self._closed else self._slots[slot]
                    rgba = None if shm is None else np.ndarray(shape, np.uint8, buffer=shm.buf)
                    self._deliver(key, rgba, None, warnings)
                    del rgba
                else:
                    self._deliver(key, None, error, warnings)
                with self._lock:
                    if not self._closed and slot is not None:
                        self._free.append(slot)
        except (EOFError, OSError, ValueError, TypeError):
            pass
        self._gone()

    def _gone(self) -> None:
        """The process ended (or never started): free what it held, then say so (unless closed)."""
        on_gone = self.on_gone
        self._finish()
        if on_gone is not None:
            on_gone()

    def _deliver(self, key, rgba, error, warnings) -> None:
        on_frame = self.on_frame
        if on_frame is not None:
            try:
                on_frame(key, rgba, error, warnings)
            except Exception:  # noqa: BLE001 - a bad frame must not end the reader
                log.exception("a helper frame could not be taken")


def _release(shm: shared_memory.SharedMemory) -> None:
    with contextlib.suppress(OSError, BufferError, FileNotFoundError):
        shm.close()
    with contextlib.suppress(OSError, FileNotFoundError):
        shm.unlink()


# ---- the helper process ------------------------------------------------------------------
class _Warnings(logging.Handler):
    """The renderer's warnings of one frame, handed back with it (the window lists them)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def serve(conn: Connection, alive: Connection) -> None:
    """The helper's loop: take a session, render frames into the named slots, answer each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(alive)
    warnings_module.filterwarnings("ignore", MISSING_GLYPH, UserWarning)  # the renderer says them once
    warnings = _Warnings()
    logging.getLogger(LOGGER).addHandler(warnings)
    model = renderer = None
    data = None
    slots: dict[str, shared_memory.SharedMemory] = {}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        if message[0] == "state":
            try:
                model, renderer, data = _take_state(message, model, renderer, data)
            except Exception:  # noqa: BLE001 - frames are then refused: the parent draws them
                model = renderer = None
            continue
        _, key, slot, name, t, size, view, dpi, layers = message
        warnings.messages = []
        try:
            if renderer is None:
                raise RuntimeError("no session")
            rgba = renderer.render(t=t, size=size, view=view, dpi=dpi,
                                   layers=None if layers is None else set(layers), copy=False)
            if name is not None:  # else only warmed
                shm = slots.get(name) or slots.setdefault(name, shared_memory.SharedMemory(name=name))
                np.ndarray(rgba.shape, np.uint8, buffer=shm.buf)[...] = rgba
            answer = ("frame", key, slot, rgba.shape, None, warnings.messages)
        except Exception as exc:  # noqa: BLE001 - the parent draws the frame itself instead
            answer = ("error", key, slot, None, f"{type(exc).__name__}: {exc}", warnings.messages)
        try:
            conn.send(answer)
        except (OSError, ValueError):
            return
        if len(slots) > 2 * SLOTS:  # the window was resized often: let go of the old sizes' slots
            for old in [n for n in slots if n != name]:
                with contextlib.suppress(OSError, BufferError):
                    slots.pop(old).close()


def _take_state(message: tuple, model, renderer, data):
    """A new session (new data: a new model and renderer; else the states applied in place, the
    renderer's caches kept)."""
    from terrain_viewer.core.render.renderer import MapRenderer

    _, session, pickled, look = message
    if pickled is not None or model is None:
        data = pickle.loads(pickled) if pickled is not None else data
        model = ViewerModel.from_dict(session, data)
        renderer = MapRenderer(model)
    else:
        model.apply_dict(session)
    renderer.look = look
    return model, renderer, data
