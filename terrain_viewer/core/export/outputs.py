"""Where an export may write: never onto one of its inputs, and no stale partials left behind.

* ``refuse_inputs``: an output (the video, the frames folder, a saved settings file) that is one of
  the export's inputs (a data file, the project, the settings file), or a folder holding one, is
  refused, even with ``--overwrite``: paths are compared resolved and with ``os.path.samefile``.
* ``check_out_name``: with the format given (``--format``, the dialog's choice), the output must
  bear that format's own name: ``FILE.mp4``, ``FILE.gif``, ``FILE.mov``, or a folder for PNG
  frames, so a project or a GeoPackage is never turned into a video, even with ``--overwrite``.
* ``frame_file``: a frames folder is replaced whole, so one that holds anything but an export's
  frames (the user's own files) is refused, even with ``--overwrite``.
* ``remove_stale_partials``: a killed export leaves its hidden partial output
  (``.NAME.partial-PID-XXXXXXXX.mp4``, see ``common.atomic``). The next export to that folder
  removes the partials of ours that nobody writes any more: their process is gone, or they have
  not been touched for ``STALE_AFTER`` seconds.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from terrain_viewer.core.common.errors import ExportError

STALE_AFTER = 3600.0  # seconds without a write after which a partial output is abandoned
PARTIAL = re.compile(r"\.(?P<name>.+)\.(?:partial|old)-(?:(?P<pid>\d+)-)?[A-Za-z0-9_]{6,}"
                     r"(?P<suffix>\.mp4|\.gif|\.mov)?\Z")
FRAME = re.compile(r"frame_\d{5,}\.png\Z")


def refuse_inputs(out: str | Path, inputs: Iterable[str | Path], what: str = "the output",
                  whose: str = "the export's") -> None:
    """Raise ExportError if ``out`` is one of ``inputs`` or a folder that holds one (``whose``
    names the inputs' owner in the message: "the export's", or "the" for any command)."""
    out = Path(out)
    target = _resolved(out)
    for item in inputs:
        if item is None or str(item) == "":
            continue
        source = Path(item)
        real = _resolved(source)
        if real == target or _same_file(out, source):
            raise ExportError(f"{what} is one of {whose} inputs ({source}), which are never "
                              "overwritten; choose another name", out)
        if target in real.parents:
            raise ExportError(f"{what} is a folder that holds {whose} input {source}; choose "
                              "another folder", out)


def check_out_name(out: str | Path, fmt: str) -> None:
    """Raise ExportError unless ``out`` is named as format ``fmt`` writes it: ``.mp4``, ``.gif`` or
    ``.mov`` (any case); for ``png`` a folder: an existing one, or a name with no suffix, ``.png``
    or ending in ``_frames`` (the export dialog's ``NAME_frames``)."""
    out = Path(out)
    suffix, stem = out.suffix.lower(), out.stem or "export"
    if fmt == "png":
        if suffix in ("", ".png") or out.name.endswith("_frames") or out.is_dir():
            return
        raise ExportError(f"is not a folder name for PNG frames (the format asked for); name it "
                          f"{stem}_frames", out)
    if suffix != f".{fmt}":
        raise ExportError(f"does not end in .{fmt} (the format asked for); name it {stem}.{fmt}", out)


def frame_file(entry: Path) -> bool:
    """Whether ``entry`` is a PNG frame an export writes (``frame_00001.png``): a frames folder
    holding anything else is never replaced."""
    return FRAME.match(entry.name) is not None and entry.is_file() and not entry.is_symlink()


def _resolved(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare as given
        return path.absolute()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def remove_stale_partials(folder: str | Path, now: float | None = None) -> list[Path]:
    """Remove abandoned partial outputs of earlier exports in ``folder``; return what was removed."""
    folder = Path(folder) if str(folder) else Path(".")
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:  # an unreadable folder: the export itself will say so
        return removed
    for entry in entries:
        match = PARTIAL.match(entry.name)
        if match is None or not _ours(entry, match):
            continue
        pid = match.group("pid")
        gone = pid is not None and not process_alive(int(pid))
        if gone or now - _last_write(entry) > STALE_AFTER:
            _remove(entry)
            removed.append(entry)
    return removed


def _ours(entry: Path, match: re.Match) -> bool:
    """A video or GIF partial file, or a partial folder of PNG frames only (nothing else of anyone's)."""
    if entry.is_symlink():
        return False
    if entry.is_dir():
        with contextlib.suppress(OSError):
            return all(FRAME.match(p.name) and p.is_file() for p in entry.iterdir())
        return False
    return entry.is_file() and match.group("suffix") is not None


def _last_write(entry: Path) -> float:
    try:
        return entry.stat().st_mtime  # a folder's changes when a frame is added
    except OSError:
        return 0.0


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` is running (a zombie is not)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except OSError:
        return False
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    return True


def _remove(entry: Path) -> None:
    if entry.is_dir():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            entry.unlink()
