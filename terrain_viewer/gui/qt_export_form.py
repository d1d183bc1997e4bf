"""The Export dialog's settings form: its widgets and layout, and ExportSettings to and from them."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from PyQt6.QtCore import QDate
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.export.run import ExportSettings
from terrain_viewer.core.export.settings import AUTO, output_limits
from terrain_viewer.core.render.furniture import CORNERS, LEGEND_FORMS
from terrain_viewer.core.temporal.timeline import to_date, to_datetime
from terrain_viewer.gui import qt_settings
from terrain_viewer.gui.qt_camera_keys import CameraKeys
from terrain_viewer.gui.qt_date_edit import TypedDateEdit

log = logging.getLogger("terrain_viewer.gui.export")
SIZES = ("720p", "1080p", "1440p", "4k", "custom")
FORMATS = (("MP4 video (H.264)", "mp4"), ("PNG frames (a folder)", "png"), ("GIF animation", "gif"),
           ("ProRes 4444 with alpha (.mov)", "mov"))


class ExportForm:
    """The settings half of ``ExportDialog`` (a mixin: ``self`` is the dialog, with ``model``)."""

    def _build_form(self) -> QGroupBox:
        """The settings widgets in a form; the dialog lays out the rest and wires the signals."""
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
        self.workers_spin = QSpinBox(minimum=AUTO, maximum=max(os.cpu_count() or 1, 1),
                                     specialValueText="Auto (for this machine and length)")  # 0: AUTO
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
        self.camera_keys.current_date = self._key_date  # a key added: within the export's days
        self.camera_keys.changed.connect(self._on_keys_changed)
        self.outputs = {name: QCheckBox(text) for name, text in (
            ("transparent", "Transparent background"), ("png_frames", "Also PNG frames"),
            ("subtitles", "Subtitles (.srt, .vtt)"))}
        self.legend_corner, self.legend_form = QComboBox(), QComboBox()
        self.legend_corner.addItems(list(CORNERS))
        self.legend_form.addItems(list(LEGEND_FORMS))
        self.duration = QLabel()
        form = QFormLayout()
        form.addRow("From", self.start_edit)
        form.addRow("To", self.end_edit)
        form.addRow("Frames per day", self.frames_spin)
        form.addRow("Frames per second", self.fps_spin)
        form.addRow("Size", hbox_row(self.size_combo, self.custom_size))
        form.addRow("Format", self.format_combo)
        form.addRow("Output", hbox_row(self.out_edit, browse))
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
        form.addRow("Legend", hbox_row(self.legend_corner, self.legend_form))
        form.addRow("Outputs", hbox_row(*self.outputs.values()))
        form.addRow("Camera", hbox_row(self.camera_label, self.camera_reset))
        form.addRow("Keyframes", self.camera_keys)
        form.addRow("Duration", self.duration)
        settings_box = QGroupBox("Settings")
        settings_box.setLayout(form)
        return settings_box

    def _form_changes(self) -> list:
        """The change signals of every settings widget of the form (the preview follows them all
        and renders again when the frames would differ); the camera keys say theirs through
        ``camera_keys.changed``."""
        return [self.start_edit.dateChanged, self.end_edit.dateChanged, self.frames_spin.valueChanged,
                self.fps_spin.valueChanged, self.size_combo.currentIndexChanged, self.custom_size.textChanged,
                self.format_combo.currentIndexChanged, self.out_edit.textChanged,
                self.workers_spin.valueChanged, self.title_edit.textChanged, self.subtitle_edit.textChanged,
                self.title_seconds.valueChanged, self.caption_check.toggled, self.caption_format.textChanged,
                *(c.toggled for c in self.checks.values()), self.legend_corner.currentIndexChanged,
                self.legend_form.currentIndexChanged, *(c.toggled for c in self.outputs.values())]

    @staticmethod
    def _date_edit(start: dt.date, end: dt.date) -> TypedDateEdit:
        edit = TypedDateEdit(calendarPopup=True, displayFormat="d MMMM yyyy")
        edit.setDateRange(QDate(start.year, start.month, start.day), QDate(end.year, end.month, end.day))
        return edit

    # ---- settings <-> form --------------------------------------------------------------------
    def _initial_settings(self) -> ExportSettings:
        saved = getattr(self.parent(), "export_settings", None)
        corner = self.model.options.legend_corner  # where the window has it: what you see is exported
        corner = corner if corner in CORNERS else "lower right"
        if isinstance(saved, dict):
            try:
                return ExportSettings.from_dict({"legend_corner": corner, **saved})
            except TerrainViewerError as exc:
                log.warning("ignoring saved export settings: %s", exc.message)
        return ExportSettings(start=to_date(self.model.time.start).isoformat(),
                              end=to_date(self.model.time.end).isoformat(), format="mp4",
                              workers=AUTO, legend_corner=corner)  # 2 on 2 cores was the slower

    def _default_out(self, fmt: str) -> str:
        stem = self.model.paths[0].stem if self.model.paths else "terrain_viewer"
        folder = Path.home() / "Videos" if (Path.home() / "Videos").is_dir() else Path.home()
        remembered = qt_settings.settings().value("folders/export", "", str)  # the last export's
        folder = Path(remembered) if remembered and Path(remembered).is_dir() else folder
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
        if not self.out_edit.text():  # the last export's output, named for this format (a project
            last = getattr(self.parent(), "export_out", None)  # opened since may export as another)
            self.out_edit.setText(out_for_format(last, fmt) if last else self._default_out(fmt))
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
        self._fade_days = s.fade_days  # no box of its own: kept as loaded (it became 0.25, a new user)
        self._sync_outputs()
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
            "fade_days": getattr(self, "_fade_days", ExportSettings().fade_days),
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

    def _key_date(self) -> dt.datetime:
        """A new camera key's date: the date bar's, within the export's days (a key outside them
        moves nothing: a new user's key came at 8 August for an export of 14–16 July)."""
        now = to_datetime(self.model.time.t)
        first = self.start_edit.date().toPyDate()
        last = self.end_edit.date().toPyDate()
        if now.date() < first:
            return dt.datetime.combine(first, dt.time())
        if now.date() > last:
            return dt.datetime.combine(last, dt.time())
        return now

    def _on_size_changed(self, *_args) -> None:
        """Custom… shows its field, filled with the size chosen before (an empty one was an error
        in the preview before anything was typed)."""
        key = SIZES[self.size_combo.currentIndex()]
        self.custom_size.setVisible(key == "custom")
        if key != "custom":
            self._preset = key
        elif not self.custom_size.text().strip():
            w, h = ExportSettings(size=getattr(self, "_preset", "1080p")).pixel_size()
            self.custom_size.setText(f"{w}x{h}")

    def _on_format_changed(self, *_args) -> None:
        if text := self.out_edit.text():
            self.out_edit.setText(out_for_format(text, self.format_combo.currentData()))
        self._sync_outputs()

    def _sync_outputs(self) -> None:
        """Only the outputs the format can have are offered: PNG frames beside a video, subtitles
        beside an MP4 or a .mov (no player shows a GIF's), a transparent background in PNG frames
        or a .mov."""
        why = output_limits(self.format_combo.currentData())
        for name, check in self.outputs.items():
            check.setEnabled(not why[name])
            check.setToolTip(why[name])

    def _on_camera_reset(self) -> None:
        self.camera, self.view = [], None
        self.camera_keys.set_keys([])
        self._show_camera()
        self._preview_timer.start()


def hbox_row(*widgets) -> QWidget:
    """The widgets side by side without margins; None is a stretch."""
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


def out_for_format(text: str, fmt: str) -> str:
    """The output ``text`` named for ``fmt``: ``x_frames`` (a folder) for PNG frames, else ``x.fmt``."""
    path = Path(text)
    base = path.with_suffix("") if path.suffix.lower() in (".mp4", ".gif", ".mov") else path
    base = base.with_name(base.name.removesuffix("_frames"))
    return str(base.with_name(base.name + "_frames") if fmt == "png" else base.with_suffix(f".{fmt}"))
