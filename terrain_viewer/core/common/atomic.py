"""Atomic file and folder writing: a temp name in the same folder, renamed only when complete.

A crash, error or cancel at any moment leaves the old file (or nothing) and a hidden
``.NAME.partial-XXXX`` at worst, never a half-written file under the real name. Errors are the
caller's project error type (``error=ProjectError`` …) with one line naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.common.files import temp_dir_beside, temp_file_beside

ErrorType = type[TerrainViewerError]


def atomic_write_bytes(path: str | Path, data: bytes, overwrite: bool = True, backup: bool = False,
                       error: ErrorType = TerrainViewerError) -> Path:
    """Write ``data`` to ``path`` atomically (fsynced); keep the old file as ``path.bak`` if
    ``backup``, once the new one is in place (a write that fails leaves the old ``.bak`` too)."""
    path = Path(path)
    with contextlib.ExitStack() as stack:  # the .bak's temp file is renamed after the new file's
        bak, old = None, path.with_name(path.name + ".bak")
        if backup and path.is_file():
            bak = stack.enter_context(atomic_path(old, overwrite=True, error=error))
        with atomic_path(path, overwrite=overwrite, error=error) as tmp:
            with open(tmp, "wb") as handle:
                write_data(handle, data)
                handle.flush()
                os.fsync(handle.fileno())
            if bak is not None:
                shutil.copyfile(path, bak)
    return path


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8", overwrite: bool = True,
                      backup: bool = False, error: ErrorType = TerrainViewerError) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode(encoding), overwrite, backup, error)


def write_data(handle, data: bytes) -> None:
    """Write ``data`` to an open binary file: the one write step (a seam fault-injection tests patch)."""
    handle.write(data)


def remove_stale_partials(path: str | Path, age_s: float = 3600.0) -> list[Path]:
    """Delete the hidden temp files a killed write of ``path`` (or of its ``.bak``) left behind,
    once they are ``age_s`` old (a younger one may belong to a write still running). Best effort."""
    path = Path(path)
    limit, removed = time.time() - age_s, []
    for target in (path, path.with_name(path.name + ".bak")):
        pattern = f".{glob.escape(target.stem)}.partial-*{glob.escape(target.suffix)}"
        for stale in target.parent.glob(pattern):
            with contextlib.suppress(OSError):
                if stale.is_file() and stale.stat().st_mtime < limit:
                    stale.unlink()
                    removed.append(stale)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | Path, overwrite: bool = False, directory: bool = False,
                error: ErrorType = TerrainViewerError,
                replaceable: Callable[[Path], bool] | None = None) -> Iterator[Path]:
    """Yield a hidden temp path beside ``path`` (an empty file, or a folder if ``directory``);
    rename it to ``path`` when the block ends normally, remove it on any exception or cancel.
    An OSError in the block or the rename becomes ``error`` naming ``path`` (see :func:`os_error`).

    An existing ``path`` (an empty folder does not count) is refused unless ``overwrite``, both
    before and after the block, so a file that appears meanwhile is not clobbered either. A folder
    is replaced whole: one holding anything ``replaceable`` does not accept (files of the user's
    own) is refused, even with ``overwrite``, before and after the block.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    check_target(path, overwrite, directory, error, replaceable=replaceable)
    prefix = f".{path.stem if not directory else path.name}.partial-{os.getpid()}-"  # whose it is
    try:
        if directory:
            tmp = temp_dir_beside(folder, prefix)
        else:
            fd, tmp = temp_file_beside(folder, prefix, path.suffix)
            os.close(fd)
    except OSError as exc:
        raise os_error(exc, path, error) from exc
    try:
        yield tmp
        check_target(path, overwrite, directory, error, appeared=True, replaceable=replaceable)
        _publish(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise os_error(exc, path, error) from exc
    except BaseException:
        _remove(tmp)
        raise


def check_target(path: Path, overwrite: bool, directory: bool = False, error: ErrorType = TerrainViewerError,
                 appeared: bool = False, replaceable: Callable[[Path], bool] | None = None) -> None:
    """Raise ``error`` if ``path`` cannot be written: no folder, not writable, wrong kind, taken
    (unless ``overwrite``), or a folder holding something ``replaceable`` does not accept."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():  # the system's refusals, told before it makes them (exit code 4)
        raise error(no_folder(folder), folder) from FileNotFoundError(errno.ENOENT, "no folder", str(folder))
    if not os.access(folder, os.W_OK):
        raise error("the folder is not writable", folder) from PermissionError(errno.EACCES, "not writable",
                                                                             str(folder))
    if path.exists() and path.is_dir() != directory:
        raise error("is a folder, not a file" if path.is_dir() else "is a file, not a folder", path)
    if directory and replaceable is not None and path.is_dir():
        others = sorted(p.name for p in path.iterdir() if not replaceable(p))
        if others:
            named = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            raise error(f"holds files that an export did not write ({named}); replacing the folder "
                        "would delete them, so it is never replaced: choose a new or empty folder", path)
    if taken(path) and not overwrite:
        problem = "appeared meanwhile; not overwritten" if appeared else "already exists"
        raise error(f"{problem}; choose another name or allow overwriting (--overwrite)", path)


def no_folder(folder: Path) -> str:
    """Why ``folder`` (not a folder) cannot be written into: it does not exist, or it is a file."""
    if folder.exists():
        return "is a file, not a folder to write into"
    return "the folder to write into does not exist"


def taken(path: Path) -> bool:
    """Whether writing ``path`` would replace something: a file, or a folder that is not empty."""
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def os_error(exc: OSError, path: Path, error: ErrorType = TerrainViewerError) -> TerrainViewerError:
    """One line for an OSError while writing ``path`` (a full disk is said plainly)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return error("the disk is full; nothing was written", path)
    first = (exc.strerror or str(exc) or type(exc).__name__).strip().splitlines()[0]
    folder = path.parent
    if exc.errno in (errno.ENOENT, errno.EROFS, errno.EACCES, errno.EPERM) and folder.is_dir():
        # the folder is there, and the system refused a new file in it (/proc, a read-only disk):
        # "No such file or directory" alone named the wrong cause
        return error(f"cannot write a file in {folder} ({first}); choose another folder", path)
    return error(f"cannot write: {first}", path)


def _publish(tmp: Path, path: Path) -> None:
    """Move ``tmp`` onto ``path``; an old folder is moved aside first and removed after."""
    if tmp.is_dir() and path.exists():
        old = tmp.with_name(tmp.name.replace(".partial-", ".old-", 1))
        os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, path)
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
        fd = os.open(path.parent if str(path.parent) else ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove(tmp: Path) -> None:
    if tmp.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.unlink(missing_ok=True)
