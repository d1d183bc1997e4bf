"""Open the real window on the built-in Hengyang data at a few dates and save PNGs beside this script.

    python docs/screenshots/make_screenshots.py                 # offscreen when there is no display
    xvfb-run -a python docs/screenshots/make_screenshots.py xvfb   # through a real X server, prefix "xvfb"
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PyQt6.QtWidgets import QApplication  # noqa: E402

from terrain_viewer.gui.app import create_window  # noqa: E402

HERE = Path(__file__).resolve().parent
SIZE = (1600, 1000)
DATES = ("1944-06-23", "1944-07-11", "1944-08-06")


def _save(app: QApplication, window, name: str) -> Path:
    app.processEvents()
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
    window.close()
    return saved


if __name__ == "__main__":
    main(*sys.argv[1:2])
