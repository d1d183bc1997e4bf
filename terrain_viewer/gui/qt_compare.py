"""View > Side by side… and View > Basemap…: comparing 1944 with today.

Side by side is two map canvases on the same model, each drawing one compare group; since the view
lives in the model, they pan and zoom together. The basemap dialog writes ``model.basemap``; the
swipe itself is the canvas's divider and ``model.swipe``. All drawing is the core's.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.common.events import Links
from terrain_viewer.core.data.readers import gpkg_tile_tables
from terrain_viewer.core.data.tiles import providers, source_for
from terrain_viewer.core.render.swipe import sides
from terrain_viewer.gui.qt_map_canvas import QtMapCanvas

KINDS = (("none", "No basemap"), ("provider", "Tile service"), ("url", "Custom tile URL"),
         ("mbtiles", "MBTiles file (offline)"), ("gpkg", "GeoPackage tiles (offline)"))
FAVOURITES = ("OpenStreetMap.Mapnik", "OpenTopoMap", "Esri.WorldImagery", "Esri.WorldTopoMap",
              "CartoDB.Positron")


class QtSideBySide(QWidget):
    """Two linked map canvases: the left compare group and the right one."""

    def __init__(self, window) -> None:
        super().__init__(window, Qt.WindowType.Window)
        self.window_ = window
        model = window.model
        self.left, self.right = QtMapCanvas(model), QtMapCanvas(model)
        self.titles: list[QLabel] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(4)
        for canvas in (self.left, self.right):
            column = QVBoxLayout()
            title = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)  # a long note does
            title.setStyleSheet("font-weight: 600; color: #1f3b57;")  # not widen its pane
            self.titles.append(title)
            column.addWidget(title)
            column.addWidget(canvas, 1)
            layout.addLayout(column, 1)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)  # as a dialog: Esc closes
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)
        self.addActions([window.back_action, window.forward_action, window.first_day_action,
                         window.last_day_action, window.play_action])  # ←/→, Home/End, Space: the date
        self._links = Links()
        window.model_replaced.connect(self.set_model)
        self.set_model(model)
        self.resize(1400, 760)

    def set_model(self, model) -> None:
        """Show ``model`` (the window's new session after Open project or new data)."""
        self._links.clear()
        for canvas in (self.left, self.right):
            canvas.set_model(model)
        events = model.events
        for signal in (events.layer_added, events.layer_removed, events.group, events.swipe, events.basemap,
                       events.reset):
            self._links.connect(signal, self._on_model)
        self.sync_layers()

    def sync_layers(self) -> None:
        """Give each canvas its side's layers (after groups change)."""
        model = self.window_.model
        groups = (model.swipe.left_group, model.swipe.right_group)
        self.setWindowTitle(f"Side by side — {groups[0]} | {groups[1]}")
        self.left.layers, self.right.layers = sides(model)
        shown = (self.left.layers, self.right.layers)
        for title, group, names in zip(self.titles, groups, shown, strict=True):
            title.setText(group if names else f"{group}: no layers here — right-click a layer in the "
                                              f"Layers panel ▸ Move to group ▸ {group}, or choose a basemap")
        self.left.refresh()
        self.right.refresh()

    def _on_model(self, _change) -> None:
        if self.isVisible():
            self.sync_layers()


def open_side_by_side(window) -> QtSideBySide:
    """View > Side by side…: a second window with the two groups next to each other.

    One per main window, hidden when closed and shown again: its canvases listen to the model, so
    deleting them would leave dead listeners behind.
    """
    view = getattr(window, "_side_by_side", None)
    if view is None:
        view = window._side_by_side = QtSideBySide(window)
    view.sync_layers()
    view.show()
    view.raise_()
    return view


class QtBasemapDialog(QDialog):
    """Choose a basemap: none, an xyzservices provider, a URL template, MBTiles or GeoPackage tiles."""

    def __init__(self, model, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Basemap")
        self.model = model
        spec = dict(model.basemap or {})
        self.kind = QComboBox()
        for key, text in KINDS:
            self.kind.addItem(text, key)
        self.provider = QComboBox(editable=True)
        names = providers()
        self.provider.addItems([n for n in FAVOURITES if n in names]
                               + [n for n in names if n not in FAVOURITES])
        self.url = QLineEdit(placeholderText="https://tiles.example.org/{z}/{x}/{y}.png")
        self.url_attribution = QLineEdit(placeholderText="© the tile provider")
        self.file = QLineEdit()
        browse = QPushButton("Browse…", clicked=self._on_browse)
        file_row = QWidget()
        row = QHBoxLayout(file_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.file)
        row.addWidget(browse)
        self.table = QComboBox(editable=True)  # the tile table of a GeoPackage
        self.file.textChanged.connect(self._on_file_changed)
        self.opacity = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100)
        opacity_label = QLabel(minimumWidth=40)
        self.opacity.valueChanged.connect(lambda v: opacity_label.setText(f"{v} %"))
        opacity_row = QWidget()
        row = QHBoxLayout(opacity_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.opacity, 1)
        row.addWidget(opacity_label)
        self.group = QLineEdit()
        self.message = QLabel(wordWrap=True)
        form = QFormLayout()
        form.addRow("Basemap", self.kind)
        form.addRow("Service", self.provider)
        form.addRow("URL template", self.url)
        form.addRow("Attribution", self.url_attribution)
        form.addRow("File", file_row)
        form.addRow("Tile table", self.table)
        form.addRow("Opacity", opacity_row)
        form.addRow("Compare group", self.group)
        ok_cancel = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok_cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Tiles download in the background and are cached on disk; MBTiles and "
                                "GeoPackage tiles work offline.", wordWrap=True))
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._load(spec)
        self.kind.currentIndexChanged.connect(self._sync)
        self._sync()

    def _load(self, spec: dict) -> None:
        key = next((k for k in ("provider", "url", "mbtiles", "gpkg") if spec.get(k)), "none")
        self.kind.setCurrentIndex([k for k, _ in KINDS].index(key))
        self.provider.setCurrentText(spec.get("provider", FAVOURITES[0]))
        self.url.setText(spec.get("url", ""))
        self.url_attribution.setText(spec.get("attribution", ""))
        self.file.setText(str(spec.get("mbtiles") or spec.get("gpkg") or ""))
        self.table.setCurrentText(spec.get("table", self.table.currentText()))
        self.opacity.setValue(round(float(spec.get("opacity", 1.0)) * 100))
        self.group.setText(spec.get("group", self.model.swipe.right_group))

    def _sync(self) -> None:
        key = self.kind.currentData()
        self.provider.setEnabled(key == "provider")
        self.url.setEnabled(key == "url")
        self.url_attribution.setEnabled(key == "url")
        self.file.parentWidget().setEnabled(key in ("mbtiles", "gpkg"))
        self.table.setEnabled(key == "gpkg")

    def spec(self) -> dict | None:
        """The basemap spec the form describes (None = no basemap)."""
        key = self.kind.currentData()
        if key == "none":
            return None
        spec: dict = {"opacity": self.opacity.value() / 100.0,
                      "group": self.group.text().strip() or self.model.swipe.right_group}
        if key == "provider":
            spec["provider"] = self.provider.currentText().strip()
        elif key == "url":
            spec["url"] = self.url.text().strip()
            spec["attribution"] = self.url_attribution.text().strip()
        else:
            spec[key] = self.file.text().strip()
            if key == "gpkg" and self.table.currentText().strip():
                spec["table"] = self.table.currentText().strip()
        return spec

    def _on_file_changed(self, text: str) -> None:
        """List a GeoPackage's tile tables to choose from."""
        current, tables = self.table.currentText(), gpkg_tile_tables(text.strip())
        self.table.clear()
        self.table.addItems(tables)
        if current in tables:
            self.table.setCurrentText(current)

    def _on_browse(self) -> None:
        key = self.kind.currentData()
        pattern = "MBTiles (*.mbtiles)" if key == "mbtiles" else "GeoPackage (*.gpkg)"
        path, _ = QFileDialog.getOpenFileName(self, "Offline tiles", str(Path.home()), pattern)
        if path:
            self.file.setText(path)

    def accept(self) -> None:
        """Check the source before closing: a bad file or URL is a line in the dialog."""
        spec = self.spec()
        if spec is not None:
            try:
                source_for(spec)
            except TerrainViewerError as exc:
                self.message.setStyleSheet("color: #b00020;")
                self.message.setText(exc.message)
                return
        self.model.set_basemap(spec)
        super().accept()


def choose_basemap(window) -> QtBasemapDialog:
    """View > Basemap…: a modal dialog that sets ``window.model.basemap``."""
    dialog = QtBasemapDialog(window.model, window)
    dialog.exec()
    return dialog
