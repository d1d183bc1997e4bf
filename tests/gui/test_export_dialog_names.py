"""The export dialog's output name follows the format chosen in its list, and the CLI's rule
(``outputs.check_out_name``) accepts every name it makes."""

from __future__ import annotations

from person import choose
from PyQt6.QtWidgets import QApplication

from terrain_viewer.core.export.outputs import check_out_name
from terrain_viewer.gui.qt_export_dialog import FORMATS, ExportDialog


def test_each_format_chosen_renames_the_output_as_that_format_writes_it(qtbot, small_window, tmp_path):
    dialog = ExportDialog(small_window.model, small_window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.out_edit.setText(str(tmp_path / "siege.mp4"))
    names = {}
    label = dict((fmt, label) for label, fmt in FORMATS)
    for fmt in ("mov", "png", "gif", "mov", "mp4", "gif", "png", "mp4", "mov", "gif", "mp4", "png", "mov"):
        choose(qtbot, dialog.format_combo, label[fmt])  # (above: each format after each other)
        names[fmt] = dialog.out_edit.text()
        check_out_name(names[fmt], fmt)  # raises for a name the CLI would refuse
    assert names == {"png": str(tmp_path / "siege_frames"), "mp4": str(tmp_path / "siege.mp4"),
                     "gif": str(tmp_path / "siege.gif"), "mov": str(tmp_path / "siege.mov")}


def test_return_after_choosing_with_the_keys_exports_not_browses(qtbot, small_window, tmp_path, monkeypatch):
    """Size and format chosen with the keyboard, then Return: the folder chooser opened, not the
    export (Browse… had become the default button). Found by a new user."""
    from PyQt6.QtCore import Qt
    from PyQt6.QtWidgets import QFileDialog

    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a) or ("", ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: asked.append(a) or "")
    dialog = ExportDialog(small_window.model, small_window)
    qtbot.addWidget(dialog)
    dialog.end_edit.setDate(dialog.start_edit.date())
    dialog.size_combo.setCurrentIndex(4)  # Custom…
    dialog.custom_size.setText("160x90")
    dialog.frames_spin.setValue(1)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.out_edit.setText(str(tmp_path / "siege.mp4"))
    dialog.out_edit.setFocus()
    for _ in range(12):  # Tab through the form, as a keyboard user does, past Browse…
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if QApplication.focusWidget() is dialog.format_combo:
            break
    dialog.format_combo.setFocus()
    qtbot.keyClick(dialog.format_combo, Qt.Key.Key_Down)  # PNG frames
    qtbot.keyClick(dialog.format_combo, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=30000)  # exported
    assert not asked and len(list((tmp_path / "siege_frames").glob("frame_*.png"))) == 1


def test_one_frame_is_one_frame(qtbot, small_window):
    """"1 frames, 0.0 s" for a one-day export at one frame a day. Found by a new user."""
    dialog = ExportDialog(small_window.model, small_window)
    qtbot.addWidget(dialog)
    dialog.end_edit.setDate(dialog.start_edit.date())
    dialog.frames_spin.setValue(1)
    dialog.update_duration()
    assert dialog.duration.text().startswith("1 frame, ")


def test_a_typed_name_of_another_format_is_refused_with_the_name_to_use(qtbot, small_window, tmp_path):
    """PNG frames chosen, then "long.mp4" typed as the output: the export wrote a folder of frames
    named long.mp4, unsaid (a new user). It is refused in the dialog, naming the name to use."""
    from person import type_into
    from PyQt6.QtCore import Qt

    dialog = ExportDialog(small_window.model, small_window)
    qtbot.addWidget(dialog)
    dialog.end_edit.setDate(dialog.start_edit.date())
    dialog.show()
    label = dict((fmt, label) for label, fmt in FORMATS)
    choose(qtbot, dialog.format_combo, label["png"])
    dialog.out_edit.clear()
    type_into(qtbot, dialog.out_edit, str(tmp_path / "long.mp4"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.thread is None and not (tmp_path / "long.mp4").exists()
    assert "long_frames" in dialog.status.text() and "long.mp4" in dialog.status.text(), dialog.status.text()
