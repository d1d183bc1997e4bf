"""File > Export…: the export settings as a form and a small timeline (duration, a preview scrubbed
through the export, camera keyframes by date), progress and Cancel.

All the work is ``terrain_viewer.core.export.run``: the dialog fills an ExportSettings, shows
``FrameSource.frame(0)`` as the preview, and runs ``run_export`` on a QThread (the frames render in
worker processes), so the window stays responsive.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path

from PyQt6.QtCore import QThread, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from terrain_viewer.core.common.atomic import taken
from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.common.logs import log_exception
from terrain_viewer.core.export.outputs import check_out_name
from terrain_viewer.core.export.run import (
    ExportResult,
    ExportSettings,
    Progress,
    check_output,
    prepare_workers,
    run_export,
)
from terrain_viewer.core.export.settings import VIDEOS
from terrain_viewer.core.export.subtitles import subtitle_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.gui import qt_settings
from terrain_viewer.gui.qt_export_form import FORMATS, SIZES, ExportForm, hbox_row
from terrain_viewer.gui.qt_export_preview import PREVIEW_WIDTH, ExportPreview

__all__ = ["FORMATS", "PREVIEW_WIDTH", "SIZES", "ExportDialog", "QtExportThread"]


class QtExportThread(QThread):
    """Runs one export off the GUI thread; reports progress, the result or an error line."""

    progressed = pyqtSignal(object)  # Progress
    succeeded = pyqtSignal(object)  # ExportResult
    failed = pyqtSignal(str)

    def __init__(self, model: ViewerModel, settings: ExportSettings, out: Path, overwrite: bool):
        super().__init__()
        self.model, self.settings, self.out, self.overwrite = model, settings, out, overwrite
        self.cancel = threading.Event()

    def run(self) -> None:
        try:
            result = run_export(self.model, self.settings, self.out, overwrite=self.overwrite,
                                progress=self.progressed.emit, cancel=self.cancel)
        except TerrainViewerError as exc:
            self.failed.emit(exc.message)
        except Exception as exc:  # noqa: BLE001 - a bug: logged, shown as one line
            log_exception(exc, "export")
            self.failed.emit(f"{self.out}: unexpected error ({type(exc).__name__}: {exc})")
        else:
            self.succeeded.emit(result)


class ExportDialog(ExportForm, ExportPreview, QDialog):
    """Export the window's session; settings are read from and written back to the parent's
    ``export_settings`` (saved in project files)."""

    def __init__(self, model: ViewerModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export map sequence")
        self.model = model
        self.thread: QtExportThread | None = None
        self.result: ExportResult | None = None
        self.camera: list[dict] = []
        self.view: list[float] | None = None
        self._running = False
        self._preview_timer = QTimer(self, singleShot=True, interval=250)
        self._preview_timer.timeout.connect(self.preview_if_changed)
        self._build()
        self.set_settings(self._initial_settings())
        self._opened = (self._kept(), copy.deepcopy(getattr(parent, "export_settings", None)))
        if self.workers_spin.value() > 1:
            prepare_workers()  # the worker processes' server warms up while the user chooses
        self.update_preview()

    # ---- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        settings_box = self._build_form()
        self._build_preview()
        self.progress = QProgressBar(minimum=0, maximum=1, value=0)
        self.status = QLabel(wordWrap=True)
        self._status_error = False  # the status line holds a refusal or a failure
        self._date_refused = False  # … namely a typed date that was not taken
        self.export_button = QPushButton("Export", clicked=self.start_export, default=True)
        self.cancel_button = QPushButton("Cancel", clicked=self.cancel_export, enabled=False)
        load = QPushButton("Load settings…", clicked=self._on_load)
        save = QPushButton("Save settings…", clicked=self._on_save)
        self.close_button = QPushButton("Close", clicked=self.reject)
        buttons = hbox_row(load, save, None, self.export_button, self.cancel_button, self.close_button)
        right = QVBoxLayout()
        right.addWidget(QLabel("Preview (drag to scrub through the export)"))
        right.addWidget(self.preview)
        right.addWidget(self.scrub)
        right.addWidget(self.progress)
        right.addWidget(self.status)
        right.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(settings_box, 3)
        top.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)
        for button in self.findChildren(QPushButton):  # Return exports, whichever button was passed
            button.setAutoDefault(button is self.export_button)  # on the way (Browse… took it)
        for signal in (self.start_edit.dateChanged, self.end_edit.dateChanged,
                       self.frames_spin.valueChanged, self.fps_spin.valueChanged,
                       self.title_seconds.valueChanged, self.title_edit.textChanged,
                       self.size_combo.currentIndexChanged, self.custom_size.textChanged,
                       self.legend_form.currentIndexChanged, self.checks["legend"].toggled):  # the
            signal.connect(lambda *_: self.update_duration())  # legend's note follows the size
        for signal in self._form_changes():  # any of them may change the frames: the preview
            signal.connect(lambda *_: self._preview_timer.start())  # looks once the typing stops
        for name, edit in (("From", self.start_edit), ("To", self.end_edit)):  # a typed date refused
            edit.typed.connect(lambda problem, name=name: self._on_date_typed(name, problem))  # is said
            edit.dateChanged.connect(lambda *_: self._on_date_changed())
        self.camera_keys.date_edit.typed.connect(lambda problem: self._on_date_typed("Key", problem))
        self.size_combo.currentIndexChanged.connect(self._on_size_changed)
        self.format_combo.currentIndexChanged.connect(self._on_format_changed)
        for signal in (self.format_combo.currentIndexChanged, self.size_combo.currentIndexChanged,
                       self.custom_size.textEdited, self.out_edit.textEdited):
            signal.connect(lambda *_: self._clear_refusal())


    # ---- running ----------------------------------------------------------------------------------
    def start_export(self) -> bool:
        """Check the form, confirm overwriting, and start the export thread."""
        self.progress.reset()  # not the last export's bar
        self._clear_refusal()  # nor the last Export's refusal: this one is checked anew
        try:
            settings = self.settings()
            out = Path(self.out_edit.text()).expanduser()
            fmt, frames_out = check_output(self.model, settings, out)  # an input, or a folder of the
            #                                   user's files: refused before anything is asked
            if settings.format:  # a typed name must be the chosen format's (long.mp4 for PNG frames
                check_out_name(out, settings.format)  # made a folder of frames named long.mp4)
        except TerrainViewerError as exc:
            self._show_status(exc.message, error=True)
            return False
        overwrite = False
        subtitles = subtitle_paths(out) if fmt in VIDEOS and fmt != "gif" and settings.subtitles else []
        replaced = [p for p in (out, frames_out, *subtitles) if p is not None and taken(p)]
        if replaced:  # all that the export would replace: the video, the frames, the subtitles
            what = _and([f"{p} (the frames of an earlier export)" if p.is_dir() else str(p)
                         for p in replaced])
            verb = "exists" if len(replaced) == 1 else "exist"
            answer = QMessageBox.question(self, "Replace?",
                                          f"{what} already {verb}. Replace when the export has finished?")
            if answer != QMessageBox.StandardButton.Yes:  # said: the refusal left no word (a new user)
                self._show_status(f"Not exported: {what} {'is' if len(replaced) == 1 else 'are'} kept")
                return False
            overwrite = True
        self._keep_form()  # offered again next time, and saved with the project
        qt_settings.remember_folder("export", out)  # and its folder in the next session
        self.result = None
        self.thread = QtExportThread(self.model, settings, out, overwrite)
        self.thread.progressed.connect(self._on_progress)
        self.thread.succeeded.connect(self._on_done)
        self.thread.failed.connect(self._on_failed)
        self.thread.finished.connect(self._on_thread_finished)
        self._set_running(True)
        workers = settings.worker_count(settings.frame_count(self.model))  # "auto": the count chosen
        self._show_status("Starting…" if workers <= 1 else f"Starting {workers} worker processes…")
        self.thread.start()
        return True

    def cancel_export(self) -> None:
        if self.thread is not None:
            self.thread.cancel.set()
            self._show_status("Cancelling…")

    def is_running(self) -> bool:
        """From the start until the thread's last report has been handled (its result or error is shown)."""
        return self._running or (self.thread is not None and self.thread.isRunning())

    def _on_progress(self, p: Progress) -> None:
        self.progress.setMaximum(p.total)
        self.progress.setValue(p.done)
        left = "" if p.remaining is None else f" — {_clock(p.remaining)} left"
        self._show_status(f"Frame {p.done} of {p.total} ({p.done / max(p.elapsed, 1e-9):.1f} frames/s){left}")

    def _on_done(self, result: ExportResult) -> None:
        self.result = result
        if result.cancelled:
            self.progress.reset()  # empty: the bar left at 55 % beside "nothing was written" said otherwise
            self._show_status("Cancelled: nothing was written.")
        else:
            frames = f"{result.frames} frame{'s' * (result.frames != 1)}"
            wrote = f"Wrote {result.path} ({frames} in {_clock(result.seconds)})"
            extras = [f"{p} (the PNG frames)" if p.is_dir() else str(p) for p in result.extras]
            notes = "".join(f" {note[0].upper()}{note[1:]}." for note in result.notes)
            self._show_status(_and([wrote, *extras]) + "." + notes)  # every file and folder written

    def _on_failed(self, message: str) -> None:
        self._show_status(message, error=True)

    def _on_thread_finished(self) -> None:
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self._running = running
        self.export_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.close_button.setEnabled(not running)

    def _clear_refusal(self) -> None:
        """The form changed: a refusal of the last Export no longer says anything true."""
        if self._status_error and not self.is_running():
            self._show_status("")

    def _on_date_typed(self, field: str, problem: str) -> None:
        """A date typed into From or To: a refused one is said in the status line (the field went
        back to its date); one taken clears such a line."""
        if problem:
            if not self.is_running():
                self._show_status(f"{field}: {problem}.", error=True)
                self._date_refused = True
        elif self._date_refused:
            self._clear_refusal()

    def _on_date_changed(self) -> None:
        """A date chosen any way (calendar, arrows): a refused typed date is no longer the news."""
        if self._date_refused:
            self._clear_refusal()

    def _show_status(self, text: str, error: bool = False) -> None:
        self._status_error = error
        self._date_refused = False  # the status line says something else now
        self.status.setStyleSheet("color: #b00020;" if error else "")
        self.status.setText(text)

    def reject(self) -> None:
        """Closing while exporting cancels first (the partial output is removed)."""
        if self.is_running():
            self.cancel_export()
            self.thread.wait(30000)
        self.wait_for_previews()
        self._keep_form()
        super().reject()

    def _kept(self) -> dict | None:
        """What the form holds as the window keeps it (None when it does not parse)."""
        try:
            kept = self.settings().to_dict()
        except TerrainViewerError:
            return None
        if not (self.camera or self.view):
            kept["view"] = None  # it follows the map: the next time too, wherever the map is then
        if kept["legend_corner"] == self.model.options.legend_corner:
            del kept["legend_corner"]  # the window's: the next time, the window's corner then
        return kept

    def _keep_form(self) -> None:
        """Keep what the form holds in the window (saved with its project), so that the dialog
        opens on it again; a form that does not parse keeps what was kept before. A change is
        one of the session's: the window's title and Quit say it is not saved yet."""
        parent = self.parent()
        if parent is None or not hasattr(parent, "export_settings"):
            return
        kept = self._kept()
        if kept is None:
            return
        # the form as it opened: the window keeps what it had (no settings, or a project's own
        # spelling of them), and an Export or Close that changed nothing changes nothing to save
        parent.export_settings = self._opened[1] if kept == self._opened[0] else kept
        if text := self.out_edit.text().strip():
            parent.export_out = str(Path(text).expanduser())
        refresh_modified = getattr(parent, "refresh_modified", None)
        if callable(refresh_modified):
            refresh_modified()

    # ---- small slots ------------------------------------------------------------------------------
    def _on_browse(self) -> None:
        fmt = self.format_combo.currentData()
        if fmt == "png":
            path = QFileDialog.getExistingDirectory(self, "Folder for the PNG frames", self.out_edit.text())
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export to", self.out_edit.text(),
                                                  f"{fmt.upper()} (*.{fmt})")
        if path:
            self.out_edit.setText(path)

    def _on_load(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load export settings", str(Path.home()),
                                              "Export settings (*.json)")
        if path:
            self.load_settings(path)

    def load_settings(self, path: str | Path) -> bool:
        try:
            self.set_settings(ExportSettings.load(path))
        except TerrainViewerError as exc:
            self._show_status(exc.message, error=True)
            return False
        self.update_preview()
        self._show_status(f"Loaded {Path(path).name}")
        return True

    def _on_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save export settings", str(Path.home() / "export.json"),
                                              "Export settings (*.json)")
        if not path:
            return
        try:
            self.settings().save(path)
        except TerrainViewerError as exc:
            self._show_status(exc.message, error=True)
            return
        self._show_status(f"Saved {Path(path).name}")


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 2 else items)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
