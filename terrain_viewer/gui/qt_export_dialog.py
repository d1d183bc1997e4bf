"""File > Export…: the export settings as a form and a small timeline (duration, a preview scrubbed
through the export, camera keyframes by date), progress and Cancel.

All the work is ``terrain_viewer.core.export.run``: the dialog fills an ExportSettings, shows
``FrameSource.frame(0)`` as the preview, and runs ``run_export`` on a QThread (the frames render in
worker processes), so the window stays responsive.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QDate, QSize, Qt, QThread, QTimer, pyqtSignal
from PyQt6.QtGui import QImage, QPixmap
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.common.logs import log_exception
from terrain_viewer.core.export.run import (
    ExportResult,
    ExportSettings,
    FrameSource,
    Progress,
    output_format,
    prepare_workers,
    run_export,
)
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.furniture import CORNERS, LEGEND_FORMS
from terrain_viewer.core.temporal.timeline import to_date, to_datetime
from terrain_viewer.gui.qt_camera_keys import CameraKeys, PreviewThread

log = logging.getLogger("terrain_viewer.gui.export")
SIZES = ("720p", "1080p", "1440p", "4k", "custom")
FORMATS = (("MP4 video (H.264)", "mp4"), ("PNG frames (a folder)", "png"), ("GIF animation", "gif"),
           ("ProRes 4444 with alpha (.mov)", "mov"))
PREVIEW_WIDTH = 480


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


class ExportDialog(QDialog):
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
        self._preview_timer.timeout.connect(self.update_preview)
        self._build()
        self.set_settings(self._initial_settings())
        if self.workers_spin.value() > 1:
            prepare_workers()  # the worker processes' server warms up while the user chooses
        self.update_preview()

    # ---- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        start, end = to_date(self.model.time.start), to_date(self.model.time.end)
        self.start_edit, self.end_edit = (self._date_edit(start, end) for _ in range(2))
        self.frames_spin = QSpinBox(minimum=1, maximum=240, toolTip="in-between frames: units glide")
        self.fps_spin = QDoubleSpinBox(minimum=1, maximum=120, decimals=1)
        self.size_combo = QComboBox()
        self.size_combo.addItems(["720p (1280×720)", "1080p (1920×1080)", "1440p (2560×1440)",
                                  "4K (3840×2160)", "Custom…"])
        self.custom_size = QLineEdit(placeholderText="WIDTHxHEIGHT")
        self.format_combo = QComboBox()
        for text, key in FORMATS:
            self.format_combo.addItem(text, key)
        self.out_edit = QLineEdit()
        browse = QPushButton("Browse…", clicked=self._on_browse)
        self.workers_spin = QSpinBox(minimum=1, maximum=max(os.cpu_count() or 1, 1))
        self.title_edit, self.subtitle_edit = QLineEdit(), QLineEdit()
        self.title_seconds = QDoubleSpinBox(minimum=0, maximum=30, decimals=1, suffix=" s")
        self.caption_check = QCheckBox("Date caption")
        self.caption_format = QLineEdit(toolTip="{day} {month} {year}, {iso}, {weekday}, {mon}, {time}")
        self.checks = {name: QCheckBox(text) for name, text in (
            ("legend", "Legend"), ("scale_bar", "Scale bar"), ("north_arrow", "North arrow"),
            ("credits", "Credits (sources)"), ("labels", "Labels"))}
        self.camera_label = QLabel()
        self.camera_reset = QPushButton("Use the current view", clicked=self._on_camera_reset)
        self.camera_keys = CameraKeys(lambda: self.model.view, lambda: to_datetime(self.model.time.t))
        self.camera_keys.changed.connect(self._on_keys_changed)
        self.outputs = {name: QCheckBox(text) for name, text in (
            ("transparent", "Transparent background"), ("png_frames", "Also PNG frames"),
            ("subtitles", "Subtitles (.srt, .vtt)"))}
        self.legend_corner, self.legend_form = QComboBox(), QComboBox()
        self.legend_corner.addItems(list(CORNERS))
        self.legend_form.addItems(list(LEGEND_FORMS))
        self.duration = QLabel()
        self.scrub = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=0)
        self.scrub.valueChanged.connect(lambda *_: self._scrub_timer.start())
        self._scrub_timer = QTimer(self, singleShot=True, interval=120)
        self._scrub_timer.timeout.connect(self.preview_frame)
        self._preview_thread: PreviewThread | None = None
        form = QFormLayout()
        form.addRow("From", self.start_edit)
        form.addRow("To", self.end_edit)
        form.addRow("Frames per day", self.frames_spin)
        form.addRow("Frames per second", self.fps_spin)
        form.addRow("Size", _row(self.size_combo, self.custom_size))
        form.addRow("Format", self.format_combo)
        form.addRow("Output", _row(self.out_edit, browse))
        form.addRow("Worker processes", self.workers_spin)
        form.addRow("Title card", self.title_edit)
        form.addRow("Subtitle", self.subtitle_edit)
        form.addRow("Title card length", self.title_seconds)
        form.addRow(self.caption_check, self.caption_format)
        furniture = QWidget()
        grid = QHBoxLayout(furniture)
        grid.setContentsMargins(0, 0, 0, 0)
        for check in self.checks.values():
            grid.addWidget(check)
        form.addRow("Furniture", furniture)
        form.addRow("Legend", _row(self.legend_corner, self.legend_form))
        form.addRow("Outputs", _row(*self.outputs.values()))
        form.addRow("Camera", _row(self.camera_label, self.camera_reset))
        form.addRow("Keyframes", self.camera_keys)
        form.addRow("Duration", self.duration)
        settings_box = QGroupBox("Settings")
        settings_box.setLayout(form)
        self.preview = QLabel(alignment=Qt.AlignmentFlag.AlignCenter,
                              minimumSize=QSize(PREVIEW_WIDTH, PREVIEW_WIDTH * 9 // 16))
        self.preview.setStyleSheet("background: #2b2b2b; color: #ddd;")
        self.progress = QProgressBar(minimum=0, maximum=1, value=0)
        self.status = QLabel(wordWrap=True)
        self.export_button = QPushButton("Export", clicked=self.start_export, default=True)
        self.cancel_button = QPushButton("Cancel", clicked=self.cancel_export, enabled=False)
        load = QPushButton("Load settings…", clicked=self._on_load)
        save = QPushButton("Save settings…", clicked=self._on_save)
        self.close_button = QPushButton("Close", clicked=self.reject)
        buttons = _row(load, save, None, self.export_button, self.cancel_button, self.close_button)
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
        for signal in (self.start_edit.dateChanged, self.end_edit.dateChanged,
                       self.frames_spin.valueChanged, self.fps_spin.valueChanged,
                       self.title_seconds.valueChanged, self.title_edit.textChanged):
            signal.connect(lambda *_: self.update_duration())
        for signal in (self.start_edit.dateChanged, self.size_combo.currentIndexChanged,
                       self.custom_size.editingFinished, self.title_edit.editingFinished,
                       self.subtitle_edit.editingFinished, self.title_seconds.valueChanged,
                       self.caption_check.toggled, self.caption_format.editingFinished,
                       *(c.toggled for c in self.checks.values())):
            signal.connect(lambda *_: self._preview_timer.start())
        self.size_combo.currentIndexChanged.connect(self._on_size_changed)
        self.format_combo.currentIndexChanged.connect(self._on_format_changed)

    @staticmethod
    def _date_edit(start: dt.date, end: dt.date) -> QDateEdit:
        edit = QDateEdit(calendarPopup=True, displayFormat="d MMMM yyyy")
        edit.setDateRange(QDate(start.year, start.month, start.day), QDate(end.year, end.month, end.day))
        return edit

    # ---- settings <-> form --------------------------------------------------------------------
    def _initial_settings(self) -> ExportSettings:
        saved = getattr(self.parent(), "export_settings", None)
        if isinstance(saved, dict):
            try:
                return ExportSettings.from_dict(saved)
            except TerrainViewerError as exc:
                log.warning("ignoring saved export settings: %s", exc.message)
        return ExportSettings(start=to_date(self.model.time.start).isoformat(),
                              end=to_date(self.model.time.end).isoformat(), format="mp4",
                              workers=min(2, os.cpu_count() or 1))

    def _default_out(self, fmt: str) -> str:
        stem = self.model.paths[0].stem if self.model.paths else "terrain_viewer"
        folder = Path.home() / "Videos" if (Path.home() / "Videos").is_dir() else Path.home()
        return str(folder / (f"{stem}_frames" if fmt == "png" else f"{stem}.{fmt}"))

    def set_settings(self, s: ExportSettings) -> None:
        """Show ``s`` in the form."""
        self.start_edit.setDate(_qdate(s.start or to_date(self.model.time.start).isoformat()))
        self.end_edit.setDate(_qdate(s.end or to_date(self.model.time.end).isoformat()))
        self.frames_spin.setValue(s.frames_per_day)
        self.fps_spin.setValue(float(s.fps))
        key = str(s.size).lower()
        self.size_combo.setCurrentIndex(SIZES.index(key) if key in SIZES else SIZES.index("custom"))
        self.custom_size.setText("" if key in SIZES else s.size)
        self._on_size_changed()
        fmt = s.format or "mp4"
        self.format_combo.setCurrentIndex([k for _, k in FORMATS].index(fmt))
        if not self.out_edit.text():
            self.out_edit.setText(self._default_out(fmt))
        self.workers_spin.setValue(min(s.workers, self.workers_spin.maximum()))
        self.title_edit.setText(s.title)
        self.subtitle_edit.setText(s.subtitle)
        self.title_seconds.setValue(s.title_seconds)
        self.caption_check.setChecked(s.caption)
        self.caption_format.setText(s.caption_format)
        for name, check in self.checks.items():
            check.setChecked(bool(getattr(s, name)))
        self.camera = list(s.camera)
        self.view = s.view
        self.camera_keys.set_keys(self.camera)
        self.legend_corner.setCurrentText(s.legend_corner)
        self.legend_form.setCurrentText(s.legend_form)
        for name, check in self.outputs.items():
            check.setChecked(bool(getattr(s, name)))
        self._font_family, self._layers = s.font_family, s.layers
        self._show_camera()
        self.update_duration()

    def settings(self) -> ExportSettings:
        """The form as ExportSettings (raises ExportError for impossible values)."""
        size = SIZES[self.size_combo.currentIndex()]
        data = {
            "start": self.start_edit.date().toPyDate().isoformat(),
            "end": self.end_edit.date().toPyDate().isoformat(),
            "frames_per_day": self.frames_spin.value(), "fps": self.fps_spin.value(),
            "size": self.custom_size.text().strip() if size == "custom" else size,
            "format": self.format_combo.currentData(), "workers": self.workers_spin.value(),
            "title": self.title_edit.text(), "subtitle": self.subtitle_edit.text(),
            "title_seconds": self.title_seconds.value(), "caption": self.caption_check.isChecked(),
            "caption_format": self.caption_format.text() or "{day} {month} {year}",
            "chinese_names": self.model.options.chinese_names,
            "view": self.view if self.camera or self.view else list(self.model.view),
            "camera": self.camera,
            **{name: check.isChecked() for name, check in self.checks.items()},
            **{name: check.isChecked() for name, check in self.outputs.items()},
            "legend_corner": self.legend_corner.currentText(), "legend_form": self.legend_form.currentText(),
            "font_family": getattr(self, "_font_family", ""), "layers": getattr(self, "_layers", None),
        }
        return ExportSettings.from_dict(data, "export settings")

    def _show_camera(self) -> None:
        if self.camera:
            self.camera_label.setText(f"{len(self.camera)} view keyframes (eased pan and zoom)")
        elif self.view:
            self.camera_label.setText("a fixed view from the settings")
        else:
            self.camera_label.setText("the current map view")
        self.camera_reset.setEnabled(bool(self.camera or self.view))

    # ---- timeline -------------------------------------------------------------------------------
    def update_duration(self) -> None:
        """Show the export's length in frames and seconds; the scrub slider spans its frames."""
        try:
            s = self.settings()
            frames = s.frame_count(self.model)
        except TerrainViewerError as exc:
            self.duration.setText(exc.message)
            return
        self.duration.setText(f"{frames} frames, {frames / s.fps:.1f} s at {s.fps:g} frames/s")
        self.scrub.setMaximum(max(frames - 1, 0))

    def _on_keys_changed(self) -> None:
        self.camera = list(self.camera_keys.keys)
        self._show_camera()
        self._preview_timer.start()

    def _preview_settings(self) -> ExportSettings:
        s = self.settings()
        w, h = s.pixel_size()
        s.size = f"{PREVIEW_WIDTH}x{max(16, round(PREVIEW_WIDTH * h / w))}"
        return s

    def preview_frame(self, frame: int | None = None) -> None:
        """Render frame ``frame`` (the slider's) of the export on a thread; show it when done."""
        frame = self.scrub.value() if frame is None else frame
        try:
            s = self._preview_settings()
        except TerrainViewerError as exc:
            self.preview.setText(exc.message)
            return
        thread = PreviewThread(self.model, s, frame)
        thread.rendered.connect(self._show_frame)
        thread.failed.connect(self.preview.setText)
        thread.finished.connect(thread.deleteLater)
        self._preview_thread = thread
        thread.start()

    def _show_frame(self, frame: int, rgba) -> None:
        if frame == self.scrub.value():  # an older request that finished late is not shown
            self._set_pixmap(rgba)

    def _set_pixmap(self, rgba) -> None:
        rgba = np.ascontiguousarray(rgba)
        image = QImage(rgba.data, rgba.shape[1], rgba.shape[0], rgba.shape[1] * 4,
                       QImage.Format.Format_RGBA8888).copy()
        self.preview.setPixmap(QPixmap.fromImage(image))

    # ---- preview --------------------------------------------------------------------------------
    def update_preview(self) -> None:
        """Render the slider's frame (title card or map) at a small size with the final proportions."""
        try:
            s = self._preview_settings()
            source = FrameSource(self.model.to_dict(), s, dataset=self.model.dataset)
            rgba = source.frame(min(self.scrub.value(), len(source) - 1))
        except TerrainViewerError as exc:
            self.preview.setText(exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - a preview must never take the dialog down
            log_exception(exc, "export preview")
            self.preview.setText(f"No preview: {exc}")
            return
        self._set_pixmap(rgba)

    # ---- running ----------------------------------------------------------------------------------
    def start_export(self) -> bool:
        """Check the form, confirm overwriting, and start the export thread."""
        try:
            settings = self.settings()
            out = Path(self.out_edit.text()).expanduser()
            output_format(out, settings)
        except TerrainViewerError as exc:
            self._show_status(exc.message, error=True)
            return False
        overwrite = False
        if out.exists() and (out.is_file() or any(out.iterdir())):
            answer = QMessageBox.question(self, "Replace?", f"{out} already exists. Replace it when the "
                                          "export has finished?")
            if answer != QMessageBox.StandardButton.Yes:
                return False
            overwrite = True
        parent = self.parent()
        if parent is not None and hasattr(parent, "export_settings"):
            parent.export_settings = settings.to_dict()
        self.result = None
        self.thread = QtExportThread(self.model, settings, out, overwrite)
        self.thread.progressed.connect(self._on_progress)
        self.thread.succeeded.connect(self._on_done)
        self.thread.failed.connect(self._on_failed)
        self.thread.finished.connect(self._on_thread_finished)
        self._set_running(True)
        self._show_status(f"Starting {settings.workers} worker process(es)…")
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
            self._show_status("Cancelled: nothing was written.")
        else:
            self._show_status(f"Wrote {result.path} ({result.frames} frames in {_clock(result.seconds)}).")

    def _on_failed(self, message: str) -> None:
        self._show_status(message, error=True)

    def _on_thread_finished(self) -> None:
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self._running = running
        self.export_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.close_button.setEnabled(not running)

    def _show_status(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #b00020;" if error else "")
        self.status.setText(text)

    def reject(self) -> None:
        """Closing while exporting cancels first (the partial output is removed)."""
        if self.is_running():
            self.cancel_export()
            self.thread.wait(30000)
        if self._preview_thread is not None and self._preview_thread.isRunning():
            self._preview_thread.wait(30000)
        super().reject()

    # ---- small slots ------------------------------------------------------------------------------
    def _on_size_changed(self, *_args) -> None:
        self.custom_size.setVisible(SIZES[self.size_combo.currentIndex()] == "custom")

    def _on_format_changed(self, *_args) -> None:
        fmt = self.format_combo.currentData()
        text = self.out_edit.text()
        if not text:
            return
        path = Path(text)
        base = path.with_suffix("") if path.suffix.lower() in (".mp4", ".gif") else path
        base = base.with_name(base.name.removesuffix("_frames"))
        self.out_edit.setText(str(base.with_name(base.name + "_frames") if fmt == "png"
                                  else base.with_suffix(f".{fmt}")))

    def _on_browse(self) -> None:
        fmt = self.format_combo.currentData()
        if fmt == "png":
            path = QFileDialog.getExistingDirectory(self, "Folder for the PNG frames", self.out_edit.text())
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export to", self.out_edit.text(),
                                                  f"{fmt.upper()} (*.{fmt})")
        if path:
            self.out_edit.setText(path)

    def _on_camera_reset(self) -> None:
        self.camera, self.view = [], None
        self.camera_keys.set_keys([])
        self._show_camera()
        self._preview_timer.start()

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


def _row(*widgets) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        if widget is None:
            layout.addStretch(1)
        else:
            layout.addWidget(widget)
    return box


def _qdate(text: str) -> QDate:
    day = dt.date.fromisoformat(text[:10])
    return QDate(day.year, day.month, day.day)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
