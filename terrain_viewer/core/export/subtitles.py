"""Subtitles of an export's events: SRT and WebVTT cues (date and title) timed to the frames on
which each event is drawn, written beside the video."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from terrain_viewer.core.common.atomic import atomic_write_text
from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.temporal.timeline import to_date

SUFFIXES = (".srt", ".vtt")


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str


def event_layers(model: ViewerModel, only: list[str] | None = None) -> list:
    """The visible event layers (role "events") of the session (of ``only``, when given)."""
    shown = {s.name for s in model.layer_states if s.visible and (only is None or s.name in only)}
    return [layer for layer in model.dataset.layers if layer.name in shown
            and getattr(layer, "data_role", layer.source_layer) == "events"]


def cues(model: ViewerModel, times: np.ndarray, fps: float, first_frame: int = 0,
         only: list[str] | None = None) -> list[Cue]:
    """Cues of the events drawn on the frames (frame ``first_frame + k`` shows ``times[k]``): a new
    cue wherever the events shown change, listing each shown event on a line (its first date and
    title). Cues never overlap: some players show only one of two at once."""
    shown: list[list[str]] = [[] for _ in times]
    for layer in event_layers(model, only):
        active: dict[object, list[int]] = {}
        titles: dict[object, str] = {}
        for k, t in enumerate(times):
            gdf = layer.features_at(float(t))
            ids = gdf["feature_id"] if "feature_id" in gdf.columns else gdf.index
            for key, title in zip(ids, _titles(gdf), strict=True):
                active.setdefault(key, []).append(k)
                titles[key] = title
        for key, frames in active.items():
            for lo, hi in _runs(frames):
                day = to_date(float(times[lo])).strftime("%-d %B %Y")
                line = f"{day} — {titles[key]}" if titles[key] else day
                for k in range(lo, hi + 1):
                    shown[k].append(line)
    out, start, last = [], 0, ()
    for k, lines in enumerate([*shown, []]):
        now = tuple(dict.fromkeys(lines))
        if now != last:
            if last:
                out.append(Cue((first_frame + start) / fps, (first_frame + k) / fps, "\n".join(last)))
            start, last = k, now
    return out


def _titles(gdf) -> list[str]:
    """Each row's title: its first non-blank ``title``, ``name_en`` or ``name`` (read by column:
    ``itertuples`` over every column, geometry included, cost more than the rest of the cues)."""
    columns = [gdf[name].tolist() for name in ("title", "name_en", "name") if name in gdf.columns]
    return [next((v.strip() for v in values if isinstance(v, str) and v.strip()), "")
            for values in zip(*columns, strict=True)] if columns else [""] * len(gdf)


def _runs(frames: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs (first, last) of sorted frame numbers."""
    out: list[tuple[int, int]] = []
    for f in frames:
        if out and f == out[-1][1] + 1:
            out[-1] = (out[-1][0], f)
        else:
            out.append((f, f))
    return out


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt(items: list[Cue]) -> str:
    return "".join(f"{i}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{c.text}\n\n"
                   for i, c in enumerate(items, 1))


def webvtt(items: list[Cue]) -> str:
    return "WEBVTT\n\n" + "".join(f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{c.text}\n\n"
                                   for c in items)


def subtitle_paths(video: Path) -> list[Path]:
    """The subtitle files written beside ``video``."""
    return [video.with_suffix(suffix) for suffix in SUFFIXES]


def check_free(video: Path, overwrite: bool) -> None:
    """Refuse (before rendering) subtitle files that exist, unless ``overwrite``."""
    for path in subtitle_paths(video):
        if path.exists() and not overwrite:
            raise ExportError("already exists; choose another name or allow overwriting (--overwrite)", path)


def write_subtitles(video: Path, items: list[Cue]) -> list[Path]:
    """Write ``video``.srt and ``video``.vtt atomically; return their paths."""
    srt_path, vtt_path = subtitle_paths(video)
    atomic_write_text(srt_path, srt(items), error=ExportError)
    atomic_write_text(vtt_path, webvtt(items), error=ExportError)
    return [srt_path, vtt_path]
