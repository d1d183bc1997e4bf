"""Frame writers (setup / grab_frame / finish / close, the matplotlib.animation shape).

Outputs never lie: ``finish`` checks what was written before the caller renames it into place.
The MP4 writer checks ffmpeg's exit status and reads the frame count back from the file; the GIF
writer reopens its file and adds up the frame durations; the PNG writer checks every frame file.
Any failure is one ExportError naming the file (the caller removes the partial output).
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

from terrain_viewer.core.common.atomic import os_error
from terrain_viewer.core.common.errors import ExportError

FULL_DISK = ("No space left", "Disk quota exceeded")  # what ffmpeg says when the disk fills


class FrameWriter:
    """Takes frames in order: ``setup`` once, ``grab_frame`` per frame, ``finish`` when all are in
    (it checks the written output); ``close`` always comes last (after ``finish``, an error or a
    cancel) and frees what is open."""

    def setup(self, path: Path, size: tuple[int, int], fps: float) -> None:
        self.path, self.size, self.fps, self.count = Path(path), size, fps, 0

    def grab_frame(self, frame) -> None:
        self.count += 1

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
    """H.264 (yuv420p) through the ffmpeg that imageio-ffmpeg ships; frames as RGB bytes.

    x264 ``veryfast`` at CRF 17 costs half the CPU of ``medium`` at CRF 18 for the same file size
    and within 0.4 dB PSNR on these maps (flat colours), which matters when the encoder shares
    two cores with the renderers. ffmpeg runs in its own session (Ctrl-C is ours to handle); it
    ends when its input closes, also when this process is killed."""

    INPUT = "rgb24"
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

    def grab_frame(self, frame: bytes) -> None:
        try:
            self._proc.stdin.write(frame)
        except OSError as exc:  # ffmpeg stopped (a full disk, a crash): say what it said
            raise self._failure(exc) from exc
        super().grab_frame(frame)

    def finish(self) -> None:
        try:
            self._proc.stdin.close()  # ffmpeg writes the rest and the trailer, then exits
        except OSError as exc:
            raise self._failure(exc) from exc
        if self._proc.wait() != 0:
            raise self._failure(None)
        check_video(self.path, self.count)

    def close(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:  # after an error or a cancel: stop it now
            with contextlib.suppress(OSError):
                proc.stdin.close()
            proc.kill()
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
    editing suites; frames as RGBA bytes."""

    INPUT = "rgba"
    CONTAINER = "mov"
    CODEC = ["-c:v", "prores_ks", "-profile:v", "4", "-pix_fmt", "yuva444p10le", "-vendor", "apl0"]


def check_video(path: Path, frames: int) -> None:
    """Raise ExportError unless ``path`` is a video of exactly ``frames`` frames (read back)."""
    import imageio_ffmpeg

    try:
        size = path.stat().st_size
        found = imageio_ffmpeg.count_frames_and_secs(str(path))[0] if size else 0
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
        self.duration = max(20, int(round(100 / self.fps)) * 10)  # GIF delays are in 1/100 s

    def grab_frame(self, frame: bytes) -> None:
        from PIL import Image

        super().grab_frame(frame)
        image = Image.frombytes("RGB", self.size, frame)
        self._frames.append(image.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                           dither=Image.Dither.NONE))
        with contextlib.suppress(OSError):  # a long GIF export's partial file stays fresh (not stale)
            self.path.touch()

    def finish(self) -> None:
        first, rest = self._frames[0], self._frames[1:]
        first.save(self.path, format="GIF", save_all=True, append_images=rest, loop=0,
                   duration=self.duration, optimize=False)
        check_gif(self.path, self.count * self.duration)

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
