"""Worker processes that render chunks of frames, and the frames of an export in order.

Each worker (forkserver on Linux, spawn elsewhere; never fork, the GUI has threads) builds the
session once from the parent's data and renders contiguous chunks of ``CHUNK`` frames. Workers
never outlive the exporting process: each holds the read end of a pipe whose only write end is
the parent's, and a watchdog thread exits the worker the moment it reads EOF (the parent exited
or was killed); on Linux ``PR_SET_PDEATHSIG`` also kills a worker whose direct parent dies. A
worker whose parent is gone prints nothing (no tracebacks from a half-read task).
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import itertools
import os
import pickle
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from pathlib import Path

from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.export.frames import Cancelled, FrameSource, finish_frame, frames_here
from terrain_viewer.core.export.processes import process_context
from terrain_viewer.core.export.settings import ExportSettings
from terrain_viewer.core.model import ViewerModel

CHUNK = 6  # frames per worker task: consecutive dates reuse the worker's cached background
PR_SET_PDEATHSIG = 1  # linux/prctl.h

_WORKER: FrameSource | None = None
_ENCODER: ThreadPoolExecutor | None = None


# ---- inside a worker process ----------------------------------------------------------------
def _init_worker(model_dict: dict, settings_dict: dict, dataset: bytes | None, warm: bool,
                 parent_alive: Connection) -> None:
    """Build the session and renderer once per worker process (on the parent's data when it
    could be pickled, else reopening the files); Ctrl-C is the parent's to handle; the worker
    ends when the parent does."""
    global _WORKER, _ENCODER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_alive)
    data = pickle.loads(dataset) if dataset is not None else None
    _WORKER = FrameSource(model_dict, ExportSettings.from_dict(settings_dict), dataset=data)
    _ENCODER = ThreadPoolExecutor(1)
    if warm:  # fonts, symbols and caches: "ready" then means ready to render at full speed
        _WORKER.frame(0)


def die_with_parent(parent_alive: Connection) -> None:
    """Exit (silently) as soon as the exporting process is gone."""
    sys.stderr = _QuietWhenOrphaned(sys.stderr, parent_alive)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no libc prctl: the watchdog still works
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    threading.Thread(target=_watch_parent, args=(parent_alive,), name="parent-watchdog",
                     daemon=True).start()
    if parent_alive.poll(0):  # the parent died before the watchdog started
        os._exit(0)


def _watch_parent(parent_alive: Connection) -> None:
    """The parent never sends: a read returns only at EOF, when its write end is closed."""
    with contextlib.suppress(EOFError, OSError):
        parent_alive.recv_bytes()
    os._exit(0)


class _QuietWhenOrphaned(io.TextIOBase):
    """stderr that drops what is written once the parent has gone (no tracebacks about a task
    that was half sent when it died)."""

    def __init__(self, stream, parent_alive: Connection):
        self.stream, self.parent_alive = stream, parent_alive

    def orphaned(self) -> bool:
        try:
            return self.parent_alive.poll(0)
        except (OSError, ValueError):
            return True

    def write(self, text: str) -> int:
        if self.stream is None or self.orphaned():
            return len(text)
        return self.stream.write(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.stream.flush()


def _ready() -> bool:
    """A no-op task: done as soon as a worker has started and warmed up."""
    return True


def _work(indices: list[int], png_folder) -> list:
    """A worker process's task: render frames, finish each on the encoder thread meanwhile
    (all of them finished or failed before the task ends, even when a render fails)."""
    futures: list[Future] = []
    try:
        for i in indices:
            futures.append(_ENCODER.submit(finish_frame, _WORKER.frame(i), i, png_folder))
    finally:
        wait(futures)
    return [f.result() for f in futures]


# ---- in the exporting process -------------------------------------------------------------------
def pickle_data(model: ViewerModel) -> bytes | None:
    """The model's loaded data for another process (milliseconds; reading the files again takes far
    longer), or None when something in it cannot be pickled."""
    try:
        return pickle.dumps(model.dataset, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return None


class _Pool:
    """A process pool and the pipe whose write end (only here) keeps its workers alive."""

    def __init__(self, workers: int, model: ViewerModel, settings: ExportSettings, warm: bool):
        dataset = pickle_data(model)  # None: something unpicklable, the workers reopen the files
        context = process_context()
        self.alive_r, self.alive_w = context.Pipe(duplex=False)
        self.executor = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker,
            initargs=(model.to_dict(), settings.to_dict(), dataset, warm, self.alive_r))

    def shutdown(self, wait_for_workers: bool) -> None:
        """Stop the workers; closing the pipe ends any worker still running (never an orphan)."""
        self.executor.shutdown(wait=wait_for_workers, cancel_futures=True)
        if wait_for_workers:
            self.alive_w.close()
            self.alive_r.close()


def frames(model: ViewerModel, settings: ExportSettings, workers: int, total: int, png_folder: Path | None,
           stop: Callable[[], bool], here: list[int], head_start: bool = True) -> Iterator[bytes | str]:
    """Frames in order: RGB bytes, or PNG names when the frames write themselves.

    With workers and ``head_start``, this process renders the first frames itself while the
    workers start, and hands the rest to them as soon as one is ready. Frame numbers rendered
    here go into ``here``.
    """
    if workers == 1 or total <= CHUNK:
        yield from frames_here(model, settings, _recorded(range(total), here), png_folder, stop)
        return
    pool = _Pool(workers, model, settings, warm=head_start)
    feed = _PoolFeed(pool.executor, workers, total, png_folder, fresh_starts(settings, total))
    try:
        head = feed.until_ready() if head_start else iter(())
        yield from frames_here(model, settings, _recorded(head, here), png_folder, stop)
        if len(here) < total:
            yield from feed.frames(len(here), stop)
    finally:  # workers that wrote frames finish before the partial output is removed
        pool.shutdown(wait_for_workers=feed.used)


def _recorded(indices: Iterable[int], record: list[int]) -> Iterator[int]:
    for i in indices:
        record.append(i)
        yield i


def fresh_starts(settings: ExportSettings, total: int) -> set[int]:
    """The frames that depend on no frame before them: title card frames and the first map frame of
    each day (labels keep their places from one frame to the next within a day). Worker chunks
    start only there, so any number of workers makes the very same frames."""
    title = settings.title_frames()
    return set(range(title + 1)) | set(range(title, total, settings.frames_per_day))


class _PoolFeed:
    """Chunks of frames for the worker processes, results handed on strictly in order."""

    def __init__(self, pool: ProcessPoolExecutor, workers: int, total: int, png_folder: Path | None,
                 starts: set[int] | None = None):
        self.pool, self.workers, self.total = pool, workers, total
        self.starts = starts if starts is not None else set(range(total))
        self.folder = str(png_folder) if isinstance(png_folder, Path) else png_folder
        self.pending: deque[Future] = deque()
        self.chunks: Iterator[list[int]] = iter(())
        self.used = False

    def until_ready(self) -> Iterator[int]:
        """Frame numbers for this process from 0 until a worker is ready; the workers get the
        rest from that moment (not after this process has drained its encoder)."""
        ready = [self.pool.submit(_ready) for _ in range(self.workers)]
        for i in range(self.total):
            if i in self.starts and any(f.done() for f in ready):
                self._start(i)
                return
            yield i

    def _start(self, first: int) -> None:
        if not self.used:
            self.used = True
            self.chunks = self._chunks(first)
            for chunk in itertools.islice(self.chunks, 2 * self.workers):
                self.pending.append(self.pool.submit(_work, chunk, self.folder))

    def _chunks(self, first: int) -> Iterator[list[int]]:
        """Chunks of at least ``CHUNK`` frames (unless at the end), each beginning at a fresh start."""
        chunk: list[int] = []
        for i in range(first, self.total):
            if i in self.starts and len(chunk) >= CHUNK:
                yield chunk
                chunk = []
            chunk.append(i)
        if chunk:
            yield chunk

    def frames(self, first: int, stop: Callable[[], bool]) -> Iterator[bytes | str]:
        self._start(first)
        while self.pending:
            while not wait([self.pending[0]], timeout=0.1).done:  # stay responsive to a cancel
                if stop():
                    raise Cancelled
            try:
                result = self.pending.popleft().result()
            except BrokenProcessPool as exc:
                raise ExportError(f"a worker process died ({exc}); try --workers 1") from None
            chunk = next(self.chunks, None)
            if chunk is not None:
                self.pending.append(self.pool.submit(_work, chunk, self.folder))
            yield from result
