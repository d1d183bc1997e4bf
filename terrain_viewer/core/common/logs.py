"""Logging for the CLI and the GUI: a rotating log file in the user's log folder (platformdirs).

``setup_logging()`` is safe to call more than once and never fails: when the log folder cannot
be written the log goes to stderr only. ``TERRAIN_VIEWER_LOG_DIR`` overrides the folder.
"""

from __future__ import annotations

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


def log_exception(exc: BaseException, where: str = "") -> None:
    """Record an unexpected exception with its traceback (the user sees only one line)."""
    logging.getLogger(APP).error("unexpected error%s", f" in {where}" if where else "",
                                 exc_info=(type(exc), exc, exc.__traceback__))
