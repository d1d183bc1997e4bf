"""The layer panel: layers grouped by ``LayerState.group``, visibility, opacity, order, colour, width.

Listed top-down in drawing order (the top row is drawn last, on top), as in desktop GIS.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor, QIcon, QKeySequence, QPixmap
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QSlider,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from terrain_viewer.core.common.events import Change, Links
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.symbology import drawn_generically, line_width, style_colour

NAME_ROLE = Qt.ItemDataRole.UserRole
ROWS_MIME = "application/x-qabstractitemmodeldatalist"  # what QTreeWidget puts in a row drag


def _swatch(color: str | None) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(color) if color else QColor(0, 0, 0, 0))
    return QIcon(pixmap)


class QtLayerTree(QTreeWidget):
    """The layer tree; dragging a layer onto another asks the panel to move it there."""

    layer_dropped = pyqtSignal(str, str, bool)  # dragged layer, target layer, dropped above the target
    remove_asked = pyqtSignal(str)  # the Delete key on a layer's row

    def __init__(self) -> None:
        super().__init__(objectName="layerTree")
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Shift+F10 opens the current layer's menu, as the Menu key does (the keyboard's right click
        in GNOME, KDE and Windows)."""
        shift_f10 = event.key() == Qt.Key.Key_F10 and event.modifiers() == Qt.KeyboardModifier.ShiftModifier
        if shift_f10 and self.currentItem() is not None:
            self.customContextMenuRequested.emit(self.visualItemRect(self.currentItem()).center())
            return
        name = self.currentItem().data(0, NAME_ROLE) if self.currentItem() is not None else None
        if event.key() == Qt.Key.Key_Delete and not event.modifiers() and name:  # as in other GIS
            self.remove_asked.emit(name)  # (Ctrl+Z puts it back)
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self._accept_rows(event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        self._accept_rows(event)

    def _accept_rows(self, event) -> None:
        """Accept drags of layer rows (files dropped here go on to the window)."""
        if event.mimeData().hasFormat(ROWS_MIME):
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802
        dragged, target = self.currentItem(), self.itemAt(event.position().toPoint())
        event.ignore()  # the model decides the order; the tree is rebuilt from it
        if dragged is None or target is None or target is dragged:
            return
        names = dragged.data(0, NAME_ROLE), target.data(0, NAME_ROLE)
        if names[0] and names[1]:
            above = event.position().y() < self.visualItemRect(target).center().y()
            self.layer_dropped.emit(names[0], names[1], above)


class QtLayerPanel(QWidget):
    """Tree of groups and layers plus controls for the selected layer."""

    zoom_requested = pyqtSignal(str)  # layer name
    removed = pyqtSignal(object)  # a layer taken out (``model.Removed``: what an undo puts back)

    def __init__(self, model: ViewerModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.tree = QtLayerTree()
        self.tree.layer_dropped.connect(self._on_dropped)
        self.tree.remove_asked.connect(self._remove)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.currentItemChanged.connect(lambda *_: self._sync_controls())
        self.tree.itemDoubleClicked.connect(self._on_double_click)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_context_menu)
        self._links = Links()
        self._rebuild_timer = QTimer(self, singleShot=True, interval=0)  # after the signal that asked
        self._rebuild_timer.timeout.connect(self.rebuild)
        self._build_controls()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.controls)
        self.set_model(model)

    def _build_controls(self) -> None:
        self.controls = QWidget(objectName="layerControls")
        self.opacity = QSlider(Qt.Orientation.Horizontal, objectName="opacitySlider")
        self.opacity.setRange(0, 100)
        self.opacity.valueChanged.connect(self._on_opacity)
        self.opacity_label = QLabel("100 %", objectName="opacityValue")
        self.opacity_label.setMinimumWidth(42)
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(self.opacity, 1)
        opacity_row.addWidget(self.opacity_label)
        self.width_box = QDoubleSpinBox(objectName="lineWidth", minimum=0.1, maximum=20.0, singleStep=0.5)
        self.width_box.setSuffix(" pt")
        self.width_box.valueChanged.connect(self._on_width)
        self.color_button = self._button("Colour…", self._on_color)
        self.up_button = self._button("▲", lambda: self._move(+1), "Draw higher (up the list)")
        self.down_button = self._button("▼", lambda: self._move(-1), "Draw lower (down the list)")
        self.zoom_button = self._button("Zoom to", self._on_zoom, "Zoom the map to this layer")
        self.properties_button = self._button("Properties…", self._on_properties,
                                              "Role, colours, hatch, marker, label field, time shift")
        rows = []  # two rows of buttons: one row made the panel at least 309 px wide
        for group in ((self.up_button, self.down_button, self.zoom_button),
                      (self.color_button, self.properties_button)):
            row = QHBoxLayout()
            for button in group:
                row.addWidget(button)
            rows.append(row)
        form = QFormLayout(self.controls)
        form.setContentsMargins(0, 4, 0, 0)
        form.addRow("Opacity", opacity_row)
        form.addRow("Line width", self.width_box)

        for row in rows:
            form.addRow(row)

    def _button(self, text: str, slot, tip: str = "") -> QToolButton:
        button = QToolButton(text=text, toolTip=tip)
        button.clicked.connect(slot)
        return button

    # ---- model binding ----------------------------------------------------------------------
    def set_model(self, model: ViewerModel) -> None:
        self._links.clear()
        self.model = model
        events = model.events
        for signal in (events.layer_added, events.layer_removed, events.layer_moved, events.group,
                       events.reset):
            self._links.connect(signal, lambda _c: self._rebuild_timer.start())
        self._links.connect(events.visibility, self._on_visibility)
        self._links.connect(events.style, self._on_style)
        self._links.connect(events.opacity, self._on_opacity_changed)
        self.rebuild()

    def _on_visibility(self, change: Change) -> None:
        """Set the row's check box in place (never rebuild the tree inside its own signal)."""
        item = self._find(change.layer)
        state = Qt.CheckState.Checked if change.value else Qt.CheckState.Unchecked
        if item is not None and item.checkState(0) != state:
            self.tree.blockSignals(True)
            item.setCheckState(0, state)
            self.tree.blockSignals(False)

    def _on_opacity_changed(self, change: Change) -> None:
        if change.layer == self.current_name():
            self._sync_controls()

    def _on_style(self, change: Change) -> None:
        if (item := self._find(change.layer)) is not None:
            item.setIcon(0, _swatch(self._colour(change.layer)))
        if change.layer == self.current_name():
            self._sync_controls()

    def _colour(self, name: str) -> str | None:
        """The swatch's colour: the style's, else a generically drawn layer's own (a layer of one's
        own whose colour was its default had no swatch beside two recoloured ones)."""
        style = self.model.state(name).style
        if "color" in style:
            return str(style["color"])
        layer = self.model.dataset.find(name)
        return style_colour(layer, style, "color") if layer is not None and drawn_generically(layer) else None

    def _find(self, name: str | None) -> QTreeWidgetItem | None:
        try:
            return self.item(name) if name else None
        except KeyError:
            return None

    def rebuild(self) -> None:
        """Refill the tree from the model, keeping the selection and the groups' expansion."""
        current = self.current_name()
        collapsed = {self.tree.topLevelItem(i).text(0) for i in range(self.tree.topLevelItemCount())
                     if not self.tree.topLevelItem(i).isExpanded()}
        self.tree.blockSignals(True)
        self.tree.clear()
        runs: list[QTreeWidgetItem] = []  # a row per run of one group's layers in draw order: a
        #   group whose layers others are drawn between (a scan opened under the 1944 vectors, over
        #   their relief) shows in each of its places, and the list is always the draw order
        for state in reversed(self.model.layer_states):
            if not runs or runs[-1].text(0) != state.group:
                group = QTreeWidgetItem(self.tree, [state.group])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                runs.append(group)
            item = QTreeWidgetItem(runs[-1], [state.name])
            item.setData(0, NAME_ROLE, state.name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled
                          | Qt.ItemFlag.ItemIsDropEnabled)
            item.setCheckState(0, Qt.CheckState.Checked if state.visible else Qt.CheckState.Unchecked)
            item.setIcon(0, _swatch(self._colour(state.name)))
            item.setToolTip(0, self._describe(state.name))
            if current == state.name:
                self.tree.setCurrentItem(item)
        for group in runs:
            group.setExpanded(group.text(0) not in collapsed)
        self.tree.blockSignals(False)
        self._sync_controls()

    def _describe(self, name: str) -> str:
        """Tooltip: file, geometry and time behaviour of a layer."""
        for layer in self.model.dataset.layers:
            if layer.name == name:
                return f"{layer.path.name} ▸ {layer.source_layer}\n{layer.geometry_type}, {len(layer.gdf)} " \
                       f"features, {layer.role}; role: {layer.data_role}"
        for raster in self.model.dataset.rasters:
            if raster.name == name:
                return f"{raster.path.name}\nraster"
        return name

    def item(self, name: str) -> QTreeWidgetItem:
        """The tree row of layer ``name``."""
        for found in self.tree.findItems(name, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive):
            if found.data(0, NAME_ROLE) == name:
                return found
        raise KeyError(name)

    def current_name(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, NAME_ROLE) if item is not None else None

    def select(self, name: str) -> None:
        self.tree.setCurrentItem(self.item(name))

    def _sync_controls(self) -> None:
        name = self.current_name()
        self.controls.setEnabled(name is not None)
        opacity = 100 if name is None else round(self.model.state(name).opacity * 100)
        self.opacity.blockSignals(True)
        self.opacity.setValue(opacity)  # greyed with no layer: at 100 %, as its label says
        self.opacity.blockSignals(False)
        self.opacity_label.setText(f"{opacity} %")
        if name is None:
            return
        state = self.model.state(name)
        is_raster = any(r.name == name for r in self.model.dataset.rasters)
        self.width_box.setToolTip("A raster has no lines" if is_raster else "")  # shown greyed: hidden, the
        #   row's going moved the opacity slider down under a historian's drag
        self.color_button.setEnabled(not is_raster)  # nor one colour: a scan keeps its own
        self.color_button.setToolTip("A raster is drawn in its own colours" if is_raster else "")
        layer = self.model.dataset.find(name)  # None: a raster, or its file is missing
        width = None if layer is None else line_width(layer, state.style)
        self.width_box.setEnabled(width is not None)  # None too: its painter takes no width
        self.width_box.blockSignals(True)
        self.width_box.setValue(width if width is not None else 1.0)
        self.width_box.blockSignals(False)

    # ---- user actions -----------------------------------------------------------------------
    def _on_item_changed(self, item: QTreeWidgetItem, _column: int) -> None:
        name = item.data(0, NAME_ROLE)
        if name:
            self.model.set_visible(name, item.checkState(0) == Qt.CheckState.Checked)

    def _on_double_click(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, NAME_ROLE):
            self.zoom_requested.emit(item.data(0, NAME_ROLE))

    def _on_opacity(self, value: int) -> None:
        self.opacity_label.setText(f"{value} %")
        if (name := self.current_name()) is not None:
            self.model.set_opacity(name, value / 100.0)

    def _on_width(self, value: float) -> None:
        if (name := self.current_name()) is not None:
            self.model.set_style(name, linewidth=float(value))

    def _on_color(self) -> None:
        name = self.current_name()
        if name is None:
            return
        style = self.model.state(name).style
        layer = self.model.dataset.find(name)  # None: a raster
        start = QColor((style_colour(layer, style, "color") if layer is not None else None)
                       or style.get("color", "#333333"))
        color = QColorDialog.getColor(start, self, f"Colour of {name}")
        if color.isValid():
            self.model.set_style(name, color=color.name())

    def _move(self, up: int) -> None:
        name = self.current_name()
        if name is None:
            return
        index = [s.name for s in self.model.layer_states].index(name)
        self.model.move_layer(name, index + up)

    def _on_dropped(self, name: str, target: str, above: bool) -> None:
        """Dropped above ``target`` in the list = drawn just after (on top of) it, in its group."""
        others = [s.name for s in self.model.layer_states if s.name != name]
        self._place(name, self.model.state(target).group, others.index(target) + (1 if above else 0))

    def _place(self, name: str, group: str, index: int | None = None) -> None:
        """Put layer ``name`` in ``group`` at draw position ``index`` (None: a vector layer on top of
        the group's layers; a raster where it is drawn: on top it hid every unit and front, a new
        user's scan moved to the 1944 group)."""
        others = [s.name for s in self.model.layer_states if s.name != name]
        if index is None and any(r.name == name for r in self.model.dataset.rasters):
            index = [s.name for s in self.model.layer_states].index(name)
        if index is None:
            members = [i for i, other in enumerate(others) if self.model.state(other).group == group]
            index = members[-1] + 1 if members else len(others)
        with self.model.events.batch():
            if self.model.state(name).group != group:
                self.model.set_group(name, group)
            self.model.move_layer(name, index)

    def _on_zoom(self) -> None:
        if (name := self.current_name()) is not None:
            self.zoom_requested.emit(name)

    def _on_properties(self) -> None:
        if (name := self.current_name()) is not None:
            self.open_properties(name)

    def open_properties(self, name: str):
        """The layer's properties dialog (non-modal; changes apply at once)."""
        from terrain_viewer.gui.qt_layer_properties import open_layer_properties

        self.properties_dialog = open_layer_properties(self.model, name, self)
        return self.properties_dialog

    # ---- groups -----------------------------------------------------------------------------------
    def group_menu(self, name: str, parent: QWidget | None = None) -> QMenu:
        """'Move to group' entries for layer ``name``: the groups in use, the compare groups, a new one
        (a child of ``parent``, else of the panel)."""
        menu = QMenu(f"Move {name} to group", parent or self)
        swipe = self.model.swipe
        current = self.model.state(name).group
        for group in dict.fromkeys([*self.model.groups(), swipe.left_group, swipe.right_group]):
            action = menu.addAction(group, lambda g=group: self._place(name, g))
            action.setCheckable(True)
            action.setChecked(group == current)
        menu.addSeparator()
        menu.addAction("New group…", lambda: self._on_new_group(name))
        return menu

    def _remove(self, name: str) -> None:
        """Take layer ``name`` out of the session (its file is untouched; Ctrl+Z puts it back)."""
        self.removed.emit(self.model.remove_layer(name))

    def _on_new_group(self, name: str) -> None:
        group, ok = QInputDialog.getText(self, "New group", f"Group for {name}:")
        if ok and group.strip():
            self._place(name, group.strip())

    def _on_context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        name = item.data(0, NAME_ROLE) if item is not None else None
        if name:
            menu = QMenu(self)
            menu.addMenu(self.group_menu(name, menu))
            menu.addAction("Zoom to layer", lambda: self.zoom_requested.emit(name))
            menu.addAction("Properties…", lambda: self.open_properties(name))
            menu.addSeparator()
            remove = menu.addAction("Remove layer", lambda: self._remove(name))
            remove.setShortcut(QKeySequence(Qt.Key.Key_Delete))  # shown: the key that does it in the list
            menu.exec(self.tree.viewport().mapToGlobal(pos))
            menu.deleteLater()  # with its "Move to group" menu: a right click leaves nothing behind
