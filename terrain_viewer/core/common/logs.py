"""Logging for the CLI and the GUI: a rotating log file in the user's log folder (platformdirs).

``setup_logging()`` is safe to call more than once and never fails: when the log folder cannot
be written the log goes to stderr only. ``TERRAIN_VIEWER_LOG_DIR`` overrides the folder.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import sys
from pathlib import Path

import platformdirs

APP = "terrain_viewer"
LOG_NAME = "terrain_viewer.log"
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_MARK = "_terrain_viewer_handler"


def log_dir() -> Path:
    """The folder for log files (``TERRAIN_VIEWER_LOG_DIR`` or the platform's user log folder)."""
    override = os.environ.get("TERRAIN_VIEWER_LOG_DIR")
    return Path(override) if override else platformdirs.user_log_path(APP, appauthor=False)


def _file_handler(folder: Path) -> logging.Handler | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return logging.handlers.RotatingFileHandler(folder / LOG_NAME, maxBytes=1_000_000, backupCount=3,
                                                    encoding="utf-8")
    except OSError:
        return None


def setup_logging(level: int = logging.INFO, console: bool = False,
                  folder: Path | None = None) -> Path | None:
    """Log ``terrain_viewer.*`` to a rotating file (and to stderr when ``console``).

    Returns the log file's path, or None when only stderr could be used.
    """
    logger = logging.getLogger(APP)
    logger.setLevel(level)
    for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(handler)
        handler.close()
    file_handler = _file_handler(folder or log_dir())
    handlers: list[logging.Handler] = [file_handler] if file_handler else []
    if console or file_handler is None:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
    return Path(file_handler.baseFilename) if file_handler else None


CRASH_NAME = "crash.log"
_crash_file = None  # kept open for the life of the process: faulthandler writes into it on a crash


def enable_crash_log(folder: Path | None = None) -> Path | None:
    """Native crashes (segfaults, aborts) write every thread's Python stack to ``crash.log``."""
    global _crash_file
    path = (folder or log_dir()) / CRASH_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        crash_file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - must outlive this function
    except OSError:
        return None
    faulthandler.enable(file=crash_file, all_threads=True)
    if _crash_file is not None:
        _crash_file.close()
    _crash_file = crash_file
    return path


def log_exception(exc: BaseException, where: str = "") -> None:
    """Record an unexpected exception with its traceback (the user sees only one line)."""
    logging.getLogger(APP).error("unexpected error%s", f" in {where}" if where else "",
                                 exc_info=(type(exc), exc, exc.__traceback__))
