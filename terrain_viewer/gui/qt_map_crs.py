"""The map CRS: *View ▸ Map CRS…*, switching the session to another CRS, and the one-line warning
after *Open* when added layers lie far away or would be distorted, with *Zoom to* and *Switch map
CRS* buttons."""

from __future__ import annotations

import math
import os

from pyproj import CRS
from pyproj.exceptions import CRSError
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QPainter
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QInputDialog, QLabel, QSizePolicy, QToolButton, QWidget

from terrain_viewer.core.query.place import PlaceNote, crs_label, place_notes, suitable_crs, union
from terrain_viewer.core.temporal.timeline import to_date

MAP_CRS_TIP = "EPSG code or any CRS pyproj knows, e.g. EPSG:32633 (UTM 33N) or EPSG:3857"


def switch_map_crs(window, crs: CRS | str) -> bool:
    """Reopen the window's session in ``crs`` (same files, layer states, time; the view reprojected)."""
    project = window.project_path
    try:
        model = window.model.with_map_crs(crs)
    except (CRSError, ValueError) as exc:
        window.statusBar().showMessage(f"Map CRS {crs}: {exc}", 10000)
        return False
    refused = refused_files(window.model.dataset.problems, model.dataset.files())
    window.set_model(model, saved=False)  # the map CRS is saved in the project: a change to save
    if refused:  # the files that could not be opened are not opened again: still said
        window.show_problems(model.dataset.problems + [p for p in refused if p not in model.dataset.problems])
    if project is not None:
        window.project_path = project
    window.statusBar().showMessage(f"Map CRS is now {crs_label(model.dataset.map_crs)}", 8000)
    return True


def refused_files(problems: list[str], files: set[str]) -> list[str]:
    """The ``problems`` ("PATH: …") of files not among ``files`` (absolute paths): the files that
    could not be opened at all (a new user's list of them emptied when the map CRS was switched)."""
    return [p for p in problems if ": " in p and os.path.abspath(p.split(": ", 1)[0]) not in files]


def choose_map_crs(window) -> bool:
    """Ask for a map CRS (the UTM zone of the view's centre is offered) and switch to it."""
    current = window.model.dataset.map_crs
    boxes = [layer.lonlat_bounds for layer in window.model.dataset.layers]
    here = suitable_crs(union(boxes)) if any(boxes) else None
    items = [current.to_string()] + ([here.to_string()] if here is not None and here != current else [])
    items += ["EPSG:3857", "EPSG:4326"]
    text, ok = QInputDialog.getItem(window, "Map CRS", f"Map CRS ({MAP_CRS_TIP}):",
                                    list(dict.fromkeys(items)), 0, True)
    if not ok or not text.strip() or text.strip() == current.to_string():
        return False
    return switch_map_crs(window, text.strip())


class ElidedLabel(QLabel):
    """One line of text that ends in "…" where the room runs out (the whole in its tooltip), instead
    of being cut off mid-letter; ``text()`` stays the whole line."""

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt name)
        room = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, room.width())
        painter = QPainter(self)
        self.style().drawItemText(painter, room, int(self.alignment().value), self.palette(),
                                  self.isEnabled(), shown, self.foregroundRole())
        painter.end()


class PlaceBar(QFrame):
    """A warning line with *Zoom to* and *Switch map CRS* for one place note."""

    def __init__(self, window, note: PlaceNote, parent: QWidget | None = None):
        super().__init__(parent, objectName="placeBar")
        self.window, self.note = window, note
        self.label = ElidedLabel(note.message, objectName="placeMessage")
        self.label.setWordWrap(False)
        self.label.setToolTip(note.message)
        self.label.setMinimumWidth(200)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.zoom_button = QToolButton(text="Zoom to", objectName="placeZoom")
        self.zoom_button.setToolTip("Zoom to these layers (in a map CRS that suits them)")
        self.zoom_button.clicked.connect(self.zoom_to)
        self.crs_button = QToolButton(text="Switch map CRS", objectName="placeCrs")
        self.crs_button.setEnabled(note.suggested_crs is not None)
        self.crs_button.clicked.connect(self.switch)
        close = QToolButton(text="×", toolTip="Dismiss")
        close.clicked.connect(self.dismiss)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        for widget in (self.label, self.zoom_button, self.crs_button, close):
            row.addWidget(widget)

    def switch(self) -> bool:
        """Switch to the suggested CRS and show the layers it suits (what the bar is about)."""
        if self.note.suggested_crs is None or not switch_map_crs(self.window, self.note.suggested_crs):
            return False
        self._show_layers()
        return True

    def zoom_to(self) -> None:
        """Switch to the suggested CRS when the current one distorts the layers, then zoom to them."""
        still = place_notes(self.window.model, list(self.note.layers))
        if not (any("distorted" in n.message for n in still) and self.switch()):
            self._show_layers()

    def _show_layers(self) -> None:
        """Zoom to the note's layers and take the bar away (it has been acted on)."""
        model = self.window.model
        boxes = []
        for name in self.note.layers:
            try:
                boxes.append(model.layer_extent(name))
            except KeyError:
                continue
        if boxes:
            x0, y0, x1, y1 = union(boxes)
            dx, dy = (x1 - x0) * 0.08 + 1.0, (y1 - y0) * 0.08 + 1.0
            model.set_view((x0 - dx, y0 - dy, x1 + dx, y1 + dy))
        self._show_days(model)
        self.dismiss()

    def _show_days(self, model) -> None:
        """The date slider over the note's layers' days when it covers more (other data's): a
        researcher's 5-day battle opened beside Hengyang's got 13 px of a 13-month slider, 5 px of a
        drag two days. Said, with the way back."""
        spans = [layer.dated_extent for layer in map(model.dataset.find, self.note.layers)
                 if layer is not None and layer.dated_extent]
        shown = model.time_extent()
        if not spans or shown is None:
            return
        first, last = math.floor(min(s[0] for s in spans)), math.floor(max(s[1] for s in spans))
        if shown[0] >= first and shown[1] <= last + 1:  # it covers their days already, no more
            return
        model.set_time_range(first, last)
        days = " to ".join(f"{day.day} {day:%B %Y}" for day in map(to_date, (first, last)))
        self.window.statusBar().showMessage(f"The date slider covers their days now, {days}; Time ▸ Time "
                                            "range… ▸ All files gives all the files' days again", 15000)

    def dismiss(self) -> None:
        self.window.statusBar().removeWidget(self)
        if getattr(self.window, "place_bar", None) is self:
            self.window.place_bar = None
        self.deleteLater()


def check_added(window, names: list[str]) -> list[PlaceNote]:
    """After *Open*: one line per file whose layers lie far away or would be distorted, in the status
    bar (with the buttons) and in the Problems panel."""
    notes = place_notes(window.model, names)
    if not notes:
        return []
    for note in notes:
        window.note_place(note.message)
    old = getattr(window, "place_bar", None)
    if old is not None:
        old.dismiss()
    window.place_bar = PlaceBar(window, notes[0])
    window.statusBar().clearMessage()  # a temporary message would be drawn over the warning
    window.statusBar().addWidget(window.place_bar, 1)
    window.place_bar.show()
    return notes
