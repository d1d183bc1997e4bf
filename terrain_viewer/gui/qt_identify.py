"""The identify panel: every attribute of the features under a clicked point, source first."""

from __future__ import annotations

import datetime as dt
import html

from PyQt6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from terrain_viewer.core.data.roles import default_label_field
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.query.events import sources_differ
from terrain_viewer.core.query.identify import identify
from terrain_viewer.core.temporal.timeline import to_datetime

PROMINENT = ("source", "confidence")
INTERNAL = ("progress",)  # how far a unit is between two keyframes: the viewer's, not the data's
TOLERANCE_PX = 8
CONFIDENCE_COLOURS = {"high": "#1b6e1b", "medium": "#a66a00", "low": "#b00020"}


def _value(value: object) -> str:
    """A value as a reader wants it: dates as ISO dates ('1944-06-24', the day through its end,
    not '1944-06-24 23:59:59.999000'), times to the minute, a missing date (NaT) blank."""
    if value is None or str(value) == "NaT":
        return ""
    if isinstance(value, dt.datetime):  # pandas' Timestamp too
        end_of_day = (value.hour, value.minute, value.second) == (23, 59, 59)
        whole = end_of_day or (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
        return value.date().isoformat() if whole else value.strftime("%Y-%m-%d %H:%M")
    return html.escape(str(value))


RULE = ("<table width='100%' cellspacing='0' cellpadding='0' style='margin-top:6px; background:#b8b2a4'>"
        "<tr><td style='font-size:1px'>&nbsp;</td></tr></table>")  # between features (an <hr> after a
#                                                                   table sat beside its last row)
OPEN_DATES = {"start_date": "<i>none: always was</i>", "end_date": "<i>none: still there</i>"}


def hit_html(layer: str, attrs: dict, differ: list[str] | None = None, name_field: str | None = None,
             dated: bool = False) -> str:
    """One feature: layer and title (``name_field``'s value: what the map labels it with), a box with
    source and confidence (and where sources differ, from the data's ``variants`` table), then every
    other attribute; a ``dated`` layer's empty start or end date says what it means."""
    named = attrs.get(name_field) if name_field else None
    title = named or attrs.get("title") or attrs.get("name_en") or attrs.get("designation") or ""
    confidence = str(attrs.get("confidence") or "")
    colour = CONFIDENCE_COLOURS.get(confidence.lower(), "#444444")
    parts = [f"<h3 style='margin:8px 0 2px 0'>{_value(title) or html.escape(layer)}</h3>",
             f"<div style='color:#666'>layer <b>{html.escape(layer)}</b></div>"]
    if "source" in attrs or "confidence" in attrs:
        source = _value(attrs.get("source")) or "<i>none given</i>"
        parts.append("<table width='100%' cellpadding='4' style='background:#f3efe4; margin-top:4px'>"
                     f"<tr><td><b>Source</b><br>{source}</td></tr>"
                     f"<tr><td><b>Confidence</b> <span style='color:{colour}; font-weight:700'>"
                     f"{html.escape(confidence) or '—'}</span></td></tr></table>")
    if differ:
        lines = "<br>".join(html.escape(d) for d in differ)
        parts.append(f"<p style='background:#fff3d6; margin:4px 0'><b>sources differ:</b> {lines}</p>")
    rows = "".join(f"<tr><td style='color:#555; padding-right:8px' valign='top'>{html.escape(str(k))}</td>"
                   f"<td>{_value(v) or (OPEN_DATES.get(k, '') if dated else '')}</td></tr>"
                   for k, v in attrs.items() if k not in PROMINENT and k not in INTERNAL)
    parts.append(f"<table cellpadding='2' style='margin-top:4px'>{rows}</table>{RULE}")
    return "".join(parts)


def _dated(model: ViewerModel | None, layer: str) -> bool:
    """Features of ``layer`` come and go by their own dates (an empty one is open: "still there"; a
    keyframe's end before a unit's last is not read, so not said)."""
    try:
        return model is not None and model.dataset.layer(layer).role == "temporal"
    except KeyError:
        return False


def _name_field(model: ViewerModel | None, layer: str) -> str | None:
    """The column the map labels ``layer``'s features with (the user's choice, else the painter's:
    an event's title, else the default)."""
    if model is None:
        return None
    try:
        chosen = model.state(layer).style.get("label_field")
        data = model.dataset.layer(layer)
    except KeyError:  # a raster, or a layer gone since the click
        return None
    if chosen:
        return chosen
    if data.data_role == "events" and "title" in data.gdf.columns:  # the map names events by title
        return "title"
    return default_label_field(data.gdf)


class QtIdentifyPanel(QWidget):
    """The hits of the last identify click, topmost layer first, as readable HTML."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.heading = QLabel(objectName="panelHeading")
        self.heading.setWordWrap(True)
        self.browser = QTextBrowser(objectName="identifyResults")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.browser, 1)
        self.hits: list[tuple[str, dict]] = []
        self.model: ViewerModel | None = None
        self.when = ""  # the date the hits are of ("" when the data have no dates)
        self.show_hits([], clicked=False)

    def identify_at(self, model: ViewerModel, x: float, y: float, tolerance: float,
                    drawn: dict[str, list[int]] | None = None,
                    layers: set[str] | None = None) -> list[tuple[str, dict]]:
        """Look up the features within ``tolerance`` map units of (x, y) now, and those whose symbol
        is drawn there (``drawn``: rows per layer), of ``layers`` (None: all shown), and list them."""
        self.model = model
        moment = to_datetime(model.time.t)
        self.when = f" on {moment.day} {moment:%B %Y}{moment:, %H:%M}" if model.has_time else ""
        self.when = self.when.removesuffix(", 00:00")
        self.show_hits(identify(model, model.time.t, x, y, tolerance, drawn, layers))
        return self.hits

    def show_hits(self, hits: list[tuple[str, dict]], clicked: bool = True) -> None:
        self.hits = hits
        if not clicked:
            self.heading.setText("Choose Tools ▸ Identify (I) and click the map.")
        elif hits:
            self.heading.setText(f"{len(hits)} feature{'s' if len(hits) != 1 else ''} here{self.when}")
        else:
            self.heading.setText(f"Nothing here{self.when or ' at this date'}.")
        model = self.model
        self.browser.setHtml("".join(
            hit_html(layer, attrs, sources_differ(model, layer, attrs) if model is not None else None,
                     _name_field(model, layer), _dated(model, layer))
            for layer, attrs in hits))
