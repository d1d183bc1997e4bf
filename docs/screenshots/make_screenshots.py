"""Open the real window on the built-in Hengyang data at a few dates and save PNGs beside this script.

    python docs/screenshots/make_screenshots.py                 # offscreen when there is no display
    xvfb-run -a python docs/screenshots/make_screenshots.py xvfb   # through a real X server, prefix "xvfb"
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="tv-shots-")  # a first start: no remembered docks

from PyQt6.QtWidgets import QApplication  # noqa: E402

from terrain_viewer.gui.app import create_window  # noqa: E402

HERE = Path(__file__).resolve().parent
SIZE = (1600, 1000)
DATES = ("1944-06-23", "1944-07-11", "1944-08-06")


def _save(app: QApplication, window, name: str) -> Path:
    app.processEvents()
    canvas = getattr(window, "canvas", None)  # a dialog has none: its preview renders at once
    if canvas is not None and not canvas.wait_settled():  # the map renders on a thread: wait for it
        raise RuntimeError(f"{name}: the map did not finish rendering")
    panel = getattr(window, "events_panel", None)  # lists the day's events 120 ms after the date
    deadline = time.monotonic() + 5
    while panel is not None and not panel.is_current() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    path = HERE / name
    tmp = path.with_name(f".{path.name}.tmp.png")
    if not window.grab().save(str(tmp)):
        raise OSError(f"{path}: could not write the screenshot")
    os.replace(tmp, path)
    print(path)
    return path


def _identify_gate(window) -> None:
    """Identify the first city gate (shows the Identify panel with source and confidence)."""
    gate = window.model.dataset.layer("gates").gdf.iloc[0].geometry
    window.set_tool("identify")
    window._on_map_clicked(gate.x, gate.y)


def main(prefix: str = "window") -> list[Path]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = create_window()
    window.resize(*SIZE)
    window.show()
    saved = []
    for date in DATES:
        window.model.time.set_date(date)
        saved.append(_save(app, window, f"{prefix}_{date}.png"))
    window.canvas.zoom_to_layer("city")
    window.model.time.set_date("1944-07-11")
    _identify_gate(window)
    saved.append(_save(app, window, f"{prefix}_identify_city.png"))
    saved.append(_swipe(app, window, prefix))
    saved.append(_export_dialog(app, window, prefix))
    window.close()
    return saved


TERRAIN = ("hengyang_dem", "water_areas", "rivers", "hills", "spot_heights", "flooded_fields")


def _swipe(app: QApplication, window, prefix: str) -> Path:
    """The swipe: the 1944 situation left of the divider, the bare terrain right of it."""
    model = window.model
    window.set_tool("pan")
    window.canvas.zoom_to_layer("defense_lines")
    model.time.set_date("1944-07-20")
    for name in TERRAIN:
        model.set_group(name, "terrain")
    model.set_swipe(enabled=True, position=0.55, right_group="terrain")
    path = _save(app, window, f"{prefix}_swipe.png")
    model.set_swipe(enabled=False, right_group="modern")
    for name in TERRAIN:
        model.set_group(name, "1944")
    return path


def _export_dialog(app: QApplication, window, prefix: str) -> Path:
    from terrain_viewer.gui.qt_export_dialog import ExportDialog

    window.model.set_view(window.model.full_extent())
    dialog = ExportDialog(window.model, window)
    dialog.title_edit.setText("The Siege of Hengyang")
    dialog.subtitle_edit.setText("23 June – 8 August 1944")
    dialog.resize(1150, 620)
    dialog.show()
    dialog.update_preview()
    path = _save(app, dialog, f"{prefix}_export_dialog.png")
    dialog.close()
    return path


if __name__ == "__main__":
    main(*sys.argv[1:2])
