"""The menus clicked with the mouse and their dialogs filled in with the keyboard: View's toggles,
swipe, side by side and basemap (a typed tile URL), File's open, save, open project, export (a typed
form that writes a video), dropped files, Help ▸ About, the Panels menu and Quit."""

from __future__ import annotations

import shutil
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from person import (
    LEFT,
    active_popup,
    check_rect,
    check_states,
    choose,
    click_check,
    click_entry,
    click_menu,
    modal,
    pick_date_with_keys,
    pixels,
    plain,
    right_click,
    type_into,
    when_shown,
)
from PyQt6.QtCore import QDate, QMimeData, QPoint, QPointF, Qt, QUrl
from PyQt6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog

from terrain_viewer.gui.app import create_window
from terrain_viewer.gui.qt_compare import QtBasemapDialog
from terrain_viewer.gui.qt_export_dialog import ExportDialog

GREY = np.array([200, 200, 205])  # the test tile server's tiles


def _grey(rgba: np.ndarray) -> float:
    return float((np.abs(rgba[..., :3].astype(int) - GREY).max(axis=-1) < 12).mean())


@pytest.mark.parametrize("entry, option", [("Legend", "legend"), ("Scale bar", "scale_bar"),
                                           ("North arrow", "north_arrow"), ("Date caption", "caption"),
                                           ("Labels", "labels")])
def test_view_toggles_clicked_in_the_menu_take_the_item_off_the_map_and_back(qtbot, hengyang, grab_map,
                                                                            entry, option):
    hengyang.resize(1900, 1000)  # a map 900 px wide or more: the legend is left out of smaller ones
    qtbot.waitUntil(lambda: hengyang.canvas.width() >= 900, timeout=3000)
    hengyang.canvas.refresh()  # the new size (wait_settled alone does not ask for it: test_person_map)
    hengyang.model.set_options(**{option: True})  # a small window may have started without the legend
    with_it = grab_map(hengyang)
    click_menu(qtbot, hengyang, "View", entry)
    assert getattr(hengyang.model.options, option) is False
    assert np.any(with_it != grab_map(hengyang), axis=2).sum() > 50
    click_menu(qtbot, hengyang, "View", entry)
    assert getattr(hengyang.model.options, option) is True
    assert np.array_equal(grab_map(hengyang), with_it)


def test_chinese_names_clicked_in_the_menu_redraw_the_labels(qtbot, hengyang, grab_map):
    latin = grab_map(hengyang)
    click_menu(qtbot, hengyang, "View", "Chinese names")
    assert hengyang.model.options.chinese_names and hengyang.chinese_action.isChecked()
    assert np.any(latin != grab_map(hengyang), axis=2).sum() > 50


def test_swipe_compare_clicked_draws_the_divider(qtbot, hengyang, grab_map):
    click_menu(qtbot, hengyang, "View", "Swipe compare")
    assert hengyang.model.swipe.enabled
    x = round(hengyang.model.swipe.position * hengyang.canvas.width())
    column = grab_map(hengyang)[:, x, :3].astype(int)
    assert (np.abs(column - [0x1F, 0x3B, 0x57]).sum(axis=1) < 20).mean() > 0.9


def test_side_by_side_opens_from_the_menu_shows_both_groups_and_opens_again(qtbot, hengyang):
    click_menu(qtbot, hengyang, "View", "Side by side…")
    view = hengyang._side_by_side
    qtbot.waitExposed(view)
    left_title, right_title = (t.text() for t in view.titles)
    assert left_title == "1944"  # the modern group is empty here: its pane says why and what to do
    assert right_title.startswith("modern: no layers here") and "Move to group" in right_title
    assert abs(view.left.width() - view.right.width()) <= 4  # the long note did not widen its pane
    assert view.titles[1].width() <= view.right.width() + 4  # it wraps within it
    left, right = pixels(view.left), pixels(view.right)
    assert left[..., :3].std() > 3 and not np.array_equal(left, right)
    view.activateWindow()
    view.right.setFocus()
    day = hengyang.model.time.t
    qtbot.keyClick(view.right, Qt.Key.Key_Right)  # the date steps from here too (it did not: a new user)
    qtbot.keyClick(view.right, Qt.Key.Key_Right)
    qtbot.keyClick(view.right, Qt.Key.Key_Left)
    assert hengyang.model.time.t == day + 1
    qtbot.keyClick(view.right, Qt.Key.Key_Escape)  # Esc closes it, as a dialog (found by a new user)
    assert not view.isVisible()
    click_menu(qtbot, hengyang, "View", "Side by side…")
    assert hengyang._side_by_side is view and view.isVisible()


def test_basemap_dialog_with_a_typed_tile_url_puts_tiles_under_the_map(qtbot, hengyang, grab_map,
                                                                       tile_server):
    hengyang.model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False)
    assert _grey(grab_map(hengyang)) < 0.05

    def fill(dialog: QtBasemapDialog) -> None:
        choose(qtbot, dialog.kind, "Custom tile URL")
        type_into(qtbot, dialog.url, tile_server.url)
        type_into(qtbot, dialog.url_attribution, "© test tiles")
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, LEFT)

    errors = when_shown(modal(QtBasemapDialog), fill)
    click_menu(qtbot, hengyang, "View", "Basemap…")
    assert not errors, errors
    assert hengyang.model.basemap["url"] == tile_server.url
    assert hengyang.model.basemap["attribution"] == "© test tiles"
    qtbot.waitUntil(lambda: _grey(grab_map(hengyang)) > 0.3, timeout=30000)


def test_save_project_as_then_open_project_restores_what_the_user_changed(qtbot, hengyang, tmp_path,
                                                                          monkeypatch, message_boxes):
    tree, model = hengyang.layer_panel.tree, hengyang.model
    click_check(qtbot, tree, hengyang.layer_panel.item("rivers"))
    qtbot.mouseClick(hengyang.time_slider.forward_button, LEFT)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "siege"), ""))
    click_menu(qtbot, hengyang, "File", "Save project as…")
    saved = tmp_path / "siege.tvproj"
    assert saved.is_file() and hengyang.project_path == saved and "siege.tvproj" in hengyang.windowTitle()
    click_check(qtbot, tree, hengyang.layer_panel.item("rivers"))
    qtbot.mouseClick(hengyang.time_slider.forward_button, LEFT)
    assert model.state("rivers").visible and hengyang.time_slider.date_label.text() == "25 June 1944"
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # File ▸ Save
    assert (tmp_path / "siege.tvproj.bak").is_file()  # the previous version kept
    reopened = create_window([saved])  # `terrain-viewer siege.tvproj`
    qtbot.addWidget(reopened)
    assert reopened.model.state("rivers").visible and reopened.time_slider.date_label.text() == "25 June 1944"
    shutil.copy(tmp_path / "siege.tvproj.bak", saved)  # back to the first save
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(saved), ""))
    click_menu(qtbot, hengyang, "File", "Open project…")
    assert message_boxes == []
    assert hengyang.model is not model and hengyang.model.state("rivers").visible is False
    assert hengyang.time_slider.date_label.text() == "24 June 1944"
    qtbot.waitUntil(lambda: check_states(tree) == {s.name: s.visible for s in hengyang.model.layer_states},
                    timeout=3000)
    assert check_states(tree)["rivers"] is False


def test_file_open_adds_the_chosen_files_layers(qtbot, hengyang, small_gpkg, monkeypatch, message_boxes):
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(small_gpkg)], ""))
    click_menu(qtbot, hengyang, "File", "Open…")
    assert message_boxes == []
    assert len([s for s in hengyang.model.layer_states if s.group == "added"]) == 3
    tree = hengyang.layer_panel.tree
    groups = lambda: [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]  # noqa: E731
    qtbot.waitUntil(lambda: "added" in groups(), timeout=3000)


def test_files_dropped_on_the_map_are_added(qtbot, hengyang, small_gpkg, message_boxes):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(small_gpkg))])
    where = QPointF(200, 200)
    for kind in (QDragEnterEvent, QDragMoveEvent, QDropEvent):
        event = kind(where if kind is QDropEvent else where.toPoint(), Qt.DropAction.CopyAction, mime,
                     LEFT, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(hengyang.canvas, event)  # Qt hands it on to the window, which accepts drops
    assert message_boxes == []
    assert len([s for s in hengyang.model.layer_states if s.group == "added"]) == 3


def test_export_from_the_file_menu_with_a_typed_form_writes_the_video(qtbot, small_window, tmp_path):
    out = tmp_path / "exports" / "siege clip.mp4"
    out.parent.mkdir()

    def fill(dialog: ExportDialog) -> None:
        pick_date_with_keys(qtbot, dialog.end_edit, Qt.Key.Key_PageUp, Qt.Key.Key_Right)  # → 23, 24 June
        assert dialog.end_edit.date() == QDate(1944, 6, 24)
        choose(qtbot, dialog.size_combo, "Custom…")
        type_into(qtbot, dialog.custom_size, "160x90")
        type_into(qtbot, dialog.frames_spin, "2")
        type_into(qtbot, dialog.workers_spin, "1")
        choose(qtbot, dialog.format_combo, "MP4 video (H.264)")
        type_into(qtbot, dialog.out_edit, str(out))
        qtbot.mouseClick(dialog.export_button, LEFT)
        qtbot.waitUntil(lambda: dialog.result is not None, timeout=90000)
        qtbot.waitUntil(dialog.close_button.isEnabled, timeout=10000)
        assert "Wrote" in dialog.status.text(), dialog.status.text()
        qtbot.mouseClick(dialog.close_button, LEFT)

    small_window.model.time.set_date("1944-06-23")
    errors = when_shown(modal(ExportDialog), fill, timeout=30)
    click_menu(qtbot, small_window, "File", "Export…")
    assert not errors, errors
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 4
    assert small_window.export_settings["size"] == "160x90"
    left = [p.name for p in out.parent.iterdir()]
    assert out.name in left and not [n for n in left if n.startswith(".") or "partial" in n], left


def test_help_about_clicked_names_the_data_sources(qtbot, hengyang, message_boxes):
    click_menu(qtbot, hengyang, "Help", "About terrain_viewer")
    kind, _title, text = message_boxes[0]
    assert kind == "about" and "Data sources" in text and "<li>" in text


def test_panels_menu_hides_and_shows_the_events_dock(qtbot, hengyang):
    assert hengyang.events_dock.isVisible()
    click_menu(qtbot, hengyang, "View", "Panels", "Events")
    assert not hengyang.events_dock.isVisible()
    click_menu(qtbot, hengyang, "View", "Panels", "Events")
    assert hengyang.events_dock.isVisible()


def test_quit_clicked_closes_the_window(qtbot, hengyang):
    click_menu(qtbot, hengyang, "File", "Quit")
    qtbot.waitUntil(lambda: not hengyang.isVisible(), timeout=3000)


def test_the_export_output_name_follows_the_format_chosen(qtbot, small_window, tmp_path):
    def fill(dialog: ExportDialog) -> None:
        type_into(qtbot, dialog.out_edit, str(tmp_path / "clip.mp4"))
        choose(qtbot, dialog.format_combo, "PNG frames (a folder)")
        assert Path(dialog.out_edit.text()) == tmp_path / "clip_frames"
        choose(qtbot, dialog.format_combo, "GIF animation")
        assert Path(dialog.out_edit.text()) == tmp_path / "clip.gif"
        qtbot.mouseClick(dialog.close_button, LEFT)

    errors = when_shown(modal(ExportDialog), fill)
    click_menu(qtbot, small_window, "File", "Export…")
    assert not errors, errors


def test_view_legend_corner_moves_the_legend_and_the_export_follows(qtbot, hengyang, grab_map, tmp_path,
                                                                  monkeypatch):
    """The legend covered the Japanese front in the lower right and could be moved only in an
    export's settings. Found by a new-user test."""
    from terrain_viewer.gui.qt_export_dialog import ExportDialog

    # View ▸ Legend on (a small window starts without it); nothing else in the corners
    hengyang.model.set_options(caption=False, north_arrow=False, scale_bar=False, legend=True)
    shown = grab_map(hengyang)
    hengyang.model.set_options(legend=False)
    bare = grab_map(hengyang)
    hengyang.model.set_options(legend=True)

    def legend_at(rgba) -> tuple[float, float]:
        rows, cols = np.nonzero((rgba[..., :3] != bare[..., :3]).any(axis=-1))
        return rows.mean() / rgba.shape[0], cols.mean() / rgba.shape[1]

    assert legend_at(shown)[0] > 0.5 and legend_at(shown)[1] > 0.5  # lower right
    click_menu(qtbot, hengyang, "View", "Legend corner", "Upper left")
    qtbot.waitUntil(lambda: legend_at(grab_map(hengyang))[1] < 0.5, timeout=10000)
    assert legend_at(grab_map(hengyang))[0] < 0.5
    assert hengyang.corner_actions["upper left"].isChecked()
    dialog = ExportDialog(hengyang.model, hengyang)
    qtbot.addWidget(dialog)
    assert dialog.settings().legend_corner == "upper left"  # what the window shows is exported


def test_the_title_names_the_files_open_now(qtbot, hengyang, small_window, small_gpkg, tmp_path,
                                            monkeypatch, message_boxes):
    """After File ▸ Open… added kursk_1943.gpkg the title still read "hengyang_1944.gpkg,
    hengyang_dem.tif*". Found by a new user."""
    kursk, orel = tmp_path / "kursk_1943.gpkg", tmp_path / "orel_1943.gpkg"
    for copy in (kursk, orel):
        shutil.copy(small_gpkg, copy)
    for window, path, name in ((hengyang, kursk, "hengyang_1944.gpkg, hengyang_dem.tif + 1 more"),
                               (small_window, kursk, "small.gpkg, kursk_1943.gpkg"),
                               (small_window, orel, "small.gpkg, kursk_1943.gpkg + 1 more")):
        monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, p=path, **k: ([str(p)], ""))
        click_menu(qtbot, window, "File", "Open…")
        assert window.windowTitle().startswith(f"{name}[*] — "), window.windowTitle()
        assert window.isWindowModified()  # shown as "…*"
    assert message_boxes == []
    tree = small_window.layer_panel.tree  # remove every layer orel_1943.gpkg gave: its name goes
    qtbot.waitUntil(lambda: "units (orel_1943)" in check_states(tree), timeout=5000)
    for name in [s.name for s in small_window.model.layer_states if "orel_1943" in s.name]:
        item = small_window.layer_panel.item(name)
        tree.scrollToItem(item)
        errors = when_shown(active_popup, lambda menu: click_entry(qtbot, menu, "Remove layer"))
        row = QPoint(check_rect(tree, item).right() + 40, tree.visualItemRect(item).center().y())
        right_click(qtbot, tree.viewport(), row)
        qtbot.waitUntil(lambda n=name, e=errors: bool(e) or n not in check_states(tree), timeout=5000)
        assert not errors, errors
    title = small_window.windowTitle()
    assert title.startswith("small.gpkg, kursk_1943.gpkg[*] — "), title


def _mnemonic(text: str) -> str | None:
    at = text.replace("&&", "").find("&")
    return None if at < 0 else text.replace("&&", "")[at + 1].lower()


def test_every_menu_letter_opens_one_entry(qtbot, hengyang):
    """Alt+T always opened Time, never Tools; in View, b named both Side by side… and Basemap…, c
    Chinese names, Map CRS… and Legend corner: a key-only user reached them with extra presses.
    Found by a new user."""
    def letters(actions) -> list[str]:
        return [m for a in actions if not a.isSeparator() and (m := _mnemonic(a.text()))]

    menus = [hengyang.menuBar().actions()]
    while menus:
        actions = menus.pop()
        found = letters(actions)
        assert len(found) == len(set(found)), [a.text() for a in actions]
        menus += [a.menu().actions() for a in actions if a.menu() is not None]
    hengyang.canvas.setFocus()
    qtbot.keyClick(hengyang, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: active_popup() is not None, timeout=3000)
    assert [plain(a.text()) for a in active_popup().actions()][:3] == ["Pan", "Identify", "Measure"]
    active_popup().close()
