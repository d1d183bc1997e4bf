"""Export map sequences: PNG frames, MP4 (H.264), GIF and ProRes 4444 .mov (with alpha), rendered
by the same MapRenderer; beside a video, subtitles of the events (.srt, .vtt) and, if asked, the
frames as PNGs (``NAME_frames``).

``run_export(model, settings, out)`` renders ``days × frames_per_day`` frames (plus an optional
title card, ``frames``) in order. Each rendering process encodes frame i on a thread while frame
i + 1 renders. With more than one worker, worker processes (``workers``) render contiguous
chunks; if a core is free for it, this process renders the first frames itself until a worker
is ready. The writer (``writers``: setup / grab_frame / finish) takes the frames strictly in
order and checks the finished output. Output goes to a hidden temporary name in the target
folder and is renamed when complete (``atomic.atomic_path``): a cancelled or failed export
leaves nothing that looks finished, an existing output is never replaced unless ``overwrite``,
and an input is never an output (``outputs``).

The parts are importable from here as before (``from terrain_viewer.core.export.run import
ExportSettings, run_export, prepare_workers``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from terrain_viewer.core.common.atomic import atomic_path, check_target
from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.export.frames import (  # noqa: F401 - re-exported
    CARD_FADE,
    Cancelled,
    Finish,
    FrameSource,
    finish_frame,
    title_card,
)
from terrain_viewer.core.export.outputs import frame_file, refuse_inputs, remove_stale_partials
from terrain_viewer.core.export.processes import prepare_workers  # noqa: F401
from terrain_viewer.core.export.settings import (  # noqa: F401
    FORMATS,
    VIDEOS,
    ExportSettings,
    output_format,
    output_limits,
)
from terrain_viewer.core.export.subtitles import check_free, cues, write_subtitles
from terrain_viewer.core.export.workers import CHUNK, frames  # noqa: F401
from terrain_viewer.core.export.writers import (  # noqa: F401 - re-exported
    WRITERS,
    FrameWriter,
    GifWriter,
    Mp4Writer,
    PngWriter,
    write_error,
)
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.items import BASEMAP

Cancel = threading.Event | Callable[[], bool] | None


@dataclass
class Progress:
    done: int
    total: int
    elapsed: float
    remaining: float | None  # seconds, None until a frame has been written


MIN_READABLE_S = 1.0  # a subtitle shown for less than this is hard to read: the export says so


@dataclass
class ExportResult:
    path: Path
    format: str
    frames: int
    size: tuple[int, int]
    seconds: float
    cancelled: bool = False
    worker_frames: int = 0  # how many of the frames the worker processes rendered
    workers: int = 1  # rendering processes used (the count ``auto`` chose, or the one given)
    extras: list[Path] = field(default_factory=list)  # subtitles and a PNG folder beside a video
    notes: list[str] = field(default_factory=list)  # what was asked for and not written, and why


def check_output(model: ViewerModel, settings: ExportSettings, out: Path,
                 inputs: Iterable[str | Path] = ()) -> tuple[str, Path | None]:
    """Refuse, before anything is asked or drawn, an export that can never be written: bad
    settings, a size or background the format cannot hold, an output that is one of the inputs or
    a folder holding one, a frames folder that holds files an export did not write (it would be
    replaced whole). Returns the format and the PNG folder beside a video (or None)."""
    settings.check()
    if not model.layer_states and not model.basemap:  # blank frames, written as if all were well
        raise ExportError("nothing to draw: the session has no layers (open a file first)", out)
    known = {state.name for state in model.layer_states}  # and BASEMAP: the names ``layers`` may give
    unknown = [name for name in settings.layers or () if name not in known and name != BASEMAP]
    if unknown:  # else a blank map, written as if all were well
        raise ExportError(f"no layer named {', '.join(map(repr, unknown))} to draw; the layers: "
                          f"{', '.join(sorted(known))}", out)
    fmt = output_format(out, settings)
    size = settings.pixel_size()
    if fmt == "mp4" and (size[0] % 2 or size[1] % 2):
        raise ExportError(f"MP4 (H.264, yuv420p) needs an even width and height, not {size[0]}x{size[1]}",
                          out)
    if settings.transparent and output_limits(fmt)["transparent"]:
        raise ExportError(f"a transparent background needs PNG frames or a .mov (ProRes 4444), "
                          f"not {fmt}", out)
    folder_out = out.with_name(out.stem + "_frames") \
        if settings.png_frames and not output_limits(fmt)["png_frames"] else None
    refuse_inputs(out, [*model.paths, *inputs])
    if folder_out is not None:
        refuse_inputs(folder_out, [*model.paths, *inputs], "the PNG frames folder")
    for folder in (out if fmt == "png" else None, folder_out):
        if folder is not None and folder.is_dir():
            check_target(folder, True, True, ExportError, replaceable=frame_file)
    return fmt, folder_out


def run_export(model: ViewerModel, settings: ExportSettings, out: str | Path, *, overwrite: bool = False,
               progress: Callable[[Progress], None] | None = None, cancel: Cancel = None,
               head_start: bool | None = None, inputs: Iterable[str | Path] = ()) -> ExportResult:
    """Export ``settings`` for the session ``model`` to ``out`` (a folder, .mp4 or .gif).

    ``progress(Progress)`` is called after every frame written. ``cancel`` says when to stop: a
    ``threading.Event`` (set = stop) or a callable returning True to stop. A cancelled export
    returns ``cancelled=True`` and leaves no output; an existing output is kept unless
    ``overwrite``; ``out`` may never be one of the session's data files or ``inputs`` (the
    project, the settings file). With ``head_start`` (and more than one worker) this process
    renders the first frames while the workers start; by default only when there is a core to
    spare for it (``os.cpu_count() > workers``): on a machine with no spare core it only slows
    the starting workers down (measured).
    """
    out = Path(out)
    fmt, folder_out = check_output(model, settings, out, inputs)
    size = settings.pixel_size()
    video = fmt if fmt in VIDEOS else ""
    subtitles = settings.subtitles and not output_limits(fmt)["subtitles"]
    if subtitles:  # the video named first when it is taken too (not its .srt)
        check_target(out, overwrite, error=ExportError)
        check_free(out, overwrite)
    remove_stale_partials(out.parent)
    stop = stop_test(cancel)
    total = settings.frame_count(model)
    workers = settings.worker_count(total)
    counter = _Counter(total, progress)
    here: list[int] = []  # frames rendered in this process
    found: list = []  # the subtitles' cues, worked out while the encoder finishes
    if head_start is None:
        head_start = (os.cpu_count() or 1) > workers
    try:
        with contextlib.ExitStack() as stack:
            partial = stack.enter_context(atomic_path(out, overwrite, directory=fmt == "png",
                                                      error=ExportError, replaceable=frame_file))
            folder = partial if fmt == "png" else None
            if folder_out is not None:
                folder = stack.enter_context(atomic_path(folder_out, overwrite, directory=True,
                                                         error=ExportError, replaceable=frame_file))
            finish = Finish(str(folder) if folder is not None else None, video, settings.transparent)
            stream = frames(model, settings, workers, total, finish, stop, here, head_start)
            with contextlib.closing(stream):  # workers and threads end before the partial is removed
                try:
                    _write(WRITERS[fmt](), partial, size, settings.fps, stream, counter, stop, out,
                           meanwhile=lambda: found.extend(cues_of(model, settings) if subtitles else []))
                except ExportError as exc:  # name the output, not the hidden partial or a file in it
                    if exc.file and exc.file.startswith(str(partial)):
                        raise ExportError(exc.problem, out) from exc
                    raise
    except Cancelled:
        return ExportResult(out, fmt, counter.done, size, counter.elapsed(), cancelled=True,
                            worker_frames=max(0, counter.done - len(here)), workers=workers)
    extras = [folder_out] if folder_out is not None else []
    notes = []
    if subtitles and not found:
        notes.append("no subtitles: no events in the days exported")
    elif subtitles:
        extras += write_subtitles(out, found)
        if (shortest := min(c.end - c.start for c in found)) < MIN_READABLE_S:
            notes.append(f"some subtitles show for {shortest:.2f} s only, too short to read: more frames "
                         "per day or fewer frames per second show each day longer")
    return ExportResult(out, fmt, counter.done, size, counter.elapsed(),
                        worker_frames=counter.done - len(here), workers=workers, extras=extras, notes=notes)


RATE_FRAMES = 24  # the time left goes by the pace of the last this many frames


class _Counter:
    """Frames written so far, reported to ``progress`` with the time left: by the pace of the last
    ``RATE_FRAMES`` frames (by the pace since the start, a title card's quick frames made the first
    estimates short, and the time left then rose as map frames came: 0:07, 0:09, 0:12)."""

    def __init__(self, total: int, progress: Callable[[Progress], None] | None):
        self.total, self.progress, self.done, self.t0 = total, progress, 0, time.perf_counter()
        self._times: deque[float] = deque([self.t0], maxlen=RATE_FRAMES + 1)

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def step(self) -> None:
        self.done += 1
        now = time.perf_counter()
        self._times.append(now)
        if self.progress:
            pace = (now - self._times[0]) / (len(self._times) - 1)
            self.progress(Progress(self.done, self.total, now - self.t0, pace * (self.total - self.done)))


def _write(writer: FrameWriter, partial: Path, size: tuple[int, int], fps: float, stream: Iterator,
           counter: _Counter, stop: Callable[[], bool], out: Path,
           meanwhile: Callable[[], None] = lambda: None) -> None:
    """Feed ``stream`` to ``writer`` in order (setup, grab_frame each, end_input, ``meanwhile()``,
    finish; close always)."""
    try:
        writer.setup(partial, size, fps)
        for frame in stream:
            writer.grab_frame(frame)
            counter.step()
            if stop():
                raise Cancelled
        if counter.done != counter.total:
            raise ExportError(f"only {counter.done} of {counter.total} frames were made; nothing was "
                              "written", out)
        writer.end_input()
        meanwhile()  # while the encoder finishes on its own
        writer.finish()
    except OSError as exc:
        raise write_error(exc, out) from exc
    finally:
        writer.close()


def cues_of(model: ViewerModel, settings: ExportSettings) -> list:
    """The subtitle cues of an export's events."""
    return cues(model, settings.times(model), settings.fps, settings.title_frames(), settings.layers)


def stop_test(cancel: Cancel) -> Callable[[], bool]:
    """``cancel`` as a function that says whether to stop now: an Event's ``is_set``, or the
    callable itself (True = stop)."""
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    if not callable(cancel):
        raise TypeError(f"cancel must be a threading.Event or a callable, not {type(cancel).__name__}")
    return lambda: bool(cancel())
