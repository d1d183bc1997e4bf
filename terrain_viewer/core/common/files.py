"""Temporary files beside their target, with the permissions a normal new file gets.

``tempfile.mkstemp`` makes private (0600) files; saved projects, PNGs and videos are renamed from
such temp files, so they get the user's usual mode (0666 minus the umask) instead.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_file_beside(folder: str | Path, prefix: str, suffix: str) -> tuple[int, Path]:
    """An open (fd, path) in ``folder``, readable as any new file of the user's would be."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    with contextlib.suppress(OSError):  # a file system without permissions keeps mkstemp's mode
        os.fchmod(fd, 0o666 & ~current_umask())
    return fd, Path(name)


def temp_dir_beside(folder: str | Path, prefix: str) -> Path:
    """A new folder in ``folder`` with the user's usual folder permissions."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
    with contextlib.suppress(OSError):
        path.chmod(0o777 & ~current_umask())
    return path
