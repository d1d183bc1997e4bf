"""The events panel: the events of the current day, from every visible layer whose role is ``events``.

Each row shows the time and title; the text below shows the description and the source of the
selected event. Clicking an event centres the map on it.
"""

from __future__ import annotations

import html
import math

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from terrain_viewer.core.common.events import Links
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.query.events import Event, events_on, sources_differ
from terrain_viewer.core.temporal.timeline import parse_iso, to_datetime
from terrain_viewer.gui.qt_time_slider import date_text

EVENTS_LAYER = "events"  # the shipped layer; any layer with the events role is listed too
XY_ROLE = Qt.ItemDataRole.UserRole
ATTRS_ROLE = Qt.ItemDataRole.UserRole + 1
LAYER_ROLE = Qt.ItemDataRole.UserRole + 2
LIST_DELAY_MS = 120  # a new day is listed this long after the date reaches it: a held key or fast
# playback would otherwise rebuild the list (~20 ms of Python) for every day, delaying those frames


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def when(attrs: dict) -> str:
    """``1944-07-11 05:00`` or ``1944-07-11`` from the event's start (and end when it differs)."""
    parts = []
    for day, has_time in _bounds(attrs):
        stamp = to_datetime(day)
        parts.append(f"{stamp:%d %b %Y %H:%M}" if has_time else f"{stamp:%d %b %Y}")
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    if len(parts) == 2 and parts[0][:11] == parts[1][:11]:  # same day: 20 Jul 1944 17:00–23:59
        return f"{parts[0]}–{parts[1][12:]}"
    return " – ".join(parts)


def _bounds(attrs: dict) -> list[tuple[float, bool]]:
    """The parsed start and end (days, has a time of day), leaving out what is empty or bad."""
    out = []
    for key in ("start_date", "end_date"):
        try:
            parsed = parse_iso(attrs.get(key), end=key == "end_date")
        except ValueError:
            parsed = None
        if parsed is not None:
            out.append(parsed)
    return out


def when_on(attrs: dict, day: int) -> str:
    """The event's time as seen from ``day``: ``all day``, ``05:00–06:00`` or ``11 Jul – 13 Jul``."""
    bounds = _bounds(attrs)
    if not bounds:
        return ""
    if len(bounds) == 1 and _text(attrs.get("end_date")) == "":  # open-ended
        return f"from {to_datetime(bounds[0][0]).day} {to_datetime(bounds[0][0]):%b}"
    days = [math.floor(t) for t, _ in bounds]
    if all(d == day for d in days):
        times = [f"{to_datetime(t):%H:%M}" for t, is_dt in bounds if is_dt]
        return "–".join(dict.fromkeys(times)) if times else "all day"
    return " – ".join(f"{to_datetime(t).day} {to_datetime(t):%b}" for t, _ in bounds)


class QtEventsPanel(QWidget):
    """List of today's events and the details of the selected one."""

    centre_requested = pyqtSignal(float, float)  # map x, y

    def __init__(self, model: ViewerModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.heading = QLabel(objectName="panelHeading")
        self.list = QListWidget(objectName="eventsList")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.itemClicked.connect(self._on_clicked)
        self.list.currentItemChanged.connect(lambda item, _old: self._show(item))
        self.details = QTextBrowser(objectName="eventDetails")
        self.details.setOpenExternalLinks(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.list)
        split.addWidget(self.details)
        split.setSizes([300, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(split, 1)
        self._day: int | None = None
        self._later = QTimer(self, singleShot=True, interval=LIST_DELAY_MS)
        self._later.timeout.connect(self.refresh)
        self._links = Links()
        self.set_model(model)

    def set_model(self, model: ViewerModel) -> None:
        self._links.clear()
        self.model = model
        self._links.connect(model.events.time, lambda _c: self._day_changed())
        for signal in (model.events.layer_added, model.events.layer_removed, model.events.reset,
                       model.events.visibility, model.events.role, model.events.time_offset):
            self._links.connect(signal, lambda _c: self.refresh(force=True))
        self.refresh(force=True)

    def _day_changed(self) -> None:
        """List the current day's events ``LIST_DELAY_MS`` after the first change of day (not restarted
        by later changes, so playback still lists each day it shows long enough)."""
        if math.floor(self.model.time.t) != self._day and not self._later.isActive():
            self._later.start()

    def is_current(self) -> bool:
        """True when the list shows the model's current day (no listing is pending)."""
        return self._day == math.floor(self.model.time.t) and not self._later.isActive()

    def refresh(self, force: bool = False) -> None:
        """List the events of the model's current day (re-listed only when the day changes)."""
        self._later.stop()
        key = math.floor(self.model.time.t)
        if key == self._day and not force:
            return
        current = self.list.currentItem()  # the same day listed again (a layer came or went): the
        kept = (current.text(), current.data(LAYER_ROLE)) if current is not None and key == self._day \
            else None  # event chosen stays chosen
        self._day = key
        self.list.clear()
        self.details.clear()
        for event in self.day_events():
            attrs = event.attrs
            item = QListWidgetItem(f"{event.title}\n{when_on(attrs, key - self._offset(event.layer))}")
            item.setData(XY_ROLE, event.xy)
            item.setData(ATTRS_ROLE, attrs)
            item.setData(LAYER_ROLE, event.layer)
            item.setToolTip(_text(attrs.get("description")))
            self.list.addItem(item)
        count = self.list.count()
        listed = ((self.list.item(i).text(), self.list.item(i).data(LAYER_ROLE)) for i in range(count))
        if count:  # its details (else the first's), the map unmoved
            self.list.setCurrentRow(next((i for i, event in enumerate(listed) if event == kept), 0))
        self.heading.setText(f"{count} event{'s' if count != 1 else ''} on {date_text(self.model.time.t)}")

    def day_events(self) -> list[Event]:
        """The events on the current day (any hour of it) from every events layer, in start order."""
        return events_on(self.model, self.model.time.t)

    def events(self) -> list[tuple[dict, tuple[float, float]]]:
        """(attributes, map point) of the events on the current day (any hour of it), in start order."""
        return [(event.attrs, event.xy) for event in self.day_events()]

    def _offset(self, layer: str) -> int:
        found = [lyr.time_offset for lyr in self.model.dataset.layers if lyr.name == layer]
        return math.floor(found[0]) if found else 0

    def _show(self, item: QListWidgetItem | None) -> None:
        if item is None:
            self.details.clear()
            return
        attrs = item.data(ATTRS_ROLE)
        rows = [f"<h3>{html.escape(_text(attrs.get('title')))}</h3>",
                f"<p><i>{html.escape(when(attrs))}</i></p>",
                f"<p>{html.escape(_text(attrs.get('description')))}</p>"]
        source = _text(attrs.get("source"))
        if source:
            confidence = _text(attrs.get("confidence"))
            extra = f"<br><b>Confidence:</b> {html.escape(confidence)}" if confidence else ""
            rows.append(f"<p><b>Source:</b> {html.escape(source)}{extra}</p>")
        differ = sources_differ(self.model, item.data(LAYER_ROLE) or EVENTS_LAYER, attrs)
        if differ:
            lines = "<br>".join(html.escape(d) for d in differ)
            rows.append(f"<p style='background:#fff3d6'><b>sources differ:</b> {lines}</p>")
        rows.append(f"<p style='color:#777'>layer {html.escape(_text(item.data(LAYER_ROLE)))}</p>")
        self.details.setHtml("".join(rows))

    def _on_clicked(self, item: QListWidgetItem) -> None:
        self._show(item)
        x, y = item.data(XY_ROLE)
        self.centre_requested.emit(x, y)
