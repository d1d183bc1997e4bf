"""File > Export…: the dialog fills settings, previews the first frame, exports off the GUI thread
with progress, and cancels leaving nothing behind."""

from __future__ import annotations

from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PyQt6.QtCore import QDate, Qt
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QApplication, QMessageBox

from terrain_viewer.gui.qt_export_dialog import FORMATS, ExportDialog


def image_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    return np.array([[image.pixelColor(x, y).getRgb() for x in range(0, image.width(), 4)]
                     for y in range(0, image.height(), 4)], dtype=np.uint8)


def _dialog(qtbot, window, out: Path, days: int = 2, size: str = "160x90", frames: int = 2) -> ExportDialog:
    dialog = ExportDialog(window.model, window)
    qtbot.addWidget(dialog)
    start = dialog.start_edit.date()
    dialog.end_edit.setDate(start.addDays(days - 1))
    dialog.size_combo.setCurrentIndex(4)  # Custom…
    dialog.custom_size.setText(size)
    dialog.frames_spin.setValue(frames)
    dialog.workers_spin.setValue(1)
    dialog.out_edit.setText(str(out))
    return dialog


def test_the_dialog_starts_on_the_sessions_dates_and_previews_the_first_frame(qtbot, small_window):
    dialog = ExportDialog(small_window.model, small_window)
    qtbot.addWidget(dialog)
    assert dialog.start_edit.date() == QDate(1944, 6, 23)
    assert dialog.end_edit.date() == QDate(1944, 6, 30)  # the last keyframe's end
    assert dialog.format_combo.currentData() == "mp4" and dialog.out_edit.text().endswith("small.mp4")
    pixels = image_array(dialog.preview.pixmap().toImage())
    assert dialog.preview.pixmap().width() == 480 and pixels[..., :3].std() > 3  # a real map, not a blank box
    dialog.caption_check.setChecked(False)
    dialog.update_preview()
    assert not np.array_equal(image_array(dialog.preview.pixmap().toImage()), pixels)


def test_export_runs_off_the_gui_thread_and_writes_the_video(qtbot, small_window, tmp_path):
    out = tmp_path / "clip.mp4"
    dialog = _dialog(qtbot, small_window, out)
    assert dialog.start_export()
    assert not dialog.export_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=60000)
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=10000)
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 4
    assert "Wrote" in dialog.status.text() and dialog.progress.value() == 4
    assert small_window.export_settings["size"] == "160x90"  # saved with the project next time


def test_an_export_with_the_worker_count_left_to_auto_starts_without_0_workers(qtbot, small_window, tmp_path):
    """A new user read "Starting 0 worker process(es)…" (0 is "auto" in the box)."""
    dialog = _dialog(qtbot, small_window, tmp_path / "clip.mp4")
    dialog.workers_spin.setValue(dialog.workers_spin.minimum())  # auto
    assert dialog.start_export()
    assert dialog.status.text() == "Starting…"  # 1 process on this machine's 4 frames
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=60000)
    assert "Wrote" in dialog.status.text()


def test_cancel_midway_leaves_no_output(qtbot, small_window, tmp_path):
    out = tmp_path / "exports" / "frames"
    out.parent.mkdir()
    dialog = _dialog(qtbot, small_window, out, days=4, size="640x360", frames=24)
    dialog.format_combo.setCurrentIndex(1)  # PNG frames
    dialog.out_edit.setText(str(out))
    assert dialog.start_export()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 2, timeout=60000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=60000)
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10000)
    assert dialog.result.cancelled and "nothing was written" in dialog.status.text()
    assert dialog.progress.value() <= 0  # an empty bar, not one stopped part way (a new user)
    assert list(out.parent.iterdir()) == []


def test_bad_settings_and_refused_overwrite_show_a_line_and_keep_the_file(qtbot, small_window, tmp_path,
                                                                         monkeypatch):
    dialog = _dialog(qtbot, small_window, tmp_path / "x.mp4", size="161x91")
    assert dialog.start_export() is False  # odd sizes are refused before the export starts, in one line
    assert "even width and height" in dialog.status.text() and not dialog.is_running()
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob(".*"))
    dialog.custom_size.setText("tiny")
    assert not dialog.start_export() and "size 'tiny'" in dialog.status.text()
    existing = tmp_path / "keep.mp4"
    existing.write_bytes(b"earlier cut")
    dialog.custom_size.setText("160x90")
    dialog.out_edit.setText(str(existing))
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.No)
    assert not dialog.start_export() and existing.read_bytes() == b"earlier cut"
    assert dialog.status.text() == f"Not exported: {existing} is kept"  # it said nothing (a new user)


def test_settings_files_load_into_the_form(qtbot, small_window, tmp_path):
    from terrain_viewer.core.export.run import ExportSettings

    path = ExportSettings(start="1944-06-24", end="1944-06-25", fps=12, size="720p", title="Hengyang",
                          camera=[{"date": "1944-06-24", "extent": [0, 0, 10, 10]}]).save(tmp_path / "e.json")
    dialog = ExportDialog(small_window.model, small_window)
    qtbot.addWidget(dialog)
    assert dialog.load_settings(path)
    assert dialog.start_edit.date() == QDate(1944, 6, 24) and dialog.fps_spin.value() == 12
    assert dialog.title_edit.text() == "Hengyang" and "1 view keyframes" in dialog.camera_label.text()
    (tmp_path / "bad.json").write_text("{")
    assert not dialog.load_settings(tmp_path / "bad.json") and "bad.json" in dialog.status.text()


def test_the_file_menu_opens_the_dialog(qtbot, small_window, monkeypatch):
    opened = []
    monkeypatch.setattr(ExportDialog, "exec", lambda self: opened.append(self) or 0)
    small_window.export_action.trigger()
    assert len(opened) == 1 and opened[0].model is small_window.model


def test_export_with_two_worker_processes_from_the_dialog(qtbot, small_window, tmp_path):
    out = tmp_path / "exports" / "frames"
    out.parent.mkdir()
    dialog = _dialog(qtbot, small_window, out, days=4)
    dialog.format_combo.setCurrentIndex(1)  # PNG frames
    dialog.out_edit.setText(str(out))
    dialog.workers_spin.setValue(2)
    assert dialog.start_export()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=60000)
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10000)
    frames = sorted(out.iterdir())
    assert dialog.result.frames == len(frames) == 8 and dialog.progress.value() == 8
    assert [f.name for f in frames][-1] == "frame_00008.png" and "Wrote" in dialog.status.text()
    assert [p.name for p in out.parent.iterdir()] == ["frames"]


# ---- issue 16: the dialog as a small timeline, outputs for editing suites --------------------------
def test_the_duration_follows_the_range_and_the_slider_scrubs_any_frame(qtbot, small_window, tmp_path):
    dialog = _dialog(qtbot, small_window, tmp_path / "clip.mp4", days=3, frames=4)
    dialog.fps_spin.setValue(6)
    assert dialog.duration.text().startswith("12 frames, 2.0 s")
    assert dialog.scrub.maximum() == 11
    first = image_array(dialog.preview.pixmap().toImage())
    dialog.scrub.setValue(11)  # the last frame, rendered on a thread
    qtbot.waitUntil(lambda: not np.array_equal(image_array(dialog.preview.pixmap().toImage()), first),
                    timeout=60000)
    dialog.end_edit.setDate(dialog.start_edit.date())
    assert dialog.duration.text().startswith("4 frames") and dialog.scrub.maximum() == 3


def test_keyframes_are_added_from_the_map_at_a_date_edited_reordered_and_deleted(qtbot, small_window):
    dialog = ExportDialog(small_window.model, small_window)
    qtbot.addWidget(dialog)
    keys = dialog.camera_keys
    keys.add_current()
    small_window.model.set_view(tuple(v * 1.0001 for v in small_window.model.view))
    small_window.model.time.set_date("1944-06-27")  # the date bar's date
    keys.add_current()
    assert [k["date"] for k in dialog.settings().camera] == [keys.keys[0]["date"], "1944-06-27"]
    keys.list.setCurrentRow(1)
    keys.ease.setCurrentText("linear")
    assert dialog.settings().camera[1]["ease"] == "linear"
    keys.move_selected(-1)  # it takes the earlier date
    camera = dialog.settings().camera
    assert camera[1]["ease"] == "in-out" and camera[0]["ease"] == "linear"
    dialog.end_edit.setDate(QDate(1944, 6, 29))  # a new range keeps each move on its date
    assert "1944-06-27" in [k["date"] for k in dialog.settings().camera]
    keys.list.setCurrentRow(0)
    keys.date_edit.setDate(QDate(1944, 6, 25))  # the date field edits the selected key
    assert [k["date"] for k in dialog.settings().camera][0] == "1944-06-25"
    keys.delete_selected()
    assert len(dialog.settings().camera) == 1


def test_one_dialog_run_writes_prores_4444_transparent_png_frames_and_subtitles(qtbot, small_window,
                                                                                 tmp_path):
    out = tmp_path / "overlay.mov"
    dialog = _dialog(qtbot, small_window, out)
    dialog.format_combo.setCurrentIndex([k for _, k in FORMATS].index("mov"))
    dialog.out_edit.setText(str(out))
    for name in ("transparent", "png_frames", "subtitles"):
        dialog.outputs[name].setChecked(True)
    assert dialog.start_export()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=120000)
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=10000)
    assert out.exists() and (tmp_path / "overlay.srt").exists() and (tmp_path / "overlay.vtt").exists()
    frames = sorted((tmp_path / "overlay_frames").iterdir())
    assert len(frames) == 4
    from PIL import Image

    assert Image.open(frames[0]).mode == "RGBA"
    import subprocess

    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(out)],
                           capture_output=True, text=True)
    assert "prores (4444)" in probe.stderr


def test_an_output_that_can_never_be_written_is_refused_before_any_question(qtbot, small_window, tmp_path,
                                                                               monkeypatch):
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "notes.txt").write_text("mine")
    dialog = _dialog(qtbot, small_window, tmp_path / "unused.mp4")
    dialog.format_combo.setCurrentIndex(1)  # PNG frames
    for out, needle in ((scratch, "holds files that an export did not write (notes.txt)"),
                        (small_window.model.paths[0], "is one of the export's inputs")):
        dialog.out_edit.clear()
        qtbot.keyClicks(dialog.out_edit, str(out))
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        assert needle in dialog.status.text() and not dialog.is_running()
    assert asked == []
    assert [p.name for p in scratch.iterdir()] == ["notes.txt"] and small_window.model.paths[0].stat().st_size
    (scratch / "notes.txt").unlink()
    (scratch / "frame_00001.png").write_bytes(b"an earlier frame")  # an earlier export's frames: asked
    dialog.out_edit.clear()
    qtbot.keyClicks(dialog.out_edit, str(scratch))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert asked == [f"{scratch} (the frames of an earlier export) already exists. Replace when the export "
                     "has finished?"]
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=60000)
    assert len(list(scratch.glob("frame_*.png"))) == 4 and (scratch / "frame_00001.png").stat().st_size > 100


def test_the_dialog_offers_the_last_output_an_empty_bar_and_the_sessions_date(qtbot, small_window, tmp_path):
    out = tmp_path / "cut.mp4"
    dialog = _dialog(qtbot, small_window, out)
    assert dialog.camera_keys.date_edit.date() == QDate(1944, 6, 23)  # the session's date, not 2000
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.is_running(), timeout=60000)
    assert dialog.progress.value() == 4
    dialog.custom_size.setText("161x91")  # refused before it starts: the bar shows no progress
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "even width" in dialog.status.text() and dialog.progress.value() < dialog.progress.minimum() + 1
    again = ExportDialog(small_window.model, small_window)  # opened again in this session
    qtbot.addWidget(again)
    assert again.out_edit.text() == str(out)


def test_closing_the_dialog_keeps_what_was_typed_for_the_next_time(qtbot, small_window, tmp_path):
    dialog = _dialog(qtbot, small_window, tmp_path / "film.mp4", size="320x180")
    dialog.title_edit.clear()
    qtbot.keyClicks(dialog.title_edit, "The Siege")
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)  # closed without exporting
    again = ExportDialog(small_window.model, small_window)
    qtbot.addWidget(again)
    assert again.title_edit.text() == "The Siege" and again.custom_size.text() == "320x180"
    assert again.out_edit.text() == str(tmp_path / "film.mp4")


def test_a_refusal_goes_once_the_form_is_changed(qtbot, small_window, tmp_path):
    dialog = _dialog(qtbot, small_window, tmp_path / "odd.mp4", size="161x91")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "even width and height" in dialog.status.text()
    dialog.format_combo.setCurrentIndex([k for _, k in FORMATS].index("gif"))  # a GIF may be odd
    assert dialog.status.text() == ""  # the MP4's refusal said nothing true any more


def test_close_after_scrubbing_the_preview_closes_the_dialog(qtbot, small_window):
    """A click on the preview slider, then Close: 'wrapped C/C++ object of type PreviewThread has
    been deleted' came up on every Close and Esc, and the modal dialog could not be left (the
    session was lost with the app killed). Found by a new-user test."""
    from person import LEFT, NO_MOD, click_menu, modal, when_shown
    from PyQt6.QtCore import QPoint

    seen: dict = {}

    def scrub_then_close(dialog: ExportDialog) -> None:
        first = dialog.preview.pixmap().toImage()
        slider = dialog.scrub
        qtbot.mouseClick(slider, LEFT, NO_MOD, QPoint(slider.width() * 3 // 4, slider.height() // 2))
        qtbot.waitUntil(lambda: dialog.scrub.value() > 0, timeout=3000)
        qtbot.waitUntil(lambda: dialog.preview.pixmap().toImage() != first, timeout=60000)
        qtbot.wait(300)  # the finished render thread is deleted meanwhile
        qtbot.mouseClick(dialog.close_button, LEFT)
        seen["closed"] = not dialog.isVisible()
        if dialog.isVisible():
            dialog.done(0)  # leave the modal loop the way Close could not (no hang on a regression)

    errors = when_shown(modal(ExportDialog), scrub_then_close, timeout=60)
    click_menu(qtbot, small_window, "File", "Export…")
    assert not errors, errors
    assert seen["closed"] and QApplication.activeModalWidget() is None


def test_the_preview_shows_the_legend_the_output_gets(qtbot, hengyang):
    """The preview (480 px wide) showed no legend while a 1080p output has one: the "auto" form
    keeps a legend off frames under 900 px. Found by a new-user test."""
    from person import LEFT

    dialog = ExportDialog(hengyang.model, hengyang)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.settings().pixel_size() == (1920, 1080) and dialog.checks["legend"].isChecked()
    qtbot.waitUntil(lambda: dialog.preview.pixmap() is not None and not dialog.preview.pixmap().isNull(),
                    timeout=30000)
    with_legend = image_array(dialog.preview.pixmap().toImage())
    qtbot.mouseClick(dialog.checks["legend"], LEFT)
    assert not dialog.checks["legend"].isChecked()
    qtbot.waitUntil(lambda: not np.array_equal(image_array(dialog.preview.pixmap().toImage()), with_legend),
                    timeout=30000)
    without = image_array(dialog.preview.pixmap().toImage())
    h, w = without.shape[:2]
    changed = (with_legend[..., :3] != without[..., :3]).any(axis=-1)
    rows, cols = np.nonzero(changed)
    assert rows.min() > h / 2 and cols.min() > w / 2  # only the lower right corner: the legend


def test_a_date_typed_whole_into_the_to_field_sets_the_exports_last_day(qtbot, hengyang):
    from person import type_date

    dialog = ExportDialog(hengyang.model, hengyang)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    type_date(qtbot, dialog.end_edit, "30 June 1944")  # then Tab, on to the next field
    assert str(dialog.settings().end) == "1944-06-30"
    assert dialog.duration.text().startswith(f"{8 * dialog.frames_spin.value()} frames")  # 23–30 June


def test_the_next_session_offers_the_folder_of_the_last_export(qtbot, small_window, small_gpkg, tmp_path):
    """Every new session offered ~/hengyang_1944.mp4 again, wherever the last export went. Found by
    a new-user test."""
    from person import LEFT

    from terrain_viewer.gui.app import create_window

    folder = tmp_path / "clips"
    folder.mkdir()
    dialog = _dialog(qtbot, small_window, folder / "siege.mp4")
    qtbot.mouseClick(dialog.export_button, LEFT)
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=60000)
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=10000)
    later = create_window([small_gpkg])  # the next session: a new window, nothing kept but settings
    qtbot.addWidget(later)
    offered = ExportDialog(later.model, later)
    qtbot.addWidget(offered)
    assert Path(offered.out_edit.text()).parent == folder


def test_reopened_after_a_pan_the_dialog_follows_the_map_and_its_legend_corner(qtbot, hengyang):
    """Closed, then the map panned and its legend moved, the dialog came back on 'a fixed view from
    the settings' (the view before the pan) and the old corner: the export would show the old
    place. Found by a second new-user test."""
    from person import LEFT, click_menu, drag
    from PyQt6.QtCore import QPoint

    first = ExportDialog(hengyang.model, hengyang)
    qtbot.addWidget(first)
    assert first.camera_label.text() == "the current map view"
    first.show()
    qtbot.mouseClick(first.close_button, LEFT)
    canvas = hengyang.canvas
    before = hengyang.model.view
    drag(qtbot, canvas, QPoint(300, 300), QPoint(200, 250))
    assert hengyang.model.view != before
    click_menu(qtbot, hengyang, "View", "Legend corner", "Upper left")
    again = ExportDialog(hengyang.model, hengyang)
    qtbot.addWidget(again)
    assert again.camera_label.text() == "the current map view"
    assert again.settings().view == list(hengyang.model.view)
    assert again.settings().legend_corner == "upper left"
    qtbot.mouseClick(again.close_button, LEFT)
    assert (hengyang.export_settings or {}).get("view") is None  # what a project saved now would hold



# ---- a new user's Export dialog: the preview, the files named, the session modified, a wrong date ----
def _shown(qtbot, window) -> ExportDialog:
    dialog = ExportDialog(window.model, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.preview.pixmap() is not None and not dialog.preview.pixmap().isNull(),
                    timeout=30000)
    return dialog


def test_the_preview_follows_the_legend_corner_form_and_caption_format_chosen(qtbot, hengyang):
    """Legend ▸ "upper left" chosen, the preview kept the legend lower right for good (it changed
    only once a box was ticked); "lower left" later left it upper left. Found by a new-user test."""
    from person import LEFT, choose, type_into

    dialog = _shown(qtbot, hengyang)

    def shown() -> np.ndarray:
        return image_array(dialog.preview.pixmap().toImage())

    first = shown()
    qtbot.mouseClick(dialog.checks["legend"], LEFT)  # the map without the legend, to find it by
    qtbot.waitUntil(lambda: not np.array_equal(shown(), first), timeout=30000)
    bare = shown()
    qtbot.mouseClick(dialog.checks["legend"], LEFT)

    def legend_in(upper: bool, left: bool) -> bool:
        rows, cols = np.nonzero((shown()[..., :3] != bare[..., :3]).any(axis=-1))
        h, w = bare.shape[:2]
        return rows.size > 0 and (rows.mean() < h / 2) == upper and (cols.mean() < w / 2) == left

    qtbot.waitUntil(lambda: legend_in(upper=False, left=False), timeout=30000)  # lower right, as before
    choose(qtbot, dialog.legend_corner, "upper left")  # and nothing else
    qtbot.waitUntil(lambda: legend_in(upper=True, left=True), timeout=30000)
    choose(qtbot, dialog.legend_corner, "lower left")
    qtbot.waitUntil(lambda: legend_in(upper=False, left=True), timeout=30000)
    choose(qtbot, dialog.legend_form, "off")
    qtbot.waitUntil(lambda: np.array_equal(shown(), bare), timeout=30000)
    type_into(qtbot, dialog.caption_format, "{iso}")  # typed, no Enter, the mouse left alone
    qtbot.waitUntil(lambda: not np.array_equal(shown(), bare), timeout=30000)
    assert dialog.caption_format.hasFocus()


def test_the_replace_question_and_the_wrote_line_name_every_file_and_folder(qtbot, small_window, tmp_path,
                                                                             monkeypatch):
    """The question named the .mp4 and the frames folder, not the .srt and .vtt it replaced too; the
    "Wrote" line named the .mp4 only. Found by a new-user test."""
    from person import LEFT, type_into

    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    out = tmp_path / "siege.mp4"
    frames, srt, vtt = tmp_path / "siege_frames", tmp_path / "siege.srt", tmp_path / "siege.vtt"
    frames.mkdir()
    (frames / "frame_00001.png").write_bytes(b"an earlier frame")
    for earlier in (out, srt, vtt):
        earlier.write_bytes(b"an earlier export")
    dialog = _dialog(qtbot, small_window, tmp_path / "unused.mp4")
    dialog.show()
    qtbot.waitExposed(dialog)
    type_into(qtbot, dialog.out_edit, str(out))
    qtbot.mouseClick(dialog.outputs["png_frames"], LEFT)
    assert dialog.outputs["png_frames"].isChecked() and dialog.outputs["subtitles"].isChecked()
    qtbot.mouseClick(dialog.export_button, LEFT)
    assert len(asked) == 1
    for path in (out, frames, srt, vtt):
        assert str(path) in asked[0], asked[0]
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.is_running(), timeout=60000)
    wrote = dialog.status.text()
    assert wrote.startswith(f"Wrote {out} (4 frames"), wrote
    for path in (frames, srt, vtt):
        assert str(path) in wrote, wrote
    assert srt.read_bytes() != b"an earlier export" and len(list(frames.glob("frame_*.png"))) == 4


def test_export_settings_changed_mark_the_session_and_quit_asks_to_save_them(qtbot, small_window, tmp_path,
                                                                            monkeypatch):
    """With a saved project open, From and the output changed in Export…, an export, Close, then
    File ▸ Quit quit without asking: the new settings were lost. Found by a new-user test."""
    from person import LEFT, choose, click_menu, modal, type_date, type_into, when_shown

    from terrain_viewer.core.project import load_project

    project = tmp_path / "siege.tvproj"
    monkeypatch.setattr("PyQt6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(project), ""))
    click_menu(qtbot, small_window, "File", "Save project as…")
    assert small_window.project_path == project and not small_window.isWindowModified()
    small_window.ask_to_save = True
    asked: list[str] = []
    answers: list = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or answers.pop(0))

    def close_unchanged(dialog: ExportDialog) -> None:
        qtbot.mouseClick(dialog.close_button, LEFT)

    errors = when_shown(modal(ExportDialog), close_unchanged)
    click_menu(qtbot, small_window, "File", "Export…")
    assert not errors, errors
    assert not small_window.isWindowModified()  # opened and closed: nothing to save

    def change_and_export(dialog: ExportDialog) -> None:
        type_date(qtbot, dialog.start_edit, "29 June 1944")
        choose(qtbot, dialog.size_combo, "Custom…")
        type_into(qtbot, dialog.custom_size, "160x90")
        type_into(qtbot, dialog.frames_spin, "1")
        type_into(qtbot, dialog.workers_spin, "1")
        type_into(qtbot, dialog.out_edit, str(tmp_path / "late june.mp4"))
        qtbot.mouseClick(dialog.export_button, LEFT)
        qtbot.waitUntil(lambda: dialog.result is not None, timeout=60000)
        qtbot.waitUntil(dialog.close_button.isEnabled, timeout=10000)
        assert "Wrote" in dialog.status.text(), dialog.status.text()
        qtbot.mouseClick(dialog.close_button, LEFT)

    errors = when_shown(modal(ExportDialog), change_and_export, timeout=30)
    click_menu(qtbot, small_window, "File", "Export…")
    assert not errors, errors
    assert small_window.isWindowModified() and "[*]" in small_window.windowTitle()
    answers.append(QMessageBox.StandardButton.Cancel)
    click_menu(qtbot, small_window, "File", "Quit")
    assert asked == ["Save the changes to siege.tvproj as a project?"] and small_window.isVisible()
    answers.append(QMessageBox.StandardButton.Save)
    click_menu(qtbot, small_window, "File", "Quit")
    qtbot.waitUntil(lambda: not small_window.isVisible(), timeout=3000)
    assert load_project(project)[1].export["start"] == "1944-06-29"  # kept in the project


def test_an_impossible_date_typed_into_from_is_said_in_the_status_line(qtbot, small_window):
    """"31 June 1944" typed into From, then Tab: the field went back to 23 June 1944 with no word.
    Found by a new-user test."""
    from person import type_date

    dialog = _shown(qtbot, small_window)
    type_date(qtbot, dialog.start_edit, "31 June 1944")
    assert dialog.start_edit.date() == QDate(1944, 6, 23)
    said = dialog.status.text()
    assert dialog.status.isVisible() and "b00020" in dialog.status.styleSheet()  # the red error line
    assert said == ("From: 31 June 1944 is not a date: June 1944 has 30 days; the date stays 23 June "
                    "1944."), said
    assert QApplication.activeModalWidget() in (None, dialog)  # said in the dialog, no message box
    type_date(qtbot, dialog.end_edit, "1 July 1945")
    assert dialog.status.text().startswith("To: 1 July 1945 is outside 23 June 1944 – 30 June 1944")
    type_date(qtbot, dialog.start_edit, "24 June 1944")  # a real date: the line goes
    assert dialog.start_edit.date() == QDate(1944, 6, 24) and dialog.status.text() == ""


def test_a_second_export_clears_the_first_ones_refusal_before_it_asks(qtbot, small_window, tmp_path,
                                                                     monkeypatch):
    """Export refused (the frames folder held the user's file), the file moved away, Export again:
    the old red line stayed up during "x.srt already exists. Replace…?" and after No. Found by a
    new user."""
    from person import LEFT, type_into

    seen: list[tuple[str, str]] = []
    dialog = _dialog(qtbot, small_window, tmp_path / "unused.mp4")
    monkeypatch.setattr(QMessageBox, "question", lambda *a: seen.append((a[2], dialog.status.text()))
                        or QMessageBox.StandardButton.No)
    out, frames = tmp_path / "x.mp4", tmp_path / "x_frames"
    frames.mkdir()
    (frames / "notes.txt").write_text("mine")
    (tmp_path / "x.srt").write_text("an earlier export")
    dialog.show()
    qtbot.waitExposed(dialog)
    type_into(qtbot, dialog.out_edit, str(out))
    qtbot.mouseClick(dialog.outputs["png_frames"], LEFT)
    assert dialog.outputs["subtitles"].isChecked()
    qtbot.mouseClick(dialog.export_button, LEFT)
    assert "holds files that an export did not write (notes.txt)" in dialog.status.text() and seen == []
    (frames / "notes.txt").unlink()  # the user puts the file elsewhere
    qtbot.mouseClick(dialog.export_button, LEFT)
    assert len(seen) == 1 and f"{tmp_path / 'x.srt'} already exists" in seen[0][0], seen
    assert seen[0][1] == "" and not dialog.is_running()  # the refusal gone while it asked; after No:
    assert dialog.status.text() == f"Not exported: {tmp_path / 'x.srt'} is kept"  # the answer's outcome


def test_a_size_too_narrow_for_the_auto_legend_says_so(qtbot, hengyang):
    """A 640×360 MP4 came out without the ticked legend, unsaid ("auto" leaves it off frames under
    900 px). Found by a new user."""
    from person import choose, type_into

    dialog = _shown(qtbot, hengyang)
    assert "legend" not in dialog.duration.text()  # 1920 px: it has one
    choose(qtbot, dialog.size_combo, "Custom…")
    type_into(qtbot, dialog.custom_size, "640x360")
    qtbot.waitUntil(lambda: "no legend at 640 px wide" in dialog.duration.text(), timeout=3000)
    choose(qtbot, dialog.legend_form, "compact")
    assert "legend" not in dialog.duration.text()


def test_custom_size_starts_from_the_size_chosen_before(qtbot, hengyang):
    """Choosing Custom… showed an error in the preview and the duration before any size was
    typed (an empty field). Found by a new user."""
    from person import choose

    dialog = _shown(qtbot, hengyang)
    choose(qtbot, dialog.size_combo, "720p (1280×720)")
    choose(qtbot, dialog.size_combo, "Custom…")
    assert dialog.custom_size.isVisible() and dialog.custom_size.text() == "1280x720"
    assert "frames" in dialog.duration.text() and "size" not in dialog.duration.text()


def test_a_camera_key_added_outside_the_exports_days_lands_on_its_nearest_day(qtbot, hengyang):
    """The date bar on 8 August, an export of 14–16 July: the key came at 8 August, where it moves
    nothing. Found by a new user."""
    from person import LEFT, type_date

    hengyang.model.time.set_date("1944-08-08")
    dialog = _shown(qtbot, hengyang)
    type_date(qtbot, dialog.start_edit, "14 July 1944")
    type_date(qtbot, dialog.end_edit, "16 July 1944")
    qtbot.mouseClick(dialog.camera_keys.add_button, LEFT)
    assert [k["date"][:10] for k in dialog.settings().camera] == ["1944-07-16"]


def test_the_worker_count_starts_on_auto(qtbot, hengyang):
    """The dialog offered 2 worker processes on 2 cores, where one is faster (the benchmarks'
    MP4 rows: 24.5–32.6 fps with one, 13.9–18.3 with two); "auto" chooses for the machine."""
    from terrain_viewer.core.export.settings import AUTO

    dialog = _shown(qtbot, hengyang)
    assert dialog.workers_spin.text().startswith("Auto") and dialog.settings().workers == AUTO
    assert dialog.settings().worker_count(188, cpus=2) == 1


def test_after_a_project_is_opened_the_output_offered_fits_the_projects_format(qtbot, small_window, tmp_path,
                                                                              monkeypatch):
    """PNG frames exported into a folder, then a project (MP4) opened: the dialog came back on MP4
    with the frames' folder as its output, and Export said "does not end in .mp4". Found by a new
    user; the output offered is now named for the format."""
    from person import LEFT, choose, click_menu, modal, type_into, when_shown

    project = tmp_path / "siege.tvproj"
    monkeypatch.setattr("PyQt6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(project), ""))
    click_menu(qtbot, small_window, "File", "Save project as…")  # its export: the default, MP4

    def png_frames(dialog: ExportDialog) -> None:
        choose(qtbot, dialog.format_combo, "PNG frames (a folder)")
        type_into(qtbot, dialog.out_edit, str(tmp_path / "siege_frames"))
        qtbot.mouseClick(dialog.close_button, LEFT)

    errors = when_shown(modal(ExportDialog), png_frames)
    click_menu(qtbot, small_window, "File", "Export…")
    assert not errors, errors
    monkeypatch.setattr("PyQt6.QtWidgets.QFileDialog.getOpenFileNames", lambda *a, **k: ([str(project)], ""))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    click_menu(qtbot, small_window, "File", "Open…")
    assert small_window.project_path == project
    seen: list[tuple[str, str]] = []

    def look(dialog: ExportDialog) -> None:
        seen.append((dialog.format_combo.currentData(), dialog.out_edit.text()))
        qtbot.mouseClick(dialog.close_button, LEFT)

    errors = when_shown(modal(ExportDialog), look)
    click_menu(qtbot, small_window, "File", "Export…")
    assert not errors, errors
    assert seen == [("mp4", str(tmp_path / "siege.mp4"))]


def test_only_the_outputs_a_format_can_have_are_offered(qtbot, small_window, tmp_path):
    """With PNG frames chosen, "Also PNG frames" and "Subtitles" stayed on offer (a new user):
    neither is written beside PNG frames; a GIF has no subtitles, an MP4 no transparency."""
    from person import choose

    dialog = _dialog(qtbot, small_window, tmp_path / "clip.mp4")
    dialog.show()
    offered = {}
    for name, fmt in FORMATS:
        choose(qtbot, dialog.format_combo, name)
        offered[fmt] = sorted(key for key, check in dialog.outputs.items() if check.isEnabled())
    assert offered == {"mp4": ["png_frames", "subtitles"], "png": ["transparent"], "gif": ["png_frames"],
                       "mov": ["png_frames", "subtitles", "transparent"]}
    choose(qtbot, dialog.format_combo, FORMATS[1][0])  # PNG frames: each one says why it is not offered
    assert "PNG files already" in dialog.outputs["png_frames"].toolTip()
    assert "only beside an MP4" in dialog.outputs["subtitles"].toolTip()


def test_an_export_of_a_session_with_every_layer_removed_is_refused(qtbot, small_window, tmp_path):
    """It wrote "8 frames" of blank paper, no date either (a new user)."""
    model = small_window.model
    for name in [s.name for s in model.layer_states]:
        model.remove_layer(name)
    dialog = _dialog(qtbot, small_window, tmp_path / "empty.mp4")
    assert not dialog.start_export()
    assert "nothing to draw: the session has no layers" in dialog.status.text()
    assert not (tmp_path / "empty.mp4").exists()


def test_a_keys_ease_changed_leaves_its_time_and_loaded_fades_are_kept(qtbot, small_window, tmp_path):
    """Chosen in the list, a key showed its date with the time of the key shown before, and a change
    of its ease saved that time (15 July 00:00 became 12:00); a fade_days loaded from a settings file
    went back to 0.25 (no box of its own). A new user, a documentary maker."""
    import json

    from PyQt6.QtCore import QDateTime, QTime

    dialog = ExportDialog(small_window.model, small_window)
    qtbot.addWidget(dialog)
    dialog.show()
    keys, model = dialog.camera_keys, small_window.model
    model.time.set_date("1944-06-24")
    qtbot.mouseClick(keys.add_button, Qt.MouseButton.LeftButton)
    model.time.set_date("1944-06-26")
    qtbot.mouseClick(keys.add_button, Qt.MouseButton.LeftButton)  # the second key, chosen
    keys.date_edit.setDateTime(QDateTime(QDate(1944, 6, 26), QTime(12, 0)))  # its time set in the field
    assert [k["date"] for k in keys.keys] == ["1944-06-24", "1944-06-26T12:00:00"]
    first = keys.list.visualItemRect(keys.list.item(0)).center()
    qtbot.mouseClick(keys.list.viewport(), Qt.MouseButton.LeftButton, pos=first)
    keys.ease.setFocus()
    qtbot.keyClicks(keys.ease, "linear")  # typed on the box: its entry chosen
    assert [(k["date"], k["ease"]) for k in keys.keys][0] == ("1944-06-24", "linear")
    saved = tmp_path / "fades.json"
    saved.write_text(json.dumps({"fade_days": 1.0, "start": "1944-06-23", "end": "1944-06-25"}))
    assert dialog.load_settings(saved)
    assert dialog.settings().fade_days == 1.0


def test_a_date_and_time_typed_over_a_camera_keys_field_is_its_date(qtbot, small_window):
    """Ctrl+A and "11 Jul 1944 00:00" typed over the chosen key's field: the field showed 15 Jul 1944
    19:44 and the key took it (Qt's section logic ate the typing; a new user, a documentary maker)."""
    from person import type_date

    dialog = ExportDialog(small_window.model, small_window)
    qtbot.addWidget(dialog)
    dialog.show()
    keys = dialog.camera_keys
    small_window.model.time.set_date("1944-06-24")
    qtbot.mouseClick(keys.add_button, Qt.MouseButton.LeftButton)  # the new key, chosen
    type_date(qtbot, keys.date_edit, "25 Jun 1944 06:30", Qt.Key.Key_Return)
    assert [k["date"] for k in keys.keys] == ["1944-06-25T06:30:00"]
    assert keys.date_edit.text() == "25 Jun 1944 06:30" and not dialog.is_running()  # Enter: no export
    type_date(qtbot, keys.date_edit, "1944-06-24T18:00", Qt.Key.Key_Tab)  # ISO, and Tab
    assert [k["date"] for k in keys.keys] == ["1944-06-24T18:00:00"]
    type_date(qtbot, keys.date_edit, "31 June 1944", Qt.Key.Key_Return)  # no such day: kept, and said
    assert [k["date"] for k in keys.keys] == ["1944-06-24T18:00:00"]
    assert dialog.status.text().startswith("Key: 31 June 1944 is not a date: June 1944 has 30 days")
