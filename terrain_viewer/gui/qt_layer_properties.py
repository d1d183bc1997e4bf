"""A layer's properties: role, colours (fill, line, per side), hatch, line width, marker, label field
and size, opacity with its number and a time shift. Every change goes to the model at once, so the
map and the legend follow it. A raster gets only what applies to it (opacity)."""

from __future__ import annotations

from matplotlib.colors import to_hex
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QWidget,
)

from terrain_viewer.core.data.roles import ROLE_TITLES, ROLES, default_label_field, text_columns
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.items import draws_symbols
from terrain_viewer.core.render.symbology import line_width, side_colour, style_colour
from terrain_viewer.core.render.units import label_column

HATCHES = (("none", ""), ("diagonal ////", "////"), ("back diagonal \\\\", "\\\\"), ("cross ++", "++"),
           ("diagonal cross xx", "xx"), ("dots ..", ".."), ("horizontal ---", "---"), ("vertical |||", "|||"))
AS_DRAWN = ("as its role draws it", None)  # the flooded fields' paddy cross and marsh lines: "none" was
#   shown while the map hatched them, and choosing "none" did nothing (it was chosen already)
MARKERS = (("circle", "o"), ("square", "s"), ("triangle", "^"), ("diamond", "D"), ("star", "*"),
           ("cross", "X"), ("plus", "P"), ("pentagon", "p"), ("hexagon", "h"))
DEFAULT_FIELD = "(default)"


def _title(role: str) -> str:
    return ROLE_TITLES.get(role, role.replace("_", " ").capitalize() + " (book style)")


class QtLayerProperties(QDialog):
    """The properties of one layer of ``model``; changes apply immediately."""

    def __init__(self, model: ViewerModel, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("layerProperties")
        self.setWindowTitle(f"Properties of {name}")
        self.model, self.name = model, name
        self.layer = model.dataset.find(name)
        self.form = QFormLayout(self)
        self.buttons: dict[str, QPushButton] = {}
        self._opacity_row()
        if self.layer is not None:
            self._vector_rows()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        self.form.addRow(close)

    @property
    def style(self) -> dict:
        return self.model.state(self.name).style

    # ---- rows ---------------------------------------------------------------------------------
    def _opacity_row(self) -> None:
        self.opacity = QSlider(Qt.Orientation.Horizontal, objectName="propOpacity")
        self.opacity.setRange(0, 100)
        self.opacity.setValue(round(self.model.state(self.name).opacity * 100))
        self.opacity_label = QLabel(f"{self.opacity.value()} %", objectName="propOpacityValue")
        self.opacity_label.setMinimumWidth(42)
        self.opacity.valueChanged.connect(self._on_opacity)
        row = QHBoxLayout()
        row.addWidget(self.opacity, 1)
        row.addWidget(self.opacity_label)
        self.form.addRow("Opacity", row)

    def _vector_rows(self) -> None:
        layer = self.layer
        self.role = QComboBox(objectName="propRole")
        for role in ROLES:
            self.role.addItem(_title(role) + ("  (detected)" if role == layer.detected_role else ""), role)
        self.role.setCurrentIndex(ROLES.index(layer.data_role) if layer.data_role in ROLES else 0)
        self.role.currentIndexChanged.connect(
            lambda _i: self.model.set_role(self.name, self.role.currentData()))
        self.form.addRow("Role", self.role)
        self.form.addRow("Fill / colour", self._colour_button("color", "Colour"))
        self.form.addRow("Line / edge colour", self._colour_button("edgecolor", "Line colour"))
        self.hatch = self._combo("propHatch", (AS_DRAWN, *HATCHES), self.style.get("hatch"), "hatch")
        self.form.addRow("Hatch", self.hatch)
        kind = str(layer.geometry_type).replace("Multi", "")
        self.hatch.setEnabled(kind == "Polygon")  # only an area has a fill to hatch
        width = line_width(layer, self.style)  # what the map draws (None: its painter takes none)
        self.width = self._spin("propLineWidth", 0.2, 12.0, width if width is not None else 1.0, " pt",
                                "linewidth")
        self.width.setEnabled(width is not None)
        self.form.addRow("Line width", self.width)
        self.marker = self._combo("propMarker", MARKERS, self.style.get("marker", "o"), "marker")
        self.form.addRow("Marker", self.marker)
        self.marker_size = self._spin("propMarkerSize", 1.0, 40.0, self.style.get("marker_size", 7.0), " pt",
                                      "marker_size")
        self.form.addRow("Marker size", self.marker_size)
        for box in (self.marker, self.marker_size):
            box.setEnabled(kind == "Point")  # only points are drawn as markers
        self._label_rows()
        self._side_rows()
        self.offset = QDoubleSpinBox(objectName="propTimeOffset", minimum=-36500, maximum=36500, decimals=0)
        self.offset.setSuffix(" days")
        self.offset.setValue(layer.time_offset)
        self.offset.setToolTip("Show this layer shifted in time, e.g. 366 to show 1943 data against 1944")
        self.offset.valueChanged.connect(lambda v: self.model.set_time_offset(self.name, v))
        self.form.addRow("Time shift", self.offset)

    def _label_rows(self) -> None:
        columns = text_columns(self.layer.gdf)
        symbols = draws_symbols(self.layer)
        default = label_column(self.layer.gdf, {}) if symbols else default_label_field(self.layer.gdf)
        #   APP-6 units are named by their designation first: the default said "name" (a new user)
        self.label_field = QComboBox(objectName="propLabelField")
        self.label_field.addItem(f"{DEFAULT_FIELD}: {default or 'none'}", None)
        for column in columns:
            self.label_field.addItem(column, column)
        chosen = self.style.get("label_field")
        if chosen in columns:
            self.label_field.setCurrentIndex(columns.index(chosen) + 1)
        self.label_field.currentIndexChanged.connect(
            lambda _i: self.model.set_label_field(self.name, self.label_field.currentData()))
        self.form.addRow("Label field", self.label_field)
        self.label_size = self._spin("propLabelSize", 4.0, 36.0, self.style.get("label_size", 8.0), " pt",
                                     "label_size")
        self.form.addRow("Label size", self.label_size)

    def _side_rows(self) -> None:
        symbols = draws_symbols(self.layer)
        for side, name in self.layer.side_names.items():
            button = QPushButton(objectName=f"propSide_{side}")
            self._paint_button(button, (self.style.get("side_colors") or {}).get(side))
            button.clicked.connect(lambda _c=False, s=side, b=button: self._pick_side(s, b))
            if symbols:  # a colour picked did nothing to them, unsaid (a new user)
                button.setEnabled(False)
                button.setToolTip("APP-6 unit symbols take the standard colours of their affiliation "
                                   "(friend blue, hostile red), from the sidc code")
            self.buttons[f"side:{side}"] = button
            self.form.addRow(f"Colour of {name}", button)

    # ---- widgets ------------------------------------------------------------------------------
    def _combo(self, object_name: str, items, current: str, key: str) -> QComboBox:
        box = QComboBox(objectName=object_name)
        for title, value in items:
            box.addItem(title, value)
        values = [value for _, value in items]
        box.setCurrentIndex(values.index(current) if current in values else 0)
        box.currentIndexChanged.connect(lambda _i: self._choose(key, box.currentData()))
        return box

    def _choose(self, key: str, value) -> None:
        """A choice of a box: its value in the layer's style, or (None) none of the user's."""
        if value is None:
            self.model.unset_style(self.name, key)
        else:
            self.model.set_style(self.name, **{key: value})

    def _spin(self, object_name: str, low: float, high: float, value: float, suffix: str,
              key: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(objectName=object_name, minimum=low, maximum=high, singleStep=0.5)
        spin.setSuffix(suffix)
        spin.setValue(float(value))
        spin.valueChanged.connect(lambda v: self.model.set_style(self.name, **{key: float(v)}))
        return spin

    def _colour_button(self, key: str, title: str) -> QPushButton:
        button = QPushButton(objectName=f"prop_{key}")
        self._paint_button(button, self.style.get(key), _hex(style_colour(self.layer, self.style, key)))
        button.clicked.connect(lambda: self._pick(key, title, button))
        self.buttons[key] = button
        return button

    @staticmethod
    def _paint_button(button: QPushButton, colour: str | None, drawn: str | None = None) -> None:
        """The button in ``colour`` (the style's), else in the colour the map ``drawn`` it in
        ("default (#a03020)"; it read "default" alone, a new user)."""
        shown = colour or drawn
        button.setText(colour or (f"default ({drawn})" if drawn else "default"))
        button.setStyleSheet(f"background:{shown}; color:{_ink(shown)}; border:1px solid #7a746a; "
                             "border-radius:3px; padding:4px" if shown else "")  # a border: flat, no bevel

    def _ask(self, start: str | None, title: str) -> str | None:
        colour = QColorDialog.getColor(QColor(start or "#777777"), self, title)
        return colour.name() if colour.isValid() else None

    def _pick(self, key: str, title: str, button: QPushButton) -> None:
        start = style_colour(self.layer, self.style, key) or style_colour(self.layer, self.style, "color")
        if (colour := self._ask(start, f"{title} of {self.name}")) is not None:
            self.model.set_style(self.name, **{key: colour})  # the hatch and the rest stay
            self._paint_button(button, colour)

    def _pick_side(self, side: str, button: QPushButton) -> None:
        sides = dict(self.style.get("side_colors") or {})
        start = to_hex(side_colour(side, self.style))  # the side's drawn colour, not a grey
        if (colour := self._ask(start, f"Colour of {self.layer.side_names[side]}")) is not None:
            sides[side] = colour
            self.model.set_style(self.name, side_colors=sides)
            self._paint_button(button, colour)

    def _on_opacity(self, value: int) -> None:
        self.opacity_label.setText(f"{value} %")
        self.model.set_opacity(self.name, value / 100.0)


def open_layer_properties(model: ViewerModel, name: str, parent: QWidget | None = None) -> QtLayerProperties:
    """Show the properties of layer ``name`` (non-modal) and return the dialog."""
    dialog = QtLayerProperties(model, name, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def _hex(colour: str | None) -> str | None:
    """``colour`` as #rrggbb (None stays None)."""
    return None if colour is None else to_hex(colour)


def _ink(colour: str) -> str:
    """Black or white text, whichever reads on ``colour``."""
    r, g, b = QColor(colour).getRgb()[:3]
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"
