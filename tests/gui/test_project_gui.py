"""File menu project actions driven through Qt: open, save, save as, errors, locating moved files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtWidgets import QFileDialog, QLabel, QMessageBox, QPushButton

from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.project import load_project, missing_files, save_project
from terrain_viewer.gui import qt_project
from terrain_viewer.gui.main_window import QtMainWindow


def _window(qtbot, paths: list[Path]) -> QtMainWindow:
    win = QtMainWindow(ViewerModel.open(paths))
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.fixture
def window(qtbot, small_gpkg: Path) -> QtMainWindow:
    return _window(qtbot, [small_gpkg])


@pytest.fixture
def boxes(monkeypatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: shown.append((title, text)))
    return shown


def _answer_file_dialogs(monkeypatch, *answers: str | Path) -> list[str]:
    """Make QFileDialog return ``answers`` in turn ("" = cancel); return the captions asked."""
    queue, captions = [str(a) for a in answers], []

    def pick(parent, caption, folder, filters, *rest):
        captions.append(caption)
        return queue.pop(0), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", pick)
    return captions


def test_save_as_adds_the_suffix_then_save_writes_the_same_file(window, tmp_path, monkeypatch, boxes):
    captions = _answer_file_dialogs(monkeypatch, tmp_path / "siege")
    window.export_settings = {"fps": 12}
    window.model.set_opacity("units", 0.5)
    window.save_project_action.trigger()  # File > Save project: no path yet, so it asks
    assert captions == ["Save project as"] and window.project_path == tmp_path / "siege.tvproj"
    window.model.set_visible("rivers", False)
    window.save_project_action.trigger()  # asks nothing now
    assert captions == ["Save project as"] and (tmp_path / "siege.tvproj.bak").exists()
    model, info = load_project(tmp_path / "siege.tvproj")
    assert model.state("units").opacity == 0.5 and not model.state("rivers").visible
    assert info.export == {"fps": 12} and boxes == []
    assert window.statusBar().currentMessage() == "Saved siege.tvproj"


def test_cancelled_dialogs_change_nothing(window, monkeypatch, boxes):
    _answer_file_dialogs(monkeypatch, "", "")
    before = window.model
    assert qt_project.save_project_as(window) is None
    assert qt_project.open_project(window) is None
    assert window.model is before and window.project_path is None and boxes == []


def test_open_restores_the_session_into_the_window(window, tmp_path, qtbot, monkeypatch, boxes):
    window.model.set_visible("events", False)
    window.model.move_layer("units", 0)
    qt_project.save_project_as(window, tmp_path / "a.tvproj")
    fresh = _window(qtbot, [])
    before = fresh.model
    _answer_file_dialogs(monkeypatch, tmp_path / "a.tvproj")
    fresh.open_project_action.trigger()  # File > Open project…
    assert fresh.model is not before and fresh.project_path == tmp_path / "a.tvproj"
    assert fresh.windowTitle().startswith("a.tvproj[*] — ")  # shown as "a.tvproj — …"
    assert not fresh.isWindowModified()
    assert fresh.layer_panel.model is fresh.model
    assert [s.name for s in fresh.model.layer_states] == [s.name for s in window.model.layer_states]
    assert not fresh.model.state("events").visible and boxes == []


def test_broken_project_shows_one_line_and_keeps_the_current_map(window, tmp_path, boxes):
    bad = tmp_path / "bad.tvproj"
    bad.write_text('{"format": "terrain_viewer project", "version": 1,\n "layers": [,]}', encoding="utf-8")
    before = window.model
    assert qt_project.open_project(window, bad) is None
    assert window.model is before and window.project_path is None
    assert boxes == [("Cannot open project", f"{bad}: not valid JSON: Expecting value at line 2, column 13")]


def test_save_failure_shows_one_line(window, tmp_path, boxes):
    assert qt_project.save_project_as(window, tmp_path / "no" / "such" / "folder.tvproj") is None
    assert window.project_path is None
    assert boxes[0][0] == "Cannot save project" and "folder does not exist" in boxes[0][1]


def test_saving_into_a_file_as_if_a_folder_says_it_is_a_file(window, tmp_path, boxes):
    """my.gpkg/x.tvproj: "the folder does not exist" sent a new user looking for a folder that was there."""
    data = tmp_path / "my.gpkg"
    data.write_bytes(b"kept")
    assert qt_project.save_project_as(window, data / "x.tvproj") is None
    said = f"{data / 'x.tvproj'}: cannot save: {data} is a file, not a folder"
    assert boxes[0] == ("Cannot save project", said)
    assert data.read_bytes() == b"kept"


def _project_with_moved_data(window: QtMainWindow, tmp_path: Path) -> tuple[Path, Path, Path]:
    window.model.set_opacity("units", 0.3)
    window.model.set_style("rivers", color="#0000ff")
    target = tmp_path / "p.tvproj"
    qt_project.save_project_as(window, target)
    old = window.model.paths[0]
    (tmp_path / "moved").mkdir()
    new = Path(shutil.move(old, tmp_path / "moved" / old.name))
    return target, old, new


def test_missing_files_dialog_locates_them_and_layers_keep_their_settings(window, tmp_path,
                                                                          monkeypatch, boxes):
    target, old, new = _project_with_moved_data(window, tmp_path)
    dialog = qt_project.open_project(window, target)
    assert dialog.isVisible() and window.model.dataset.layers == []
    assert problems_of(window) == [f"{old}: data file not found; use Locate… to point to its new place"]
    labels = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "1 data file of this project was not found" in labels and old.name in labels
    assert "layers: units, events, rivers" in labels
    assert dialog.grab().save(str(tmp_path / "missing_files_dialog.png"))  # looked at by hand

    captions = _answer_file_dialogs(monkeypatch, new)
    seen: list[tuple[str, str]] = []
    dialog.relocated.connect(lambda a, b: seen.append((a, b)))
    button = dialog.findChild(QPushButton, "locate_0")
    button.click()
    assert captions == [f"Locate {old.name}"] and seen == [(str(old), str(new))]
    assert not button.isEnabled() and "found: small.gpkg" in labels_of(dialog)
    assert missing_files(window.model) == {} and boxes == [] and problems_of(window) == []
    assert {layer.name for layer in window.model.dataset.layers} == {"units", "events", "rivers"}
    assert window.model.state("units").opacity == 0.3
    assert window.model.state("rivers").style == {"color": "#0000ff"}
    assert dialog.grab().save(str(tmp_path / "missing_files_dialog_found.png"))
    assert window.grab().save(str(tmp_path / "window_after_locate.png"))


def problems_of(window: QtMainWindow) -> list[str]:
    return [window.problems_list.item(i).text() for i in range(window.problems_list.count())]


def labels_of(dialog) -> str:
    return " ".join(label.text() for label in dialog.findChildren(QLabel))


def test_locating_a_wrong_file_explains_and_stays_missing(window, tmp_path, monkeypatch, boxes):
    target, old, _new = _project_with_moved_data(window, tmp_path)
    dialog = qt_project.open_project(window, target)
    junk = tmp_path / "notes.gpkg"
    junk.write_text("field notes, not a map\n" * 80, encoding="utf-8")
    _answer_file_dialogs(monkeypatch, junk)
    dialog.findChild(QPushButton, "locate_0").click()
    assert boxes == [("Cannot use this file",
                      f"{junk}: not a GeoPackage (no SQLite header; wrong or damaged file)")]
    assert list(missing_files(window.model)) == [old]
    assert dialog.findChild(QPushButton, "locate_0").isEnabled()
    assert not dialog.isModal()
    next(b for b in dialog.findChildren(QPushButton) if b.text() == "Continue").click()
    assert not dialog.isVisible()
    window.save_project_action.trigger()  # saving without the file keeps it in the project
    assert load_project(target)[1].missing == [old]


def test_locating_one_file_finds_the_others_in_the_same_folder(qtbot, tmp_path, small_gpkg, boxes):
    second = tmp_path / "second.gpkg"
    shutil.copy(small_gpkg, second)
    win = _window(qtbot, [small_gpkg, second])
    qt_project.save_project_as(win, tmp_path / "p.tvproj")
    (tmp_path / "moved").mkdir()
    for path in (small_gpkg, second):
        shutil.move(path, tmp_path / "moved" / path.name)
    dialog = qt_project.open_project(win, tmp_path / "p.tvproj")
    assert len(missing_files(win.model)) == 2
    assert dialog.locate(small_gpkg, tmp_path / "moved" / small_gpkg.name)
    assert missing_files(win.model) == {} and "All data files were found." in labels_of(dialog)
    assert len(win.model.dataset.layers) == 6 and boxes == []
    assert np.all([not b.isEnabled() for b in dialog.findChildren(QPushButton) if b.text() == "Locate…"])


def test_an_unexpected_error_is_logged_shown_in_one_line_and_the_app_keeps_running(
        window, tmp_path, monkeypatch, boxes, caplog):
    from terrain_viewer.core import project as core_project

    def broken(path):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(core_project, "load_project", broken)
    monkeypatch.setenv("TERRAIN_VIEWER_LOG_DIR", str(tmp_path / "logs"))
    before = window.model
    assert qt_project.open_project(window, tmp_path / "x.tvproj") is None
    (title, text), = boxes
    assert title == "Cannot open project" and "\n" not in text
    assert text.startswith(f"{tmp_path / 'x.tvproj'}: unexpected error (RuntimeError: boom); details in")
    assert "Traceback" in caplog.text and "second line" in caplog.text
    assert window.model is before and window.isVisible()
    target = tmp_path / "still_works.tvproj"
    assert qt_project.save_project_as(window, target) == target


def test_a_project_given_to_open_files_or_dropped_opens_as_a_project(window, tmp_path, qtbot, boxes):
    window.model.set_visible("events", False)
    qt_project.save_project_as(window, tmp_path / "session.tvproj")
    fresh = _window(qtbot, [])
    assert fresh.open_files([tmp_path / "session.tvproj"]) == []
    assert fresh.project_path == tmp_path / "session.tvproj"
    assert not fresh.model.state("events").visible and boxes == []


def test_a_project_on_the_command_line_opens_in_the_new_window(window, tmp_path, qtbot, boxes):
    from terrain_viewer.gui.app import create_window

    window.model.set_visible("events", False)
    window.model.time.set_t(window.model.time.start + 3)
    qt_project.save_project_as(window, tmp_path / "cli.tvproj")
    opened = create_window([str(tmp_path / "cli.tvproj")])
    qtbot.addWidget(opened)
    assert opened.project_path == tmp_path / "cli.tvproj"
    assert opened.model.time.t == window.model.time.t
    assert not opened.model.state("events").visible and boxes == []


def test_the_first_save_as_opens_where_the_data_was_opened_from(window, small_gpkg, monkeypatch, boxes):
    folders: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, caption, folder, *a: folders.append(folder) or ("", ""))
    window.save_as_action.trigger()
    assert folders == [str(small_gpkg.parent)]  # not the home folder


def test_a_changed_session_is_offered_to_be_saved_before_it_is_closed_or_replaced(window, tmp_path, qtbot,
                                                                                     monkeypatch, boxes):
    from person import click_check, click_menu

    asked: list[str] = []
    answers: list = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or answers.pop(0))
    window.ask_to_save = True
    window.model.time.set_date("1944-06-26")  # looking at another date or place changes nothing to save
    assert not window.isWindowModified()
    panel = window.layer_panel
    click_check(qtbot, panel.tree, panel.item("rivers"))  # a layer switched off: a change
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    answers.append(QMessageBox.StandardButton.Cancel)
    click_menu(qtbot, window, "File", "Quit")
    assert window.isVisible() and asked == ["Save the changes to this session as a project?"]
    project = tmp_path / "kept.tvproj"
    save_project(ViewerModel.open(window.model.paths), project)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(project), ""))
    answers.append(QMessageBox.StandardButton.Cancel)
    click_menu(qtbot, window, "File", "Open project…")  # Cancel: the changed session stays
    assert window.project_path is None and not window.model.state("rivers").visible
    answers.append(QMessageBox.StandardButton.Save)  # Save: asks where, saves, then opens the project
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "mine.tvproj"), ""))
    click_menu(qtbot, window, "File", "Open project…")
    assert window.project_path == project and not window.isWindowModified()
    assert not load_project(tmp_path / "mine.tvproj")[0].state("rivers").visible  # the change was kept
    click_menu(qtbot, window, "File", "Quit")  # nothing changed since: no question
    assert len(asked) == 3 and not window.isVisible()


def test_opening_a_project_whose_selected_layers_file_has_moved_lists_it_as_missing(qtbot, small_gpkg,
                                                                                      tmp_path, monkeypatch,
                                                                                      boxes):
    """The selected row's layer is one whose file has moved: File ▸ Open project… shows the
    missing-files dialog (a KeyError from the layer panel stopped it, and every click on the row
    raised again)."""
    from person import click_menu

    data = tmp_path / "data.gpkg"
    shutil.copy(small_gpkg, data)
    win = _window(qtbot, [data])
    panel = win.layer_panel
    panel.select("units")
    qt_project.save_project_as(win, tmp_path / "s.tvproj")
    data.rename(tmp_path / "moved.gpkg")
    _answer_file_dialogs(monkeypatch, tmp_path / "s.tvproj")
    click_menu(qtbot, win, "File", "Open project…")
    assert win.project_path == tmp_path / "s.tvproj" and boxes == []
    assert list(missing_files(win.model)) == [data]
    panel.select("units")  # the row of a layer whose file is missing: no width to show
    assert not panel.width_box.isEnabled()


def test_open_and_save_as_start_in_the_project_folder_remembered_from_the_last_session(
        hengyang, qtbot, tmp_path, monkeypatch, message_boxes):
    """File ▸ Open project… started in the home folder though the settings held the last session's
    project folder. Found by a new user."""
    from person import click_menu

    from terrain_viewer.gui import qt_settings

    projects = tmp_path / "my projects"
    projects.mkdir()
    qt_settings.remember_folder("project", projects / "siege.tvproj")  # the last session's
    folders: list[str] = []
    answer = lambda parent, caption, folder, *a: folders.append(folder) or ("", "")  # noqa: E731
    monkeypatch.setattr(QFileDialog, "getOpenFileName", answer)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    click_menu(qtbot, hengyang, "File", "Open project…")
    click_menu(qtbot, hengyang, "File", "Save project as…")
    assert folders == [str(projects)] * 2 and message_boxes == []
    projects.rmdir()  # gone since: the home folder (only the shipped data is open)
    click_menu(qtbot, hengyang, "File", "Open project…")
    assert folders[-1] == str(Path.home())


def test_file_open_starts_in_the_folder_of_ones_own_data(qtbot, small_window, small_gpkg, monkeypatch):
    """File ▸ Open… started in the home folder on a first use though the window showed a file of
    one's own: it starts in that file's folder (the folder remembered from a last Open wins)."""
    from person import click_menu

    folders: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        lambda parent, caption, folder, *a: folders.append(folder) or ([], ""))
    click_menu(qtbot, small_window, "File", "Open…")
    assert folders == [str(small_gpkg.parent)]


def test_a_time_range_set_in_the_window_comes_back_with_the_project(qtbot, hengyang, tmp_path, monkeypatch):
    """Time ▸ Time range… set to 30 June – 14 July, the project saved and opened again: the slider
    covered the whole battle (the range was not in the project; a researcher's session is whole)."""
    import datetime as dt

    from person import click_menu, modal, type_date, when_shown
    from PyQt6.QtCore import Qt

    from terrain_viewer.core.temporal.timeline import to_date
    from terrain_viewer.gui.qt_time_range import QtTimeRange

    def set_range(first: str, last: str):
        def fill(dialog: QtTimeRange) -> None:
            type_date(qtbot, dialog.start, first)
            type_date(qtbot, dialog.end, last, Qt.Key.Key_Return)
        errors = when_shown(modal(QtTimeRange), fill)
        click_menu(qtbot, hengyang, "Time", "Time range…")
        assert not errors, errors

    def shown() -> tuple:
        time = hengyang.model.time
        return to_date(time.start), to_date(time.end), hengyang.time_slider.end_label.text()

    set_range("30 June 1944", "14 July 1944")
    assert shown() == (dt.date(1944, 6, 30), dt.date(1944, 7, 14), "14 Jul 1944")
    project = tmp_path / "siege.tvproj"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(project), ""))
    click_menu(qtbot, hengyang, "File", "Save project as…")
    set_range("1 July 1944", "2 July 1944")  # changed after the save
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(project)], ""))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    click_menu(qtbot, hengyang, "File", "Open…")
    qtbot.waitUntil(lambda: shown()[1] == dt.date(1944, 7, 14), timeout=10000)
    assert shown() == (dt.date(1944, 6, 30), dt.date(1944, 7, 14), "14 Jul 1944")
