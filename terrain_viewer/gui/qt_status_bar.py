"""The main window's status bar: a message too long for the room the coordinates leave it ends in
"…", the whole of it in the bar's tooltip (on a 1366 px laptop a message was cut mid-word, at the
coordinates, with no way to read the rest)."""

from __future__ import annotations

import time

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtWidgets import QSizeGrip, QSizePolicy, QStatusBar, QWidget


class MessageBar(QStatusBar):
    """``showMessage`` shows as much of the message as fits, ending in "…" when cut, and puts it
    whole in the tooltip; ``currentMessage`` is the whole message. It is fitted again when the bar
    or a permanent widget changes size (the coordinates' text grows as the mouse moves)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # as QMainWindow's own:
        #                                      its widgets' widths must not set the window's least width
        self._whole = ""
        self._until = 0.0  # monotonic seconds the message goes at (0: stays)
        self._permanent: list[QWidget] = []
        self._fitting = False
        self.messageChanged.connect(self._on_changed)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802 - Qt's name
        self._permanent.append(widget)
        widget.installEventFilter(self)
        super().addPermanentWidget(widget, stretch)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 - Qt's name
        self._whole = text
        self._until = time.monotonic() + timeout / 1000 if timeout > 0 else 0.0
        self._fit(timeout)

    def currentMessage(self) -> str:  # noqa: N802 - Qt's name
        return self._whole

    def room(self) -> int:
        """The pixels a message has: from the left edge to the first permanent widget shown (as
        ``QStatusBar`` lays it out: 6 px in from the left, 2 px short of that widget)."""
        right = self.width() - 12
        grip = self.findChild(QSizeGrip)
        if grip is not None and grip.isVisible():
            right = grip.x()
        shown = [w.x() - 2 for w in self._permanent if w.isVisible()]
        return max(min([right, *shown]) - 6, 0)

    def _fit(self, timeout: int) -> None:
        if self._fitting:  # showing it moved a widget: fitted already
            return
        self._fitting = True
        try:
            text = self.fontMetrics().elidedText(self._whole, Qt.TextElideMode.ElideRight, self.room())
            if not self.isVisible() or text in ("", "…"):  # not laid out yet: fitted once shown
                text = self._whole
            self.setToolTip(self._whole if text != self._whole else "")
            super().showMessage(text, timeout)
        finally:
            self._fitting = False

    def _on_changed(self, text: str) -> None:
        if not text and not self._fitting:  # gone (its time was up, or cleared)
            self._whole = ""
            self.setToolTip("")

    def _fit_again(self) -> None:
        """The message shown fitted to the room there is now, for the rest of its time."""
        if not self._whole:
            return
        left = self._until - time.monotonic()
        if not self._until:
            self._fit(0)
        elif left > 0:
            self._fit(max(int(left * 1000), 1))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_again()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show, QEvent.Type.Hide):
            self._fit_again()
        return super().eventFilter(watched, event)
