"""A person's hands for the GUI tests: click where the style draws a control, drag, type, use menus.

Every helper goes through the widget the user touches (mouse and key events on the viewport, the
slider, the menu), never through the model, so the paths Qt takes for a real user (delegates,
``setData``, popups, modal loops) are the paths the tests take.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PyQt6.QtCore import QEvent, QPoint, QPointF, QRect, Qt, QTimer
from PyQt6.QtGui import QContextMenuEvent, QImage, QMouseEvent, QWheelEvent
from PyQt6.QtWidgets import (
    QAbstractSlider,
    QApplication,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionSlider,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier
UNIT_FILLS = np.array([[0x80, 0xE0, 0xFF], [0xFF, 0x80, 0x80]])  # APP-6 friend / hostile fills


# ---- pixels ----------------------------------------------------------------------------------------
def pixels(widget: QWidget) -> np.ndarray:
    """A widget's pixels as an (H, W, 4) RGBA array (settle its map canvases first)."""
    from terrain_viewer.gui.qt_map_canvas import QtMapCanvas

    for canvas in [widget, *widget.findChildren(QtMapCanvas)]:
        if isinstance(canvas, QtMapCanvas) and canvas.isVisible():
            assert canvas.wait_settled(), "the map did not finish rendering"
    return image_array(widget.grab().toImage())


def image_array(image: QImage) -> np.ndarray:
    """A QImage as an (H, W, 4) uint8 RGBA array."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    rows = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return rows[:, : image.width()].copy()


def unit_pixels(rgba: np.ndarray, tolerance: int = 24) -> int:
    """How many pixels are painted in a unit symbol's fill colour (either side)."""
    rgb = rgba[..., :3].astype(int)
    near = [(np.abs(rgb - fill).max(axis=-1) <= tolerance) for fill in UNIT_FILLS]
    return int(np.logical_or(*near).sum())


# ---- the layer tree --------------------------------------------------------------------------------
def check_rect(tree: QTreeWidget, item: QTreeWidgetItem) -> QRect:
    """Where the style draws ``item``'s check box, in viewport coordinates (as the delegate asks)."""
    tree.scrollToItem(item)
    option = QStyleOptionViewItem()
    tree.initViewItemOption(option)
    QStyledItemDelegate().initStyleOption(option, tree.indexFromItem(item))
    option.rect = tree.visualItemRect(item)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    return tree.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, tree)


def click_check(qtbot, tree: QTreeWidget, item: QTreeWidgetItem) -> None:
    """A left click in the middle of ``item``'s check box."""
    rect = check_rect(tree, item)
    assert rect.isValid() and tree.viewport().rect().contains(rect), f"check box off screen: {rect}"
    qtbot.mouseClick(tree.viewport(), LEFT, NO_MOD, rect.center())


def layer_items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    """The layer rows (children of the group rows), top to bottom."""
    rows = []
    for g in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(g)
        rows += [group.child(i) for i in range(group.childCount())]
    return rows


def check_states(tree: QTreeWidget) -> dict[str, bool]:
    """Layer name → ticked, as the tree shows it."""
    return {item.data(0, Qt.ItemDataRole.UserRole): item.checkState(0) == Qt.CheckState.Checked
            for item in layer_items(tree)}


# ---- sliders ---------------------------------------------------------------------------------------
def _slider_option(slider: QAbstractSlider) -> QStyleOptionSlider:
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    return option


def handle_rect(slider: QAbstractSlider) -> QRect:
    """Where the style draws the slider's handle now."""
    return slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, _slider_option(slider),
                                         QStyle.SubControl.SC_SliderHandle, slider)


def handle_centre_for(slider: QAbstractSlider, value: int) -> QPoint:
    """Where the handle's centre is when the slider shows ``value`` (horizontal sliders)."""
    option = _slider_option(slider)
    style = slider.style()
    groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove,
                                  slider)
    handle = handle_rect(slider)
    span = groove.width() - handle.width()
    x = groove.x() + QStyle.sliderPositionFromValue(slider.minimum(), slider.maximum(), value, span)
    return QPoint(x + handle.width() // 2, handle.center().y())


def drag_slider(qtbot, slider: QAbstractSlider, value: int, steps: int = 12) -> None:
    """Press on the handle, move the mouse in ``steps`` towards ``value``'s place, release there."""
    start = handle_rect(slider).center()
    end = handle_centre_for(slider, value)
    qtbot.mousePress(slider, LEFT, NO_MOD, start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(slider, QPoint(round(start.x() + (end.x() - start.x()) * i / steps), start.y()))
    qtbot.mouseRelease(slider, LEFT, NO_MOD, QPoint(end.x(), start.y()))


def double_click(qtbot, widget: QWidget, pos: QPoint) -> None:
    """What the window system sends for a double click: press, release, press, double-click, release
    (QTest's ``mouseDClick`` alone sends only the double-click event to a widget)."""
    qtbot.mouseClick(widget, LEFT, NO_MOD, pos)
    qtbot.mousePress(widget, LEFT, NO_MOD, pos)
    qtbot.mouseDClick(widget, LEFT, NO_MOD, pos)
    qtbot.mouseRelease(widget, LEFT, NO_MOD, pos)


def right_click(qtbot, widget: QWidget, pos: QPoint) -> None:
    """A right click as the window system delivers it: press, the context-menu event, release.

    QTest sends mouse events straight to the widget, so Qt's window never turns the press into a
    context-menu request; that part is sent here. A menu opened by it blocks until closed."""
    qtbot.mousePress(widget, Qt.MouseButton.RightButton, NO_MOD, pos)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, widget.mapToGlobal(pos), NO_MOD)
    QApplication.sendEvent(widget, event)
    qtbot.mouseRelease(widget, Qt.MouseButton.RightButton, NO_MOD, pos)


# ---- fields ----------------------------------------------------------------------------------------
def choose(qtbot, combo, text: str) -> None:
    """Open the combo box's list with the mouse and click the entry ``text``."""
    qtbot.mouseClick(combo, LEFT)
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=3000)
    row = combo.findText(text)
    assert row >= 0, f"{text!r} is not in the list"
    rect = view.visualRect(combo.model().index(row, 0))
    qtbot.wait(QApplication.doubleClickInterval() + 50)  # a release sooner would be the opening click's
    qtbot.mouseMove(view.viewport(), rect.center())  # the row under the mouse becomes current
    qtbot.mouseClick(view.viewport(), LEFT, NO_MOD, rect.center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=3000)
    assert combo.currentText() == text


def type_into(qtbot, field: QWidget, text: str, enter: bool = False) -> None:
    """Click into a text field (or a spin box's text), select what is there and type ``text``."""
    target = field.lineEdit() if hasattr(field, "lineEdit") and callable(field.lineEdit) else field
    qtbot.mouseClick(target, LEFT)
    qtbot.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(target, text)
    if enter:
        qtbot.keyClick(target, Qt.Key.Key_Return)


def type_date(qtbot, edit, text: str, then: Qt.Key = Qt.Key.Key_Tab) -> None:
    """Click into a date field, select all of it with Ctrl+A and type ``text``, then ``then``: the
    keys go to the field itself, as a real key press does (its text editor is Qt's inside). The
    click goes to the widget under the pointer, the field's text editor, as a real click does: sent
    to the date field itself, a click on its text was taken for its down arrow (with a calendar
    popup Qt's combo-box hit test names the text SC_ComboBoxEditField, the value of SC_SpinBoxDown),
    and the date went a day or a year back before anything was typed."""
    pos = QPoint(8, edit.height() // 2)
    target = edit.childAt(pos) or edit
    qtbot.mouseClick(target, LEFT, NO_MOD, target.mapFrom(edit, pos))
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, then)


def pick_date_with_keys(qtbot, edit, *keys: Qt.Key) -> None:
    """Open a date edit's calendar with the mouse, move in it with ``keys``, press Return."""
    qtbot.mouseClick(edit, LEFT, NO_MOD, QPoint(edit.width() - 6, edit.height() // 2))
    calendar = edit.calendarWidget()
    qtbot.waitUntil(calendar.isVisible, timeout=3000)
    target = QApplication.focusWidget() or calendar
    for key in keys:
        qtbot.keyClick(target, key)
    qtbot.keyClick(target, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not calendar.isVisible(), timeout=3000)


# ---- the map ---------------------------------------------------------------------------------------
def drag(qtbot, widget: QWidget, start: QPoint, end: QPoint, steps: int = 8) -> None:
    """A left-button drag from ``start`` to ``end``."""
    qtbot.mousePress(widget, LEFT, NO_MOD, start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(widget, QPoint(round(start.x() + (end.x() - start.x()) * i / steps),
                                       round(start.y() + (end.y() - start.y()) * i / steps)))
    qtbot.mouseRelease(widget, LEFT, NO_MOD, end)


def wheel(widget: QWidget, pos: QPoint, notches: int) -> None:
    """``notches`` clicks of the mouse wheel over ``pos`` (positive = away from the user)."""
    where = QPointF(pos)
    event = QWheelEvent(where, widget.mapToGlobal(where), QPoint(0, 0), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, NO_MOD, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def hover(widget: QWidget, pos: QPoint) -> None:
    """The mouse moving over ``pos`` with no button pressed."""
    where = QPointF(pos)
    QApplication.sendEvent(widget, QMouseEvent(QEvent.Type.MouseMove, where, widget.mapToGlobal(where),
                                               Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, NO_MOD))


# ---- menus and modal dialogs -------------------------------------------------------------------------
def plain(text: str) -> str:
    """A menu entry's text without its '&' mnemonic marks."""
    return text.replace("&", "").split("\t")[0]


def menu_action(window, *path: str):
    """The action at ``path`` through the menu bar, e.g. ("View", "Side by side…")."""
    entries = window.menuBar().actions()
    action = None
    for name in path:
        found = [a for a in entries if plain(a.text()) == name]
        assert found, f"no entry {name!r} among {[plain(a.text()) for a in entries]}"
        action = found[0]
        entries = action.menu().actions() if action.menu() is not None else []
    return action


def click_menu(qtbot, window, *path: str) -> None:
    """Open the menu bar's menu with the mouse and click the entry (through submenus)."""
    bar = window.menuBar()
    top = next(a for a in bar.actions() if plain(a.text()) == path[0])
    qtbot.mouseClick(bar, LEFT, NO_MOD, bar.actionGeometry(top).center())
    menu = top.menu()
    qtbot.waitUntil(menu.isVisible, timeout=3000)
    for name in path[1:]:
        action = next(a for a in menu.actions() if plain(a.text()) == name)
        assert action.isEnabled(), f"{name} is disabled"
        qtbot.mouseClick(menu, LEFT, NO_MOD, menu.actionGeometry(action).center())
        if action.menu() is not None:
            menu = action.menu()
            qtbot.waitUntil(menu.isVisible, timeout=3000)


def when_shown(find: Callable[[], QWidget | None], then: Callable[[QWidget], None],
               timeout: float = 20.0) -> list[BaseException]:
    """Call ``then(widget)`` once ``find()`` returns a widget (a modal dialog or a popup that a click
    is about to open and block in). Returns a list that collects what ``then`` raised."""
    errors: list[BaseException] = []
    deadline = time.monotonic() + timeout

    def poll() -> None:
        widget = find()
        if widget is None:
            if time.monotonic() < deadline:
                QTimer.singleShot(20, poll)
            else:
                errors.append(TimeoutError("nothing was shown"))
            return
        try:
            then(widget)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test after the modal loop
            errors.append(exc)
            widget.close()

    QTimer.singleShot(20, poll)
    return errors


def active_popup() -> QMenu | None:
    popup = QApplication.activePopupWidget()
    return popup if isinstance(popup, QMenu) and popup.isVisible() else None


def modal(kind: type) -> Callable[[], QWidget | None]:
    """A finder for the visible modal dialog of class ``kind``."""
    def find() -> QWidget | None:
        widget = QApplication.activeModalWidget()
        return widget if isinstance(widget, kind) and widget.isVisible() else None

    return find


def click_entry(qtbot, menu: QMenu, text: str) -> None:
    """Click the entry ``text`` of an open popup menu."""
    action = next(a for a in menu.actions() if plain(a.text()) == text)
    qtbot.mouseClick(menu, LEFT, NO_MOD, menu.actionGeometry(action).center())
