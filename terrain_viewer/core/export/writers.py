"""Frame writers (setup / grab_frame / finish / close, the matplotlib.animation shape).

Outputs never lie: ``finish`` checks what was written before the caller renames it into place.
The MP4 writer checks ffmpeg's exit status and reads the frame count back from the file; the GIF
writer reopens its file and adds up the frame durations; the PNG writer checks every frame file.
Any failure is one ExportError naming the file (the caller removes the partial output).
"""

from __future__ import annotations

import contextlib
import errno
import math
import queue
import shutil
import subprocess
import tempfile
import threading
from fractions import Fraction
from pathlib import Path

from terrain_viewer.core.common.atomic import os_error
from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.export.mp4info import video_frames

FULL_DISK = ("No space left", "Disk quota exceeded")  # what ffmpeg says when the disk fills


class FrameWriter:
    """Takes frames in order: ``setup`` once, ``grab_frame`` per frame, ``end_input`` and then
    ``finish`` when all are in (it checks the written output); ``close`` always comes last (after
    ``finish``, an error or a cancel) and frees what is open."""

    def setup(self, path: Path, size: tuple[int, int], fps: float) -> None:
        self.path, self.size, self.fps, self.count = Path(path), size, fps, 0

    def grab_frame(self, frame) -> None:
        self.count += 1

    def end_input(self) -> None:
        """No more frames: a writer may start finishing in the background (``finish`` waits)."""

    def finish(self) -> None: ...

    def close(self) -> None: ...


class PngWriter(FrameWriter):
    """PNG frames are written by whoever renders them (``finish_frame``); ``grab_frame`` gets
    their names, ``finish`` checks that each is there and not empty."""

    def setup(self, path: Path, size: tuple[int, int], fps: float) -> None:
        super().setup(path, size, fps)
        self.names: list[str] = []

    def grab_frame(self, frame: str) -> None:
        super().grab_frame(frame)
        self.names.append(frame)

    def finish(self) -> None:
        for name in self.names:
            try:
                empty = (self.path / name).stat().st_size == 0
            except OSError as exc:
                raise write_error(exc, self.path) from exc
            if empty:
                raise ExportError(f"frame {name} is empty; nothing was written", self.path)


class Mp4Writer(FrameWriter):
    """H.264 (yuv420p) through the ffmpeg that imageio-ffmpeg ships; frames as RGBA arrays (the
    renderer's own layout: ffmpeg converts to YUV on its side, no copy to RGB here).

    x264 ``veryfast`` at CRF 17 costs half the CPU of ``medium`` at CRF 18 for the same file size
    and within 0.4 dB PSNR on these maps (flat colours), which matters when the encoder shares
    two cores with the renderers. A feeder thread writes the frames into ffmpeg's pipe (the GIL
    is released while writing), so the next frame renders meanwhile. ffmpeg runs in its own
    session (Ctrl-C is ours to handle); it ends when its input closes, also when this process is
    killed."""

    INPUT = "rgba"
    QUEUE = 2  # frames waiting for the pipe at most (each 8 MB at 1080p)
    CONTAINER = "mp4"
    CODEC = ["-vcodec", "libx264", "-pix_fmt", "yuv420p", "-crf", "17", "-preset", "veryfast",
             "-movflags", "+faststart"]

    def setup(self, path: Path, size: tuple[int, int], fps: float) -> None:
        import imageio_ffmpeg

        super().setup(path, size, fps)
        w, h = size
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo",
                   "-vcodec", "rawvideo", "-s", f"{w}x{h}", "-pix_fmt", self.INPUT,
                   "-r", str(Fraction(fps).limit_denominator()), "-i", "-", "-an", *self.CODEC,
                   "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-f",
                   self.CONTAINER, str(path)]
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - ffmpeg's messages, until close()
        try:
            self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                          stderr=self._log, start_new_session=True)
        except OSError as exc:
            self._log.close()
            raise ExportError(f"cannot start the video encoder ffmpeg: {exc.strerror or exc}", path) from exc
        self._queue: queue.Queue = queue.Queue(self.QUEUE)
        self._broken: OSError | None = None  # the feeder's write error: ffmpeg stopped
        self._ended = False  # the feeder has been told: no more frames
        self._feeder = threading.Thread(target=self._feed, name="ffmpeg-feeder", daemon=True)
        self._feeder.start()

    def _feed(self) -> None:
        """Write queued frames into ffmpeg's pipe until None (after an error, drop the rest), then
        close it: ffmpeg encodes what it holds, writes the trailer and exits."""
        while (frame := self._queue.get()) is not None:
            if self._broken is None:
                try:
                    self._proc.stdin.write(frame)  # any C-contiguous buffer: bytes or an array
                except (OSError, ValueError) as exc:
                    self._broken = exc if isinstance(exc, OSError) else OSError(errno.EPIPE, str(exc))
        try:
            self._proc.stdin.close()
        except OSError as exc:
            self._broken = self._broken or exc

    def grab_frame(self, frame) -> None:
        if self._broken is not None:  # ffmpeg stopped (a full disk, a crash): say what it said
            raise self._failure(self._broken)
        self._queue.put(frame)
        super().grab_frame(frame)

    def end_input(self) -> None:
        if not getattr(self, "_ended", True):
            self._ended = True
            self._queue.put(None)

    def finish(self) -> None:
        self.end_input()
        self._feeder.join()
        if self._broken is not None:
            raise self._failure(self._broken)
        if self._proc.wait() != 0:
            raise self._failure(None)
        check_video(self.path, self.count)

    def close(self) -> None:
        proc = getattr(self, "_proc", None)
        running = proc is not None and proc.poll() is None
        if running:  # after an error or a cancel: stop it now (a write blocked in the feeder fails)
            proc.kill()
        self.end_input()
        if getattr(self, "_feeder", None) is not None:
            self._feeder.join()
        if running:
            proc.wait()
        if getattr(self, "_log", None) is not None:
            self._log.close()

    def _failure(self, exc: OSError | None) -> ExportError:
        """One line for a failed encoder: its exit status and last message."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=10)
        self._log.seek(0)
        lines = self._log.read()[-4000:].decode(errors="replace").strip().splitlines()
        said = lines[-1].strip() if lines else (str(exc) if exc else "no message")
        if any(s in line for line in lines for s in FULL_DISK):
            return write_error(OSError(errno.ENOSPC, said), self.path)
        status = self._proc.returncode
        return ExportError(f"the video encoder ffmpeg failed (exit status {status}: {said[:200]}); "
                           "nothing was written", self.path)


class MovWriter(Mp4Writer):
    """ProRes 4444 with alpha (``prores_ks`` profile 4, yuva444p10le) in a QuickTime .mov, for
    editing suites; frames as RGBA arrays."""

    INPUT = "rgba"
    CONTAINER = "mov"
    CODEC = ["-c:v", "prores_ks", "-profile:v", "4", "-pix_fmt", "yuva444p10le", "-vendor", "apl0"]


def check_video(path: Path, frames: int) -> None:
    """Raise ExportError unless ``path`` is a video of exactly ``frames`` frames, read back from
    its container metadata (``mp4info``: no decode), else by decoding it."""
    import imageio_ffmpeg

    try:
        size = path.stat().st_size
        found = video_frames(path) if size else 0
        if found is None:  # not whole, or a layout the metadata reader does not know: decode it
            found = imageio_ffmpeg.count_frames_and_secs(str(path))[0]
    except OSError as exc:
        raise write_error(exc, path) from exc
    except RuntimeError:  # ffmpeg cannot read it at all
        found = None
    if found != frames:
        got = "an unreadable file" if found is None else f"{found} of {frames} frames"
        raise ExportError(f"the video came out incomplete ({got} read back); nothing was written", path)


class GifWriter(FrameWriter):
    """Pillow GIF with one adaptive palette per frame (keep GIFs short: frames stay in memory)."""

    def setup(self, path: Path, size: tuple[int, int], fps: float) -> None:
        super().setup(path, size, fps)
        self._frames: list = []

    def grab_frame(self, frame) -> None:
        from PIL import Image

        super().grab_frame(frame)
        image = Image.fromarray(frame).convert("RGB")  # an (H, W, 4) RGBA array
        self._frames.append(image.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                           dither=Image.Dither.NONE))
        with contextlib.suppress(OSError):  # a long GIF export's partial file stays fresh (not stale)
            self.path.touch()

    def durations(self) -> list[int]:
        """Each frame's delay in ms: whole 1/100 s (GIF's unit), at least 2/100 s, keeping the frame
        rate's clock (8 fps: 130, 120, 130, 120 …), so a GIF lasts what its subtitles say (8 fps as
        120 ms a frame ran 4 % fast)."""
        out, last = [], 0
        for k in range(self.count):
            step = max(2, math.floor((k + 1) * 100 / self.fps + 0.5) - last)
            out.append(step * 10)
            last += step
        return out

    def finish(self) -> None:
        first, rest = self._frames[0], self._frames[1:]
        durations = self.durations()
        first.save(self.path, format="GIF", save_all=True, append_images=rest, loop=0,
                   duration=durations, optimize=False)
        check_gif(self.path, sum(durations))

    def close(self) -> None:
        self._frames = []


def check_gif(path: Path, milliseconds: int) -> None:
    """Raise ExportError unless ``path`` is a GIF lasting ``milliseconds`` (Pillow merges identical
    consecutive frames into one longer frame, so the durations are added up, not the frames)."""
    from PIL import Image, UnidentifiedImageError

    total = 0
    try:
        with Image.open(path) as gif:
            for index in range(getattr(gif, "n_frames", 1)):
                gif.seek(index)
                total += int(gif.info.get("duration", 0))
    except OSError as exc:
        if not isinstance(exc, UnidentifiedImageError | SyntaxError) and exc.errno is not None:
            raise write_error(exc, path) from exc
        total = -1
    except (EOFError, SyntaxError, ValueError):
        total = -1
    if total != milliseconds:
        raise ExportError("the GIF came out incomplete (read back "
                          f"{'nothing readable' if total < 0 else f'{total} of {milliseconds} ms'}); "
                          "nothing was written", path)


WRITERS: dict[str, type[FrameWriter]] = {"png": PngWriter, "mp4": Mp4Writer, "gif": GifWriter,
                                         "mov": MovWriter}


def write_error(exc: OSError, path: Path) -> ExportError:
    """One line for a failed write; ffmpeg on a full disk shows up only as a broken pipe."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        full = shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        full = False
    return os_error(OSError(errno.ENOSPC, "full") if full else exc, path, ExportError)
