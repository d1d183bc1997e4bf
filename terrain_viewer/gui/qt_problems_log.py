"""Problems met while drawing (a style value ignored, a unit symbol drawn plainly, letters no font
has) listed in the window's Problems panel: the renderer says them in the log, from any thread;
here they reach the GUI thread through a queued signal."""

from __future__ import annotations

import contextlib
import logging
import warnings

from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtGui import QPainter, QPalette
from PyQt6.QtWidgets import QListWidget

from terrain_viewer.core.render import LOGGER
from terrain_viewer.core.render.glyphs import MISSING_GLYPH

MOST = 200  # problems kept in the panel


class ProblemsList(QListWidget):
    """The Problems panel's list; empty, it says so (a blank white box looked broken, or still
    loading, to a new user)."""

    EMPTY = "No problems: every file opened and every layer drew."

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's)
        super().paintEvent(event)
        if self.count() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
            painter.drawText(self.viewport().rect().adjusted(8, 8, -8, -8), int(flags), self.EMPTY)
            painter.end()


class ProblemRelay(QObject):
    """Carries a log record's message to the GUI thread."""

    said = pyqtSignal(str)


class ProblemsHandler(logging.Handler):
    """Sends the renderer's warnings to a ``ProblemRelay``."""

    def __init__(self, relay: ProblemRelay):
        super().__init__(logging.WARNING)
        self.relay = relay

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(RuntimeError):  # the window has gone
            self.relay.said.emit(record.getMessage())


def listen(window, show) -> None:
    """Call ``show(message)`` in the GUI thread for each renderer warning while ``window`` lives."""
    warnings.filterwarnings("ignore", MISSING_GLYPH, UserWarning)  # said once per script instead
    relay = ProblemRelay(window)
    relay.said.connect(show)
    handler = ProblemsHandler(relay)
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    window.destroyed.connect(lambda *_: logger.removeHandler(handler))
