"""The main window: map in the middle, layers left, events and identify right, the date bar below.

It only wires user actions to the ViewerModel and to the dialogs.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup, QCursor, QKeySequence
from PyQt6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QWidget,
)

from terrain_viewer.core.common.events import Links
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.furniture import CORNERS
from terrain_viewer.core.render.swipe import basemap_group
from terrain_viewer.gui import (
    qt_compare,
    qt_loading,
    qt_map_crs,
    qt_project,
    qt_settings,
    qt_time_range,
    resources,
)
from terrain_viewer.gui.qt_events_panel import QtEventsPanel
from terrain_viewer.gui.qt_help import QtShortcutsDialog, about_text
from terrain_viewer.gui.qt_identify import TOLERANCE_PX, QtIdentifyPanel
from terrain_viewer.gui.qt_layer_panel import QtLayerPanel
from terrain_viewer.gui.qt_map_canvas import QtMapCanvas
from terrain_viewer.gui.qt_measure import CursorCoordinates, MeasurePath
from terrain_viewer.gui.qt_problems_log import MOST, ProblemsList, listen
from terrain_viewer.gui.qt_status_bar import MessageBar
from terrain_viewer.gui.qt_time_slider import QtTimeSlider

OPEN_FILTER = ("Map data and projects (*.tvproj *.gpkg *.geojson *.json *.shp *.fgb *.kml *.gml *.gpx "
               "*.csv *.tif *.tiff *.jp2 *.vrt *.png *.jpg);;Rasters and scanned maps (*.tif *.tiff *.jp2 "
               "*.vrt *.png *.jpg *.jpeg);;All files (*)")
UNDO_REMOVALS = 20  # removed layers Ctrl+Z can put back, the last first
IDENTIFY_AGAIN_MS = 150  # after a change of date, the identify ring's point is looked up again
LAYERS_WIDTH, EVENTS_WIDTH = 240, 360  # the side panels' widths in a wide window (pixels)
LEGEND_WIDTH = 700  # a map narrower than this (a 1366×768 laptop) starts without the legend
TOGGLES = (("legend", "Legend"), ("scale_bar", "Scale bar"), ("north_arrow", "North arrow"),
           ("caption", "Date caption"), ("labels", "Labels"), ("uncertainty", "Positional uncertainty"))
class QtMainWindow(QMainWindow):
    """The terrain_viewer window bound to one ViewerModel (``set_model`` swaps it)."""

    model_replaced = pyqtSignal(object)  # the new ViewerModel: side views and dialogs rebind to it

    def __init__(self, model: ViewerModel):
        super().__init__()
        self.model = model
        self._links = Links()
        self._project_path: Path | None = None
        self.export_settings: dict | None = None
        self.export_out: str | None = None  # the last export's output, offered again
        self._saved: dict | None = None  # the session as last opened or saved (``mark_saved``)
        self.setWindowTitle("terrain_viewer")
        self.setAcceptDrops(True)
        self.setStyleSheet(resources.style_sheet())
        self.setWindowIcon(resources.icon())
        self._identify_again = QTimer(self, singleShot=True, interval=IDENTIFY_AGAIN_MS)
        self._identify_again.timeout.connect(self._identify_marker)
        self._build_central()
        self._build_docks()
        self._build_status()
        listen(self, self.drawing_problem)
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self.set_model(model)
        self._docks_restored = qt_settings.restore_window(self)
        self.canvas.setFocus()
        self._first_show = True

    # ---- layout -----------------------------------------------------------------------------
    def _build_central(self) -> None:
        self.canvas = QtMapCanvas(self.model)
        self.time_slider = QtTimeSlider(self.model)
        self.time_slider.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.setCentralWidget(self.canvas)
        self.canvas.cursor_moved.connect(self._on_cursor_moved)
        self.canvas.map_clicked.connect(self._on_map_clicked)
        self.canvas.right_clicked.connect(self._on_right_click)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self, objectName=f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.layer_panel = QtLayerPanel(self.model)
        self.layer_panel.zoom_requested.connect(self.zoom_to_layer)
        self.layer_panel.removed.connect(self._on_removed)
        self.events_panel = QtEventsPanel(self.model)
        self.events_panel.centre_requested.connect(self.canvas.centre_on)
        self.identify_panel = QtIdentifyPanel()
        self.problems_list = ProblemsList(objectName="problemsList")
        self.problems_list.setWordWrap(True)
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.layers_dock = self._dock("Layers", self.layer_panel, left)
        self.events_dock = self._dock("Events", self.events_panel, right)
        self.identify_dock = self._dock("Identify", self.identify_panel, right)
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.problems_dock = self._dock("Problems", self.problems_list, left)
        self.time_dock = self._dock("Time", self.time_slider, bottom)
        self.time_dock.setTitleBarWidget(QWidget())
        self.time_dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.setCorner(Qt.Corner.BottomLeftCorner, bottom)
        self.setCorner(Qt.Corner.BottomRightCorner, bottom)
        self.tabifyDockWidget(self.events_dock, self.identify_dock)
        self.events_dock.raise_()
        self.problems_dock.hide()  # their widths: on the first show (``showEvent``) or as remembered

    def _say_measure(self, text: str) -> None:
        self.measure_label.setText(text)
        self.measure_label.setVisible(bool(text))

    def _build_status(self) -> None:
        self.setStatusBar(MessageBar(self))  # a long message ends in "…", whole in the tooltip
        self.coords_label = QLabel(objectName="coordsLabel")
        self.measure_label = QLabel(objectName="measureLabel")
        self.statusBar().addPermanentWidget(self.measure_label)
        self.statusBar().addPermanentWidget(self.coords_label)
        self.measure_label.hide()  # shown with a distance, set apart from the coordinates (the style)
        self.statusBar().showMessage("Drag to pan, wheel to zoom; Space plays, ←/→ step a day", 10000)

    def _action(self, text: str, slot, shortcut: str | QKeySequence | None = None,
                checkable: bool = False, checked: bool = False) -> QAction:
        action = QAction(text, self, checkable=checkable)
        if checkable:
            action.setChecked(checked)
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.open_action = a("&Open…", self._on_open, QKeySequence.StandardKey.Open)
        self.open_project_action = a("Open &project…", lambda: qt_project.open_project(self))
        self.save_project_action = a("&Save project", lambda: qt_project.save_project(self),
                                     QKeySequence.StandardKey.Save)
        self.save_as_action = a("Save project &as…", lambda: qt_project.save_project_as(self),
                                QKeySequence.StandardKey.SaveAs)
        self.export_action = a("&Export…", self._on_export, "Ctrl+E")
        self.quit_action = a("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.undo_remove_action = a("&Undo remove layer", self._undo_remove, QKeySequence.StandardKey.Undo)
        self.undo_remove_action.setEnabled(False)
        self.zoom_full_action = a("Zoom to &full extent", self.canvas.zoom_full, "Ctrl+0")
        self.zoom_layer_action = a("Zoom to selected &layer", self._on_zoom_layer)
        self.zoom_in_action = a("Zoom &in", lambda: self._zoom_centre(1.5), QKeySequence.StandardKey.ZoomIn)
        self.zoom_out_action = a("Zoom &out", lambda: self._zoom_centre(1 / 1.5),
                                 QKeySequence.StandardKey.ZoomOut)
        self.chinese_action = a("&Chinese names", lambda on: self.model.set_options(chinese_names=on),
                                checkable=True)
        self.option_actions = {key: a(text, lambda on, k=key: self.model.set_options(**{k: on}),
                                      checkable=True, checked=True) for key, text in TOGGLES}
        corners = QActionGroup(self)
        self.corner_actions = {
            corner: a(corner.capitalize(), lambda on, c=corner: on and self._legend_corner(c),
                      checkable=True, checked=corner == "lower right") for corner in CORNERS}
        for action in self.corner_actions.values():
            corners.addAction(action)
        self.swipe_action = a("S&wipe compare", self._swipe, checkable=True)
        self.side_action = a("&Side by side…", lambda: qt_compare.open_side_by_side(self))
        self.basemap_action = a("&Basemap…", lambda: qt_compare.choose_basemap(self))
        self.map_crs_action = a("&Map CRS…", lambda: qt_map_crs.choose_map_crs(self))
        self.time_range_action = a("Time &range…", lambda: qt_time_range.QtTimeRange(self.model, self).exec())
        self.go_to_date_action = a("&Go to date…", self._go_to_date, "Ctrl+G")
        self.play_action = a("Play / pause", self.time_slider.toggle_play, Qt.Key.Key_Space)
        self.back_action = a("Back one day", lambda: self.time_slider.step(-1), Qt.Key.Key_Left)
        self.forward_action = a("Forward one day", lambda: self.time_slider.step(1), Qt.Key.Key_Right)
        self.first_day_action = a("First day", self.time_slider.go_first, Qt.Key.Key_Home)
        self.last_day_action = a("Last day", self.time_slider.go_last, Qt.Key.Key_End)
        self._map_keys(self.play_action, self.back_action, self.forward_action, self.first_day_action,
                       self.last_day_action)
        tools = QActionGroup(self)
        self.pan_action = a("&Pan", lambda on: on and self.set_tool("pan"), "P", checkable=True, checked=True)
        self.identify_action = a("&Identify", lambda on: on and self.set_tool("identify"), "I",
                                 checkable=True)
        self.measure_action = a("&Measure", lambda on: on and self.set_tool("measure"), "M", checkable=True)
        for action in (self.pan_action, self.identify_action, self.measure_action):
            tools.addAction(action)
        self.about_action = a("&About terrain_viewer", self._on_about)
        self.shortcuts_action = a("&Keyboard shortcuts", self._on_shortcuts,
                                  QKeySequence.StandardKey.HelpContents)

    def _map_keys(self, *actions: QAction) -> None:
        """Keys that mean something in lists and text fields act only from the map or the date bar,
        and never while a menu is open (its → goes to the next menu, End to its last entry)."""
        for action in actions:
            self.removeAction(action)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.canvas.addAction(action)
            self.time_slider.addAction(action)
        self._menu_keys = MenuKeys({action.shortcut() for action in actions}, self)
        QApplication.instance().installEventFilter(self._menu_keys)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.open_action, None, self.open_project_action):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        reopen = lambda path: qt_project.open_project(self, path)  # noqa: E731
        self.recent_menu.aboutToShow.connect(lambda: qt_settings.fill_recent_menu(self.recent_menu, reopen))
        for action in (self.save_project_action, self.save_as_action, None, self.export_action, None,
                       self.quit_action):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)
        bar.addMenu("&Edit").addAction(self.undo_remove_action)
        view = bar.addMenu("&View")
        for action in (self.zoom_in_action, self.zoom_out_action, self.zoom_full_action,
                       self.zoom_layer_action, None, self.chinese_action,
                       *self.option_actions.values(), None, self.swipe_action, self.side_action,
                       self.basemap_action, self.map_crs_action, None):
            view.addSeparator() if action is None else view.addAction(action)
        corner_menu = view.addMenu("Legend co&rner")
        for action in self.corner_actions.values():
            corner_menu.addAction(action)
        panels = view.addMenu("Panels")
        for dock in (self.layers_dock, self.events_dock, self.identify_dock, self.problems_dock):
            panels.addAction(dock.toggleViewAction())
        time_menu = bar.addMenu("&Time")
        for action in (self.play_action, self.back_action, self.forward_action, self.first_day_action,
                       self.last_day_action, self.go_to_date_action, self.time_range_action):
            time_menu.addAction(action)
        time_menu.addSeparator()  # the date bar's settings, for the keyboard (its boxes take no focus)
        slider = self.time_slider
        for title, combo in (("&Speed", slider.speed_box), ("&Frames per day", slider.fpd_box)):
            _combo_menu(time_menu.addMenu(title), combo)
        loop = time_menu.addAction("&Loop")
        loop.setCheckable(True)
        loop.toggled.connect(slider.loop_box.setChecked)
        time_menu.aboutToShow.connect(lambda: loop.setChecked(slider.loop_box.isChecked()))
        tools = bar.addMenu("T&ools")
        for action in (self.pan_action, self.identify_action, self.measure_action):
            tools.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        for action in (self.open_action, self.export_action, None, self.zoom_full_action, None,
                       self.pan_action, self.identify_action, self.measure_action, None, self.swipe_action):
            bar.addSeparator() if action is None else bar.addAction(action)

    # ---- model ------------------------------------------------------------------------------
    @property
    def project_path(self) -> Path | None:
        """The project file this session was opened from or saved to (shown in the title)."""
        return self._project_path

    @project_path.setter
    def project_path(self, path: str | Path | None) -> None:
        self._project_path = Path(path) if path is not None else None
        if self._project_path is not None:
            qt_settings.add_recent_project(self._project_path)
            qt_settings.remember_folder("project", self._project_path)
        self._update_title()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """A fresh session on a small screen starts without the legend (View ▸ Legend brings it);
        a first window (no dock layout remembered) gives the side panels a share of its width, the
        map the rest (a 900 px window gave the map 320)."""
        super().showEvent(event)
        if self._first_show and not self._docks_restored:
            width = self.width()
            self.resizeDocks([self.layers_dock, self.events_dock],
                             [min(LAYERS_WIDTH, round(width * 0.2)), min(EVENTS_WIDTH, round(width * 0.22))],
                             Qt.Orientation.Horizontal)
            self.layout().activate()  # now, so that the legend's rule below sees the map's own width
        if self._first_show and self.project_path is None and self.canvas.width() < LEGEND_WIDTH:
            self.model.set_options(legend=False)
            self.mark_saved()  # the window's own choice, not the user's change
        self._first_show = False

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if not self.may_replace_session():
            event.ignore()
            return
        qt_settings.save_window(self)
        self.canvas.shut_down()  # the helper process ends, the render thread's frame is waited for
        QApplication.instance().removeEventFilter(self._menu_keys)  # it sees every event of the
        #   application, those of objects being destroyed at exit too: wrapped half-destroyed, they
        #   crashed PyQt's clean-up at exit (every quit by the File menu)
        super().closeEvent(event)

    def _on_removed(self, removed) -> None:
        """A layer removed from the panel: said, with the way back (Ctrl+Z, Edit ▸ Undo remove layer)."""
        self._removed = [*self._removed[-(UNDO_REMOVALS - 1):], removed]
        self._sync_undo()
        self._hide_problems_of(removed, True)
        self.statusBar().showMessage(f"Removed {removed.state.name} (its file is untouched); Ctrl+Z puts it "
                                     "back", 10000)

    def _undo_remove(self) -> None:
        if not self._removed:
            return
        removed = self._removed.pop()
        name = removed.state.name
        back = self.model.restore_layer(removed)
        self._hide_problems_of(removed, False)
        again = f"{name} is in the session again already (its file was opened again)"
        self.statusBar().showMessage(f"{name} is back" if back else again, 8000)
        self._sync_undo()

    def _hide_problems_of(self, removed, hidden: bool) -> None:
        """A removed layer's load problems leave the Problems panel (they stayed: a new user), and
        come back with the layer."""
        obj = removed.layer or removed.raster
        source = getattr(obj, "source_layer", None) or getattr(obj, "name", None)
        if obj is None or source is None:
            return
        prefix = f"{obj.path}: layer '{source}': "
        for row in range(self.problems_list.count()):
            item = self.problems_list.item(row)
            if item.text().startswith(prefix):
                item.setHidden(hidden)

    def _sync_undo(self) -> None:
        """Edit ▸ Undo remove names the layer Ctrl+Z puts back; greyed when there is none."""
        self.undo_remove_action.setEnabled(bool(self._removed))
        last = self._removed[-1].state.name if self._removed else "layer"
        self.undo_remove_action.setText(f"&Undo remove {last}")

    def _go_to_date(self) -> None:
        """The date bar's big date opened for a typed date (the bar shown if it was hidden)."""
        self.time_dock.show()
        self.time_slider.edit_date()

    def _legend_corner(self, corner: str) -> None:
        self.model.set_options(legend_corner=corner)

    def _swipe(self, on: bool) -> None:
        """Swipe compare on or off; a side with nothing to draw is said, not just left blank."""
        self.model.set_swipe(enabled=on)
        self._say_empty_side()

    def _say_empty_side(self) -> None:
        """While swiping, say which side has no layers of its own; once none is empty (a layer
        moved there, a basemap chosen) or the swipe is off, the saying goes."""
        swipe, on = self.model.swipe, self.model.swipe.enabled
        groups = {s.group for s in self.model.layer_states} | {basemap_group(self.model)}
        shared = sorted(g for g in groups - {swipe.left_group, swipe.right_group} if g)  # on both sides
        both = " of its own" if shared else ""  # a group on both sides: its layers are not this side's
        ends = (("left", swipe.left_group), ("right", swipe.right_group))
        empty = [f"the {side} side (group '{group}') has no layers{both}"
                 for side, group in ends if group not in groups]
        if on and empty:  # short enough to be read whole beside the coordinates
            self.statusBar().showMessage(f"Swipe: {'; '.join(empty)}: right-click a layer ▸ Move to group, "
                                         "or View ▸ Basemap…", 15000)
        elif self.statusBar().currentMessage().startswith("Swipe: "):
            self.statusBar().clearMessage()

    # ---- unsaved changes --------------------------------------------------------------------
    ask_to_save = True  # ask before a modified session is closed or replaced

    def _session(self) -> dict:
        """The session as its project keeps it, less where the map is looked at (date, view): the
        model and the export settings (saved with it; the Export dialog keeps them here)."""
        data = self.model.to_dict()
        for key in ("time", "view", "follow"):
            data.pop(key, None)
        data["export"] = copy.deepcopy(self.export_settings)
        return data

    def mark_saved(self) -> None:
        """The session is what its project file (or the start) holds now: not modified."""
        self._saved = self._session()
        self.setWindowModified(False)

    def refresh_modified(self, change=None) -> None:
        """Mark the title ([*]) when the session differs from its saved state (a date or a view
        changed is not a change to save)."""
        if change is None or change.kind not in ("time", "view"):
            self.setWindowModified(self._session() != self._saved)

    def may_replace_session(self) -> bool:
        """Before the session is closed or replaced: when it is modified, ask whether to save it
        (Save, Discard, Cancel); False to keep it open."""
        if not self.ask_to_save or self._session() == self._saved:
            return True
        name = self.project_path.name if self.project_path else "this session"
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self, "Unsaved changes", f"Save the changes to {name} as a project?",
                                      buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return qt_project.save_project(self) is not None
        return answer == buttons.Discard

    def set_model(self, model: ViewerModel, saved: bool = True) -> None:
        """Swap in another model (a loaded project; ``saved``: as its file holds it) and rebind
        every widget to it."""
        self.model = model
        self._drawing: list[str] = []  # the new map's drawing problems are said anew
        self._places: list[str] = []  # … as are the notes on layers far away or distorted
        for widget in (self.canvas, self.time_slider, self.layer_panel, self.events_panel):
            widget.set_model(model)
        self._links.clear()
        for signal in (model.events.options, model.events.swipe, model.events.reset):
            self._links.connect(signal, lambda _c: self._sync_actions())
        for signal in (model.events.time, model.events.layer_added, model.events.layer_removed,
                       model.events.reset):  # the date, and the files open now
            self._links.connect(signal, lambda _c: self._update_title())
        for signal in (model.events.time, model.events.layer_added, model.events.layer_removed,
                       model.events.visibility):  # what is under the identify ring may have changed
            self._links.connect(signal, lambda _c: self._marker_date_changed())
        self._removed: list = []  # layers removed, the last one first back with Undo; another
        self._sync_undo()  # session's are not this one's to put back
        self._links.connect(model.events.any, self.refresh_modified)
        self._links.connect(model.events.view, lambda _c: self._show_cursor())  # moved under a still mouse
        for signal in (model.events.group, model.events.layer_added, model.events.layer_removed,
                       model.events.basemap):  # a side of the swipe filled or emptied
            self._links.connect(signal, lambda _c: self._say_empty_side())
        self.coordinates = CursorCoordinates(model.dataset.map_crs)
        self.measure = MeasurePath(self.coordinates)
        self.canvas.overlay_path = self.measure.points
        self._say_measure("")
        self._show_cursor()
        self.identify_panel.show_hits([], clicked=False)
        self.canvas.marker = None
        if getattr(self, "place_bar", None) is not None:  # a note about the last session's layers:
            self.place_bar.dismiss()  # its buttons would act on this one's
        self._sync_actions()
        self.show_problems(model.dataset.problems)
        self._update_title()
        if saved:
            self.mark_saved()
        else:
            self.refresh_modified()
        self.model_replaced.emit(model)

    def _sync_actions(self) -> None:
        pairs = [(self.chinese_action, self.model.options.chinese_names),
                 (self.swipe_action, self.model.swipe.enabled)]
        pairs += [(action, getattr(self.model.options, key)) for key, action in self.option_actions.items()]
        corner = self.model.options.legend_corner
        pairs += [(action, c == corner) for c, action in self.corner_actions.items()]
        for action, value in pairs:
            action.blockSignals(True)
            action.setChecked(bool(value))
            action.blockSignals(False)

    def _update_title(self) -> None:
        """The project's name, else the first two files' names ("+ n more"), then the date."""
        paths = [self.project_path] if self.project_path else self.model.paths
        name = ", ".join(p.name for p in paths[:2]) or "untitled"
        if len(paths) > 2:
            name += f" + {len(paths) - 2} more"
        self.setWindowTitle(f"{name}[*] — {self.time_slider.date_label.text()} — terrain_viewer")

    def drawing_problem(self, message: str) -> None:
        """A problem met while drawing the map: listed once in the Problems panel and said in the
        status bar."""
        if len(self._drawing) < MOST and self._list_once(self._drawing, message):
            self.statusBar().showMessage(f"Drawing the map: {message}", 15000)

    def note_place(self, message: str) -> None:
        """A note on layers that lie far away or would be distorted: listed in the Problems panel
        for this session (the next file opened emptied it of them)."""
        self._list_once(self._places, message)
        self.problems_dock.show()

    def _list_once(self, kept: list[str], message: str) -> bool:
        """List ``message`` in the Problems panel once a session, kept in ``kept`` (listed again
        when the load problems are listed anew, more files); False when it was already."""
        if message in kept:
            return False
        kept.append(message)
        self.problems_list.addItem(message)
        self.problems_dock.show()
        return True

    def show_problems(self, problems: Sequence[str]) -> None:
        """List load problems in the Problems dock and the status bar (never blocks), and the
        problems met drawing this session's map and its notes on layers far away."""
        self.problems_list.clear()
        self.problems_list.addItems([str(p) for p in problems])
        self.problems_list.addItems([p for p in (*self._places, *self._drawing) if p not in problems])
        for removed in self._removed:  # listed anew (more files): a removed layer's stay out
            self._hide_problems_of(removed, True)
        if problems:
            self.problems_dock.show()
            count = f"{len(problems)} load problem{'s' if len(problems) != 1 else ''}"
            self.statusBar().showMessage(f"{count} — see the Problems panel", 15000)
        elif self._drawing or self._places:
            self.problems_dock.show()
        else:
            self.problems_dock.hide()
            self.statusBar().clearMessage()

    # ---- files ------------------------------------------------------------------------------
    def open_files(self, paths: Sequence[str | Path]) -> list[str]:
        """Add the layers of ``paths`` (read on a thread; a busy bar with Cancel after a moment); show
        problems; return them. A project file (``.tvproj``) among them opens as the project."""
        return qt_loading.open_files(self, paths)

    def _on_open(self) -> None:
        start = qt_settings.last_folder("open", qt_project.own_data_folder(self))  # else the own data's
        paths, _ = QFileDialog.getOpenFileNames(self, "Open map data", start, OPEN_FILTER)
        if paths:
            qt_settings.remember_folder("open", paths[0])
            self.open_files(paths)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_files(paths)

    # ---- dialogs ------------------------------------------------------------------------------
    def _on_export(self) -> None:
        from terrain_viewer.gui.qt_export_dialog import ExportDialog  # matplotlib's export side: on demand

        ExportDialog(self.model, self).exec()

    def _on_shortcuts(self) -> None:
        QtShortcutsDialog(self.findChildren(QAction), self).exec()

    def _on_zoom_layer(self) -> None:
        name = self.layer_panel.current_name()
        if name is None:
            self.statusBar().showMessage("Select a layer in the Layers panel first", 5000)
            return
        self.zoom_to_layer(name)

    def _zoom_centre(self, factor: float) -> None:
        self.canvas.zoom_at(self.canvas.width() / 2, self.canvas.height() / 2, factor)

    def zoom_to_layer(self, name: str) -> None:
        if not self.canvas.zoom_to_layer(name):
            self.statusBar().showMessage(f"Layer {name} has no features to zoom to", 5000)

    def _on_about(self) -> None:
        QMessageBox.about(self, "About terrain_viewer", about_text(self.model))

    # ---- tools ------------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        """``"pan"``, ``"identify"`` or ``"measure"`` (leaving measure clears the line)."""
        self.canvas.set_tool(tool)
        {"pan": self.pan_action, "identify": self.identify_action, "measure": self.measure_action}[tool] \
            .setChecked(True)
        if tool != "identify":
            self.canvas.marker = None
            self.identify_panel.show_hits([], clicked=False)  # not a list of what was there once
        self.canvas.rubber_end = None
        if tool != "measure":
            self.measure.clear()
            self._say_measure("")
        else:
            self._say_measure(self.measure.text())
        if tool == "identify":
            self.identify_dock.show()
            self.identify_dock.raise_()
        self.canvas.update()

    def _on_map_clicked(self, x: float, y: float) -> None:
        if self.canvas.tool == "identify":
            self._identify_at(x, y)
            self.canvas.marker = (x, y)
            self.identify_dock.show()
            self.identify_dock.raise_()
        elif self.canvas.tool == "measure":
            self.measure.add(x, y)
            self._say_measure(self.measure.text())
            self.canvas.update()

    def _marker_date_changed(self) -> None:
        """The identify ring stays where it was clicked; what is there is listed again for the new
        date ``IDENTIFY_AGAIN_MS`` after the first change (not restarted: playback still updates)."""
        if self.canvas.marker is not None and self.canvas.tool == "identify" \
                and not self._identify_again.isActive():
            self._identify_again.start()

    def _identify_marker(self) -> None:
        if self.canvas.marker is not None and self.canvas.tool == "identify":
            self._identify_at(*self.canvas.marker)

    def _identify_at(self, x: float, y: float) -> None:
        self.identify_panel.identify_at(self.model, x, y, TOLERANCE_PX * self.canvas.units_per_pixel(),
                                        self.canvas.units_under(x, y, TOLERANCE_PX),
                                        self.canvas.layers_at(x, y))

    def _on_right_click(self) -> None:
        if self.canvas.tool == "measure":
            self.measure.clear()
            self.canvas.rubber_end = None
            self._say_measure(self.measure.text())
            self.canvas.update()

    def _show_cursor(self) -> None:
        """The coordinate readout for where the mouse is now (in the current map CRS), or none."""
        pos = self.canvas.mapFromGlobal(QCursor.pos())
        if self.canvas.rect().contains(pos):
            self.coords_label.setText(self.coordinates.text(*self.canvas.to_map(pos.x(), pos.y())))
        else:
            self.coords_label.clear()

    def _on_cursor_moved(self, x: float, y: float) -> None:
        self.coords_label.setText(self.coordinates.text(x, y))
        if self.canvas.tool == "measure" and self.measure.points:
            self.canvas.rubber_end = (x, y)
            self._say_measure(self.measure.text(cursor=(x, y)))
            self.canvas.update()


def _combo_menu(menu: QMenu, combo: QComboBox) -> None:
    """``menu`` lists ``combo``'s choices, the current one checked; choosing one sets the combo."""
    group = QActionGroup(menu)
    for index in range(combo.count()):
        action = menu.addAction(combo.itemText(index), lambda i=index: combo.setCurrentIndex(i))
        action.setCheckable(True)
        group.addAction(action)
    menu.aboutToShow.connect(lambda: group.actions()[combo.currentIndex()].setChecked(True))


class MenuKeys(QObject):
    """While a menu is open, its keys are the menu's: an application event filter that claims the
    ``keys`` (a shortcut would otherwise take them: the focus stays on the map under a menu)."""

    def __init__(self, keys: set[QKeySequence], parent: QObject):
        super().__init__(parent)
        self.keys = keys

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's)
        if event.type() == QEvent.Type.ShortcutOverride and QApplication.activePopupWidget() is not None \
                and QKeySequence(event.keyCombination()) in self.keys:
            event.accept()  # delivered as a key press to the menu, not as the shortcut
            return True
        return False
