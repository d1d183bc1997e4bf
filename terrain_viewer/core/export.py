"""Export map sequences: PNG frames, MP4 (H.264) and GIF, rendered by the same MapRenderer.

``run_export(model, settings, out)`` renders ``days × frames_per_day`` frames (plus an optional
title card) in order. With ``workers > 1`` frames are rendered in worker processes (each
rebuilds the session once from ``model.to_dict()``) in contiguous chunks, and the writer takes
them strictly in order. Output is written under a hidden temporary name in the target folder and
renamed when complete: a cancelled or failed export leaves nothing that looks finished, and an
existing output is never replaced unless ``overwrite``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import multiprocessing
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .camera import Camera, ViewKey
from .errors import ExportError
from .files import temp_dir_beside, temp_file_beside
from .model import ViewerModel
from .timeline import parse_iso

FORMATS = ("png", "mp4", "gif")
CHUNK = 6  # frames per worker task: consecutive dates reuse the worker's cached background
PNG_COMPRESS = 2  # zlib level: fast, still far smaller than raw (level 6+ costs 3x the time)


@dataclass
class ExportSettings:
    """Everything an export needs besides the session; saved as JSON (docs/export-settings.md)."""

    start: str = ""
    end: str = ""
    frames_per_day: int = 4
    fps: float = 24.0
    size: str = "1080p"
    format: str = ""  # png | mp4 | gif; "" = from the output name (a folder → png)
    workers: int = 2
    title: str = ""
    subtitle: str = ""
    title_seconds: float = 3.0  # with a title: a title card this long before the first frame
    caption: bool = True
    caption_format: str = "{day} {month} {year}"
    legend: bool = True
    scale_bar: bool = True
    north_arrow: bool = True
    credits: bool = True
    labels: bool = True
    chinese_names: bool = False
    view: list[float] | None = None  # a fixed extent (map CRS); None = the session's view
    camera: list[dict] = field(default_factory=list)  # [{"date": ISO, "extent": [x0, y0, x1, y1]}]

    # ---- file form ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, source: str | Path | None = None) -> ExportSettings:
        if not isinstance(data, dict):
            raise ExportError("export settings must be a JSON object", source)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ExportError(f"unknown export setting(s): {', '.join(unknown)}", source)
        settings = cls(**data)
        settings.check(source)
        return settings

    @classmethod
    def load(cls, path: str | Path) -> ExportSettings:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ExportError(f"cannot read export settings: {exc.strerror or exc}", path) from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ExportError(f"export settings are not valid JSON: {exc}", path) from exc
        return cls.from_dict(data, path)

    def save(self, path: str | Path) -> Path:
        from .project import atomic_write_text

        return atomic_write_text(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n",
                                 backup=False)

    # ---- meaning --------------------------------------------------------------------------
    def check(self, source: str | Path | None = None) -> None:
        """Raise ExportError for settings that cannot work (dates, sizes, rates, camera)."""
        for name in ("start", "end"):
            value = getattr(self, name)
            if value and _parse_time(value, name, source) is None:
                raise ExportError(f"{name} is empty", source)
        if self.start and self.end and _parse_time(self.end, "end", source) < _parse_time(
                self.start, "start", source):
            raise ExportError(f"end {self.end} is before start {self.start}", source)
        if not (isinstance(self.frames_per_day, int) and 1 <= self.frames_per_day <= 240):
            raise ExportError(f"frames_per_day must be a whole number 1..240, got {self.frames_per_day}",
                              source)
        if not (isinstance(self.fps, int | float) and 0.5 <= self.fps <= 120):
            raise ExportError(f"fps must be 0.5..120, got {self.fps}", source)
        if not (isinstance(self.workers, int) and 1 <= self.workers <= 64):
            raise ExportError(f"workers must be 1..64, got {self.workers}", source)
        if self.format and self.format not in FORMATS:
            raise ExportError(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}", source)
        self.pixel_size(source)
        self.make_camera((0, 0, 1, 1), source)

    def pixel_size(self, source: str | Path | None = None) -> tuple[int, int]:
        from .render import SIZE_PRESETS

        key = str(self.size).strip().lower()
        if key in SIZE_PRESETS:
            return SIZE_PRESETS[key]
        parts = key.replace("×", "x").split("x")
        try:
            w, h = (int(p) for p in parts)
        except ValueError:
            raise ExportError(f"size {self.size!r}: use WIDTHxHEIGHT or one of "
                              f"{', '.join(SIZE_PRESETS)}", source) from None
        if not (16 <= w <= 8192 and 16 <= h <= 8192):
            raise ExportError(f"size {self.size!r}: width and height must be 16..8192 pixels", source)
        return w, h

    def times(self, model: ViewerModel) -> np.ndarray:
        """Frame times: ``frames_per_day`` a day for every day from start to end inclusive."""
        start = math.floor(_parse_time(self.start, "start") if self.start else model.time.start)
        end = math.floor(_parse_time(self.end, "end") if self.end else model.time.end)
        days = end - start + 1
        return start + np.arange(days * self.frames_per_day) / self.frames_per_day

    def make_camera(self, default_view, source: str | Path | None = None) -> Camera:
        try:
            if self.camera:
                keys = [ViewKey(_parse_time(k["date"], "camera date", source), tuple(k["extent"]))
                        for k in self.camera]
                return Camera(keys)
            return Camera.fixed(tuple(self.view) if self.view else default_view)
        except (KeyError, TypeError, ValueError) as exc:
            raise ExportError(f"camera: each key needs a date and an extent [xmin, ymin, xmax, ymax] "
                              f"({exc})", source) from None

    def apply_to(self, model: ViewerModel) -> None:
        """Set the map furniture switches on ``model``."""
        model.set_options(caption=self.caption, caption_format=self.caption_format, legend=self.legend,
                          scale_bar=self.scale_bar, north_arrow=self.north_arrow, credits=self.credits,
                          labels=self.labels, chinese_names=self.chinese_names)


def _parse_time(text: str, name: str, source: str | Path | None = None) -> float | None:
    try:
        parsed = parse_iso(text)
    except (ValueError, TypeError):
        raise ExportError(f"{name} {text!r} is not an ISO 8601 date (e.g. 1944-07-11)", source) from None
    return None if parsed is None else parsed[0]


def output_format(out: Path, settings: ExportSettings) -> str:
    """png | mp4 | gif from the settings or the output name (a name without a suffix is a folder)."""
    if settings.format:
        return settings.format
    suffix = out.suffix.lower().lstrip(".")
    if suffix in ("mp4", "gif"):
        return suffix
    if suffix in ("", "png") or out.is_dir():
        return "png"
    raise ExportError(f"cannot tell the format from '.{suffix}': use a folder (PNG frames), "
                      ".mp4 or .gif", out)


# ---- progress and result ------------------------------------------------------------------------
@dataclass
class Progress:
    done: int
    total: int
    elapsed: float
    remaining: float | None  # seconds, None until a frame has been written


@dataclass
class ExportResult:
    path: Path
    format: str
    frames: int
    size: tuple[int, int]
    seconds: float
    cancelled: bool = False


class Cancelled(Exception):
    """Raised inside the export loop when the user cancels."""


# ---- frames ---------------------------------------------------------------------------------
class FrameSource:
    """Renders the frames of one export (in this process or in a worker)."""

    def __init__(self, model_dict: dict, settings: ExportSettings, dataset=None):
        from .render import MapRenderer

        self.model = ViewerModel.from_dict(model_dict, dataset=dataset)
        settings.apply_to(self.model)
        self.settings = settings
        self.size = settings.pixel_size()
        self.camera = settings.make_camera(self.model.view)
        self.times = settings.times(self.model)
        self.renderer = MapRenderer(self.model)
        self.dpi = 100.0 * self.size[1] / 1080.0  # the same type size at every resolution
        self._card: np.ndarray | None = None

    @property
    def title_frames(self) -> int:
        s = self.settings
        return int(round(s.title_seconds * s.fps)) if s.title and s.title_seconds > 0 else 0

    def __len__(self) -> int:
        return self.title_frames + len(self.times)

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as an (H, W, 4) uint8 RGBA array (opaque)."""
        if i < self.title_frames:
            return self._title_card()
        t = float(self.times[i - self.title_frames])
        return self.renderer.render(t=t, size=self.size, view=self.camera.view_at(t), dpi=self.dpi)

    def _title_card(self) -> np.ndarray:
        if self._card is None:
            t = float(self.times[0])
            first = self.renderer.render(t=t, size=self.size, view=self.camera.view_at(t), dpi=self.dpi)
            self._card = title_card(first, self.settings.title, self.settings.subtitle, self.dpi)
        return self._card


def title_card(background: np.ndarray, title: str, subtitle: str, dpi: float) -> np.ndarray:
    """The title and subtitle over a dimmed frame, as (H, W, 4) uint8 RGBA."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from . import style as st

    h, w = background.shape[:2]
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    dim = (background[..., :3].astype(np.float32) * 0.35 + np.array([31, 59, 87]) * 0.65).astype(np.uint8)
    fig.figimage(dim, 0, 0, origin="upper")
    fig.text(0.5, 0.55, title, ha="center", va="center", fontsize=44, family=st.SERIF, fontweight="bold",
             color="#f4f1ea", wrap=True)
    if subtitle:
        fig.text(0.5, 0.43, subtitle, ha="center", va="center", fontsize=22, family=st.SERIF,
                 color="#e0c9a0", wrap=True)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


# ---- workers --------------------------------------------------------------------------------
_WORKER: FrameSource | None = None


def _init_worker(model_dict: dict, settings_dict: dict) -> None:
    global _WORKER
    _WORKER = FrameSource(model_dict, ExportSettings(**settings_dict))


def _render_chunk(source: FrameSource, indices: list[int], png_folder: str | None) -> list:
    """Render frames; write them as PNG into ``png_folder`` (return names) or return RGB bytes."""
    from PIL import Image

    out = []
    for i in indices:
        rgb = Image.fromarray(source.frame(i)).convert("RGB")
        out.append(write_frame_png(Path(png_folder), i, rgb) if png_folder else rgb.tobytes())
    return out


def _work(indices: list[int], png_folder: str | None) -> list:
    """A worker process's task (its FrameSource was built once by ``_init_worker``)."""
    return _render_chunk(_WORKER, indices, png_folder)


def write_frame_png(folder: Path, i: int, rgb) -> str:
    """Write frame ``i`` (0-based, a PIL RGB image) as ``frame_00001.png``; no timestamps in it."""
    name = f"frame_{i + 1:05d}.png"
    try:
        rgb.save(folder / name, format="PNG", compress_level=PNG_COMPRESS)
    except OSError as exc:
        raise _os_error(exc, folder / name) from exc
    return name


def _pool(workers: int, model_dict: dict, settings: ExportSettings) -> ProcessPoolExecutor:
    method = "forkserver" if sys.platform.startswith("linux") else "spawn"  # never fork: threads, Qt
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["terrain_viewer.core.export", "terrain_viewer.core.render"])
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                               initargs=(model_dict, settings.to_dict()))


def _frames(model: ViewerModel, settings: ExportSettings, total: int, png_folder: Path | None,
            cancel: threading.Event) -> Iterator[object]:
    """Frames in order (RGB arrays, or PNG names when the frames write themselves)."""
    model_dict = model.to_dict()
    chunks = [list(range(i, min(i + CHUNK, total))) for i in range(0, total, CHUNK)]
    folder = str(png_folder) if png_folder else None
    if settings.workers == 1 or len(chunks) == 1:
        source = FrameSource(model_dict, settings, dataset=model.dataset)
        for chunk in chunks:
            if cancel.is_set():
                raise Cancelled
            yield from _render_chunk(source, chunk, folder)
        return
    pool = _pool(settings.workers, model_dict, settings)
    pending: list[Future] = []
    try:
        queue = iter(chunks)
        for chunk in queue:
            pending.append(pool.submit(_work, chunk, folder))
            if len(pending) >= 2 * settings.workers:
                break
        while pending:
            if cancel.is_set():
                raise Cancelled
            try:
                result = pending.pop(0).result()
            except BrokenProcessPool as exc:
                raise ExportError(f"a worker process died ({exc}); try --workers 1") from None
            nxt = next(queue, None)
            if nxt is not None:
                pending.append(pool.submit(_work, nxt, folder))
            yield from result
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


# ---- writers (setup / grab / finish, the matplotlib.animation shape) ----------------------------
class _Writer:
    def __init__(self, path: Path, size: tuple[int, int], fps: float):
        self.path, self.size, self.fps = path, size, fps

    def grab(self, frame) -> None: ...

    def finish(self) -> None: ...

    def abort(self) -> None: ...


class _PngWriter(_Writer):
    """Frames are written by whoever renders them; nothing to collect here."""


class _Mp4Writer(_Writer):
    def __init__(self, path: Path, size: tuple[int, int], fps: float):
        import imageio_ffmpeg

        super().__init__(path, size, fps)
        self._gen = imageio_ffmpeg.write_frames(
            str(path), size, fps=fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
            macro_block_size=2, quality=None, ffmpeg_log_level="error",
            output_params=["-crf", "18", "-preset", "medium", "-movflags", "+faststart",
                           "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"])
        self._gen.send(None)

    def grab(self, frame: bytes) -> None:
        self._gen.send(frame)

    def finish(self) -> None:
        self._gen.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # the partial file is deleted anyway
            self._gen.close()


class _GifWriter(_Writer):
    """Pillow GIF with one adaptive palette per frame (keep GIFs short: frames stay in memory)."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float):
        super().__init__(path, size, fps)
        self._frames: list = []

    def grab(self, frame: bytes) -> None:
        from PIL import Image

        image = Image.frombytes("RGB", self.size, frame)
        self._frames.append(image.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                           dither=Image.Dither.NONE))

    def finish(self) -> None:
        first, rest = self._frames[0], self._frames[1:]
        first.save(self.path, format="GIF", save_all=True, append_images=rest, loop=0,
                   duration=max(20, int(round(1000 / self.fps))), optimize=False)


WRITERS = {"png": _PngWriter, "mp4": _Mp4Writer, "gif": _GifWriter}


# ---- the export ---------------------------------------------------------------------------------
def run_export(model: ViewerModel, settings: ExportSettings, out: str | Path, *, overwrite: bool = False,
               progress: Callable[[Progress], None] | None = None,
               cancel: threading.Event | None = None) -> ExportResult:
    """Export ``settings`` for the session ``model`` to ``out`` (a folder, .mp4 or .gif)."""
    out = Path(out)
    settings.check()
    fmt = output_format(out, settings)
    size = settings.pixel_size()
    if fmt == "mp4" and (size[0] % 2 or size[1] % 2):
        raise ExportError(f"MP4 (H.264, yuv420p) needs an even width and height, not {size[0]}x{size[1]}",
                          out)
    _check_target(out, fmt, overwrite)
    cancel = cancel or threading.Event()
    source_len = _frame_count(model, settings)
    t0 = time.perf_counter()
    partial = _partial_path(out, fmt)
    writer = None
    done = 0
    try:
        writer = WRITERS[fmt](partial, size, settings.fps)
        for frame in _frames(model, settings, source_len, partial if fmt == "png" else None, cancel):
            writer.grab(frame)
            done += 1
            if progress:
                elapsed = time.perf_counter() - t0
                progress(Progress(done, source_len, elapsed, elapsed / done * (source_len - done)))
            if cancel.is_set():
                raise Cancelled
        writer.finish()
        _publish(partial, out, overwrite)
    except Cancelled:
        _discard(writer, partial)
        return ExportResult(out, fmt, done, size, time.perf_counter() - t0, cancelled=True)
    except OSError as exc:
        _discard(writer, partial)
        raise _os_error(exc, out) from exc
    except BaseException:
        _discard(writer, partial)
        raise
    return ExportResult(out, fmt, done, size, time.perf_counter() - t0)


def _frame_count(model: ViewerModel, settings: ExportSettings) -> int:
    card = settings.title and settings.title_seconds > 0
    return (int(round(settings.title_seconds * settings.fps)) if card else 0) + len(settings.times(model))


def _check_target(out: Path, fmt: str, overwrite: bool) -> None:
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError("the folder to write into does not exist", folder)
    if not os.access(folder, os.W_OK):
        raise ExportError("the folder is not writable", folder)
    if fmt == "png" and out.exists() and not out.is_dir():
        raise ExportError("PNG frames go into a folder, but this is a file", out)
    exists = out.exists() and (not out.is_dir() or any(out.iterdir()))
    if exists and not overwrite:
        raise ExportError("already exists; choose another name or allow overwriting (--overwrite)", out)


def _partial_path(out: Path, fmt: str) -> Path:
    """A hidden name beside ``out`` that nobody mistakes for a finished export."""
    folder = out.parent if str(out.parent) else Path(".")
    if fmt == "png":
        return temp_dir_beside(folder, f".{out.name}.partial-")
    fd, path = temp_file_beside(folder, f".{out.stem}.partial-", out.suffix or f".{fmt}")
    os.close(fd)
    return path


def _publish(partial: Path, out: Path, overwrite: bool) -> None:
    """Rename the finished partial output to ``out`` (an old one is removed only now)."""
    if partial.is_dir():
        if out.exists():
            if not overwrite and any(out.iterdir()):
                raise ExportError("appeared while exporting; not overwritten", out)
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(partial, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(partial, out)
        return
    if out.exists() and not overwrite:
        raise ExportError("appeared while exporting; not overwritten", out)
    os.replace(partial, out)


def _discard(writer: _Writer | None, partial: Path) -> None:
    if writer is not None:
        writer.abort()
    if partial.is_dir():
        shutil.rmtree(partial, ignore_errors=True)
    else:
        partial.unlink(missing_ok=True)


def _os_error(exc: OSError, path: Path) -> ExportError:
    folder = path.parent if str(path.parent) else Path(".")
    try:
        full = shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        full = False
    if exc.errno == errno.ENOSPC or full:  # ffmpeg on a full disk shows up as a broken pipe
        return ExportError("the disk is full; nothing was written", path)
    first = (exc.strerror or str(exc) or type(exc).__name__).strip().splitlines()[0]
    return ExportError(f"cannot write: {first}", path)
