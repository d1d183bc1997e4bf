"""The export dialog's output name follows the format chosen in its list, and the CLI's rule
(``outputs.check_out_name``) accepts every name it makes."""

from __future__ import annotations

from person import choose

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
