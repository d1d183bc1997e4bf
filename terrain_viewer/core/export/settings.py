"""ExportSettings: everything an export needs besides the session, saved as JSON.

The file form, the stated ranges every value is checked against (``limits``), the frame times
and the camera. See docs/export-settings.md.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from terrain_viewer.core.common.atomic import atomic_write_text
from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.export import limits
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.temporal.camera import Camera, ViewKey
from terrain_viewer.core.temporal.dates import month_days, read_day
from terrain_viewer.core.temporal.timeline import day_number, parse_iso

FORMATS = ("png", "mp4", "gif", "mov")  # mov: ProRes 4444 with alpha, for editing suites
VIDEOS = ("mp4", "gif", "mov")
SUBTITLED = ("mp4", "mov")  # the formats with subtitles beside them (no player shows a GIF's)
TRANSPARENT = ("png", "mov")  # the formats that keep an alpha channel
KIND = "terrain-viewer export settings"  # the "kind" of a saved settings file: how we know ours
MAX_FILE = 1 << 20  # bytes: a settings file is a few hundred; anything bigger is not one
AUTO = 0  # ``workers`` chosen for the machine and the export (``"auto"`` in the file)
SHORT_EXPORT = 120  # frames: fewer than this render in one process (worker start-up does not pay)
FRAMES_PER_WORKER = 60  # frames each extra worker needs to pay for its start-up
MAX_AUTO_WORKERS = 8
FADE_DAYS = (0.0, 2.0)  # the range of ``fade_days``


@dataclass
class ExportSettings:
    """Everything an export needs besides the session; saved as JSON (docs/export-settings.md)."""

    start: str = ""
    end: str = ""
    frames_per_day: int = 4
    fps: float = 24.0
    size: str = "1080p"
    format: str = ""  # png | mp4 | gif; "" = from the output name (a folder → png)
    workers: int = AUTO  # 1..64, or AUTO (0, "auto" in the file): see ``worker_count``
    title: str = ""
    subtitle: str = ""
    title_seconds: float = 3.0  # with a title: a title card this long before the first frame
    caption: bool = True
    caption_format: str = "{day} {month} {year}"
    legend: bool = True
    scale_bar: bool = True
    north_arrow: bool = True
    credits: bool = True
    labels: bool = True
    chinese_names: bool = False
    view: list[float] | None = None  # a fixed extent (map CRS); None = the session's view
    camera: list[dict] = field(default_factory=list)  # [{"date": ISO, "extent": [x0, y0, x1, y1], "ease"?}]
    transparent: bool = False  # no paper: an alpha channel (PNG frames or .mov) to lay over footage
    layers: list[str] | None = None  # the layers drawn (e.g. units and front lines); None = all visible
    png_frames: bool = False  # with a video: also the frames as PNGs in a folder NAME_frames beside it
    subtitles: bool = True  # with an MP4 or a MOV: NAME.srt and NAME.vtt of the events beside it
    font_family: str = ""  # a font family for labels and furniture ("" = the map's)
    legend_corner: str = ""  # lower right | lower left | upper right | upper left; "" = the session's
    legend_form: str = "auto"  # auto | full | compact | off
    fade_days: float = 0.25  # 0..2: dated features and events fade in and out over this part of a day

    # ---- file form ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        data = asdict(self)
        if data["workers"] == AUTO:
            data["workers"] = "auto"
        return data

    @classmethod
    def from_dict(cls, data: dict, source: str | Path | None = None) -> ExportSettings:
        if not isinstance(data, dict):
            raise ExportError("export settings must be a JSON object", source)
        data = dict(data)
        kind = data.pop("kind", KIND)
        if kind != KIND:
            raise ExportError(f"kind: not {KIND!r} but {limits.short(kind)}", source)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ExportError(f"unknown export setting(s): {limits.short(', '.join(unknown), 80, False)}",
                              source)
        if data.get("workers") == "auto":
            data["workers"] = AUTO
        if isinstance(data.get("camera"), list):
            data["camera"] = dated_camera(data["camera"], data, source)
        settings = cls(**data)
        settings.check(source)
        return settings

    @classmethod
    def load(cls, path: str | Path) -> ExportSettings:
        path = Path(path)
        try:
            if path.stat().st_size > MAX_FILE:
                raise ExportError(f"not an export settings file (larger than {MAX_FILE >> 20} MB)", path)
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ExportError(f"cannot read export settings: {exc.strerror or exc}", path) from exc
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: JSON, huge ints
            raise ExportError(f"export settings are not valid JSON: {str(exc)[:120]}", path) from None
        return cls.from_dict(data, path)

    def save(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write the settings as JSON; an existing file is replaced only if ``overwrite`` and only
        if it is a settings file of ours (never a data file or anything else)."""
        path = Path(path)
        if os.path.lexists(path):
            if not overwrite:
                raise ExportError("already exists; choose another name or allow overwriting "
                                  "(--overwrite)", path)
            if not is_settings_file(path):
                raise ExportError("exists and is not an export settings file; not overwritten", path)
        text = json.dumps({"kind": KIND, **self.to_dict()}, indent=2, ensure_ascii=False) + "\n"
        return atomic_write_text(path, text, error=ExportError)

    # ---- meaning --------------------------------------------------------------------------
    def check(self, source: str | Path | None = None) -> None:
        """Raise ExportError (naming ``source`` and the field) for any value outside its range."""
        try:
            self._check_values()
        except ExportError as exc:
            raise ExportError(exc.problem, source) from None

    def _check_values(self) -> None:
        for name, limit in limits.TEXT_LIMITS.items():
            limits.check_text(getattr(self, name), name, limit)
        for name in limits.BOOLEANS:
            limits.check_flag(getattr(self, name), name)
        limits.check_number(self.frames_per_day, "frames_per_day", *limits.FRAMES_PER_DAY, whole=True)
        limits.check_number(self.fps, "fps", *limits.FPS)
        limits.check_number(self.title_seconds, "title_seconds", *limits.TITLE_SECONDS)
        limits.check_number(self.fade_days, "fade_days", *FADE_DAYS)
        if self.workers != AUTO:
            limits.check_number(self.workers, "workers", *limits.WORKERS, whole=True)
        if self.format and self.format not in FORMATS:
            raise limits.problem("format", f"must be one of {', '.join(FORMATS)}, got {self.format!r}")
        limits.check_caption_format(self.caption_format)
        if self.view is not None:
            limits.check_extent(self.view, "view")
        limits.check_camera(self.camera)
        limits.check_layers(self.layers)
        from terrain_viewer.core.render.furniture import CORNERS, LEGEND_FORMS

        if self.legend_corner and self.legend_corner not in CORNERS:
            raise limits.problem("legend_corner", f"must be one of {', '.join(CORNERS)}, "
                                                  f"got {limits.short(self.legend_corner)}")
        if self.legend_form not in LEGEND_FORMS:
            raise limits.problem("legend_form", f"must be one of {', '.join(LEGEND_FORMS)}, "
                                                f"got {limits.short(self.legend_form)}")
        start, end = (_parse_time(v, n) if v else None for n, v in (("start", self.start), ("end", self.end)))
        if start is not None and end is not None:
            if end < start:
                raise ExportError(f"end {self.end} is before start {self.start}")
            days = math.floor(end) - math.floor(start) + 1
            limits.check_span(days, days * self.frames_per_day)
        self.pixel_size()
        self.make_camera((0, 0, 1, 1))

    def pixel_size(self, source: str | Path | None = None) -> tuple[int, int]:
        from terrain_viewer.core.render.renderer import SIZE_PRESETS

        key = str(self.size).strip().lower()
        if key in SIZE_PRESETS:
            return SIZE_PRESETS[key]
        parts = key.replace("×", "x").split("x")
        try:
            w, h = (int(p) for p in parts)
        except ValueError:
            raise ExportError(f"size {self.size!r}: use WIDTHxHEIGHT or one of "
                              f"{', '.join(SIZE_PRESETS)}", source) from None
        if not (16 <= w <= 8192 and 16 <= h <= 8192):
            raise ExportError(f"size {self.size!r}: width and height must be 16..8192 pixels", source)
        return w, h

    def title_frames(self) -> int:
        """Frames of the title card (none without a title or a length)."""
        return int(round(self.title_seconds * self.fps)) if self.title and self.title_seconds > 0 else 0

    def frame_count(self, model: ViewerModel) -> int:
        """Title card frames plus ``days × frames_per_day`` map frames."""
        return self.title_frames() + len(self.times(model))

    def times(self, model: ViewerModel) -> np.ndarray:
        """Frame times: ``frames_per_day`` a day for every day from start to end inclusive."""
        start = math.floor(_parse_time(self.start, "start") if self.start else model.time.start)
        end = math.floor(_parse_time(self.end, "end") if self.end else model.time.end)
        days = end - start + 1
        limits.check_span(days, days * self.frames_per_day)
        return start + np.arange(max(days, 0) * self.frames_per_day) / self.frames_per_day

    def worker_count(self, frames: int, cpus: int | None = None) -> int:
        """``workers``, or for AUTO: 1 on ≤ 2 cores or for a short export, else one worker per
        ``FRAMES_PER_WORKER`` frames, at most one per core but one (the writer's) and 8."""
        if self.workers != AUTO:
            return self.workers
        cpus = cpus or available_cpus()
        if cpus <= 2 or frames < SHORT_EXPORT:
            return 1
        return max(1, min(cpus - 1, frames // FRAMES_PER_WORKER, MAX_AUTO_WORKERS))

    def may_use_workers(self, cpus: int | None = None) -> bool:
        """Whether ``worker_count`` can come out above 1 for some length of export (then the
        workers' server is worth starting early: on 2 cores ``auto`` never uses one)."""
        if self.workers != AUTO:
            return self.workers > 1
        return (cpus or available_cpus()) > 2

    def make_camera(self, default_view, source: str | Path | None = None) -> Camera:
        try:
            if self.camera:
                keys = [ViewKey(_parse_time(k["date"], "camera date", source), tuple(k["extent"]),
                                k.get("ease", "in-out")) for k in self.camera]
                return Camera(keys)
            return Camera.fixed(tuple(self.view) if self.view else default_view)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ExportError(f"camera: each key needs a date and an extent [xmin, ymin, xmax, ymax], "
                              f"optionally an ease ({exc})", source) from None

    def apply_to(self, model: ViewerModel) -> None:
        """Set the map furniture switches on ``model``."""
        model.set_options(caption=self.caption, caption_format=self.caption_format, legend=self.legend,
                          scale_bar=self.scale_bar, north_arrow=self.north_arrow, credits=self.credits,
                          labels=self.labels, chinese_names=self.chinese_names)

    def look(self):
        """The renderer's FrameLook of these settings."""
        from terrain_viewer.core.render.furniture import FrameLook

        fade = self.effective_fade()
        return FrameLook(font_family=self.font_family, legend_corner=self.legend_corner or None,
                         legend_form=self.legend_form, fade_days=fade,
                         fade_lead=1.0 / self.frames_per_day if fade else 0.0)

    def effective_fade(self) -> float:
        """``fade_days``, or 0 when the fade is shorter than one frame step: at one frame a day a
        fade would only hide an event's first (and only) frame, so a cut it is."""
        fade = float(self.fade_days)
        return fade if fade * self.frames_per_day >= 1.0 else 0.0


def dated_camera(keys: list, data: dict, source: str | Path | None = None) -> list:
    """Camera keys by date; keys of older files by ``frame`` (map frame number) or ``fraction``
    (0..1 of the range, first to last frame) are converted to the date they fell on, so changing
    the range later keeps each move on its date."""
    if not any(isinstance(k, dict) and "date" not in k and ("frame" in k or "fraction" in k) for k in keys):
        return keys
    fpd = data.get("frames_per_day", 4)
    start, end = data.get("start"), data.get("end")
    if not (isinstance(fpd, int) and fpd > 0 and start and end):
        raise ExportError("camera keys by frame or fraction need start, end and frames_per_day", source)
    first = math.floor(_parse_time(start, "start", source))
    frames = (math.floor(_parse_time(end, "end", source)) - first + 1) * fpd
    out = []
    for key in keys:
        if not isinstance(key, dict) or "date" in key or not ("frame" in key or "fraction" in key):
            out.append(key)
            continue
        key = dict(key)
        where = key.pop("frame") if "frame" in key else key.pop("fraction") * max(frames - 1, 0)
        if isinstance(where, bool) or not isinstance(where, int | float) or not math.isfinite(where):
            raise ExportError(f"camera: frame/fraction must be a number, got {limits.short(where)}", source)
        key["date"] = iso_time(first + where / fpd)
        out.append(key)
    return out


def iso_time(t: float) -> str:
    """A float day as ISO 8601: the date, with the time of day when it is not midnight."""
    from terrain_viewer.core.temporal.timeline import to_datetime

    moment = to_datetime(t)
    if moment.hour == moment.minute == moment.second == 0:
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def available_cpus() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def is_settings_file(path: str | Path) -> bool:
    """Whether ``path`` holds export settings of ours: a small JSON object with our ``kind``, or
    (written before the marker) only known setting names."""
    path = Path(path)
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    if not isinstance(data, dict) or not data:
        return False
    if "kind" in data:
        return data["kind"] == KIND
    return set(data) <= {f.name for f in fields(ExportSettings)}


def _parse_time(text: str, name: str, source: str | Path | None = None) -> float | None:
    try:
        parsed = parse_iso(text)
    except (ValueError, TypeError, OverflowError):
        day = read_day(text) if isinstance(text, str) else None  # "14 July 1944", as the window takes
        if day is None:
            why = month_days(text[:200]) if isinstance(text, str) else ""
            raise ExportError(f"{name} {limits.short(text)} is not a date{why}; give an ISO 8601 date "
                              "(e.g. 1944-07-11)", source) from None
        return day_number(day)
    return None if parsed is None else parsed[0]


def output_limits(fmt: str) -> dict[str, str]:
    """For each extra output (``png_frames``, ``subtitles``, ``transparent``), why format ``fmt``
    cannot have it, or '' when it can: the one rule the export applies and its dialog offers."""
    return {"png_frames": "" if fmt in VIDEOS else "the frames are PNG files already",
            "subtitles": "" if fmt in SUBTITLED else "only beside an MP4 or a .mov",
            "transparent": "" if fmt in TRANSPARENT else "needs PNG frames or a .mov (ProRes 4444)"}


def output_format(out: Path, settings: ExportSettings) -> str:
    """png | mp4 | gif | mov from the settings or the output name (a name without a suffix is a folder)."""
    if settings.format:
        return settings.format
    suffix = out.suffix.lower().lstrip(".")
    if suffix in ("mp4", "gif", "mov"):
        return suffix
    if suffix in ("", "png") or out.is_dir():
        return "png"
    raise ExportError(f"cannot tell the format from '.{suffix}': use a folder (PNG frames), "
                      ".mp4, .gif or .mov (ProRes 4444)", out)
