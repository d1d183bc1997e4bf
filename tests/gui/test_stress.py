"""200 user actions in a fixed random order against the real window (issue 11: "the window holds up
in a person's hands"): check boxes, the date handle, opacity, day keys, side by side, save and open
a project, a colour changed and changed back, wheel zoom and mouse pan. The process must survive and
the last state must be consistent: tree ↔ model, date label ↔ model, the map showing the latest state.
"""

from __future__ import annotations

import random

import numpy as np
from person import (
    LEFT,
    NO_MOD,
    check_rect,
    check_states,
    click_check,
    click_menu,
    drag,
    drag_slider,
    layer_items,
    pixels,
    wheel,
)
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QColorDialog, QFileDialog

from terrain_viewer.gui.qt_time_slider import date_text

ACTIONS = 200


class Person:
    """Does one random thing at a time to the window, the way a user would."""

    def __init__(self, qtbot, window, tmp_path, monkeypatch, rng: random.Random):
        self.qtbot, self.window, self.rng = qtbot, window, rng
        self.project = tmp_path / "stress.tvproj"
        self.saved = False
        self.opened = 0
        self.colour = "#ff00ff"
        self.done: list[str] = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(self.project), ""))
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(self.project), ""))
        monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor(self.colour))

    # ---- helpers ----------------------------------------------------------------------------
    def _layer_item(self):
        return self.rng.choice(layer_items(self.window.layer_panel.tree))

    def _select(self, item) -> None:
        tree = self.window.layer_panel.tree
        point = QPoint(check_rect(tree, item).right() + 40, tree.visualItemRect(item).center().y())
        self.qtbot.mouseClick(tree.viewport(), LEFT, NO_MOD, point)

    def _map_point(self) -> QPoint:
        width, height = self.window.canvas.width(), self.window.canvas.height()
        return QPoint(self.rng.randrange(30, width - 30), self.rng.randrange(30, height - 30))

    # ---- actions ----------------------------------------------------------------------------
    def toggle_layer(self) -> None:
        click_check(self.qtbot, self.window.layer_panel.tree, self._layer_item())

    def drag_date(self) -> None:
        slider = self.window.time_slider.slider
        drag_slider(self.qtbot, slider, self.rng.randrange(slider.minimum(), slider.maximum() + 1),
                    steps=self.rng.randrange(2, 10))

    def change_opacity(self) -> None:
        self._select(self._layer_item())
        drag_slider(self.qtbot, self.window.layer_panel.opacity, self.rng.randrange(0, 101), steps=4)

    def step_days(self) -> None:
        canvas = self.window.canvas
        canvas.setFocus()
        key = self.rng.choice([Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Home,
                               Qt.Key.Key_End])
        for _ in range(self.rng.randrange(1, 4)):
            self.qtbot.keyClick(canvas, key)

    def play_a_moment(self) -> None:
        canvas = self.window.canvas
        canvas.setFocus()
        self.qtbot.keyClick(canvas, Qt.Key.Key_Space)
        self.qtbot.wait(self.rng.randrange(20, 200))
        if self.window.time_slider.playing:
            self.qtbot.keyClick(canvas, Qt.Key.Key_Space)

    def side_by_side(self) -> None:
        click_menu(self.qtbot, self.window, "View", "Side by side…")
        view = self.window._side_by_side
        self.qtbot.wait(self.rng.randrange(0, 60))
        if self.rng.random() < 0.7:
            view.close()

    def save_or_open_project(self) -> None:
        if not self.saved or self.rng.random() < 0.3:
            click_menu(self.qtbot, self.window, "File", "Save project as…")
            self.saved = self.project.is_file()
            assert self.saved, "File ▸ Save project as wrote nothing"
        else:
            model = self.window.model
            click_menu(self.qtbot, self.window, "File", "Open project…")
            assert self.window.model is not model, "File ▸ Open project did not open it"
            self.opened += 1

    def colour_and_back(self) -> None:
        item = self._layer_item()
        self._select(item)
        name = item.data(0, Qt.ItemDataRole.UserRole)
        before = self.window.model.state(name).style.get("color", "#333333")
        self.colour = f"#{self.rng.randrange(0x1000000):06x}"
        if not self.window.layer_panel.color_button.isEnabled():  # a raster: drawn in its own colours
            style = dict(self.window.model.state(name).style)
            self.qtbot.mouseClick(self.window.layer_panel.color_button, LEFT)
            assert self.window.model.state(name).style == style
            return
        self.qtbot.mouseClick(self.window.layer_panel.color_button, LEFT)
        assert self.window.model.state(name).style["color"] == self.colour
        self.colour = QColor(before).name()  # the user changes it back (the window has no Undo)
        self.qtbot.mouseClick(self.window.layer_panel.color_button, LEFT)
        assert self.window.model.state(name).style["color"] == self.colour

    def zoom(self) -> None:
        wheel(self.window.canvas, self._map_point(), self.rng.choice([-2, -1, 1, 1, 2]))

    def pan(self) -> None:
        start = self._map_point()
        end = start + QPoint(self.rng.randrange(-120, 121), self.rng.randrange(-120, 121))
        drag(self.qtbot, self.window.canvas, start, end, steps=self.rng.randrange(2, 8))

    def act(self) -> None:
        weights = {self.toggle_layer: 30, self.drag_date: 20, self.change_opacity: 12, self.step_days: 20,
                   self.play_a_moment: 5, self.side_by_side: 5, self.save_or_open_project: 4,
                   self.colour_and_back: 6, self.zoom: 14, self.pan: 14}
        action = self.rng.choices(list(weights), list(weights.values()))[0]
        self.done.append(action.__name__)
        action()
        if self.rng.random() < 0.3:
            self.qtbot.wait(self.rng.randrange(0, 30))  # sometimes the person pauses; mostly not


def test_two_hundred_random_user_actions_leave_a_consistent_window(qtbot, hengyang, tmp_path, monkeypatch,
                                                                   message_boxes):
    person = Person(qtbot, hengyang, tmp_path, monkeypatch, random.Random(1944))
    for _ in range(ACTIONS):
        person.act()
    assert len(person.done) == ACTIONS and len(set(person.done)) == 10  # every kind of action was done
    assert person.opened >= 1
    bar = hengyang.time_slider
    if bar.playing:
        bar.pause()
    qtbot.wait(20)  # the layer tree's rebuild runs after the signal that asked for it
    model, tree = hengyang.model, hengyang.layer_panel.tree
    assert hengyang.isVisible() and message_boxes == []
    assert check_states(tree) == {s.name: s.visible for s in model.layer_states}
    assert bar.date_label.text() == date_text(model.time.t)
    assert bar.slider.value() == round((model.time.t - model.time.start) * 24)
    canvas = hengyang.canvas
    assert canvas.wait_settled() and canvas._image_gen == canvas._gen
    shown = pixels(canvas)
    canvas.refresh()  # a fresh render of the same state shows the same pixels
    assert np.array_equal(pixels(canvas), shown)
    side = getattr(hengyang, "_side_by_side", None)
    if side is not None and side.isVisible():
        assert side.left.wait_settled() and side.right.wait_settled()
