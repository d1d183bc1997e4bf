"""Screenshots of a researcher's own data beside the Hengyang session (docs/screenshots/own_data_*.png).

Run from the repository: ``QT_QPA_PLATFORM=offscreen python3 docs/screenshots/make_own_data.py``.
It builds the test scenario (tests/core/own_data.py) in a temporary folder, opens it through the
real window's File ▸ Open, and grabs the window: the place warning, the battle zoomed to in its UTM
zone on 5 January 1943 with units labelled from ``callsign``, and the Chinese layer near Hengyang.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tests" / "core"))

from own_data import CN_LAYER, make_battle, make_chinese  # noqa: E402
from PyQt6.QtWidgets import QApplication, QFileDialog  # noqa: E402

from terrain_viewer.core.data.builtin import builtin_paths  # noqa: E402
from terrain_viewer.core.model import ViewerModel  # noqa: E402
from terrain_viewer.core.temporal.timeline import day_number  # noqa: E402
from terrain_viewer.gui.main_window import QtMainWindow  # noqa: E402


def grab(window: QtMainWindow, name: str) -> None:
    QApplication.processEvents()
    window.canvas.wait_settled()
    QApplication.processEvents()
    window.grab().save(str(HERE / name))
    print("wrote", HERE / name)


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    folder = Path(tempfile.mkdtemp())
    files = [str(make_battle(folder)), str(make_chinese(folder))]
    model = ViewerModel.open(builtin_paths())
    model.time.set_date("1944-07-11")
    window = QtMainWindow(model)
    window.resize(1500, 950)
    window.show()
    QFileDialog.getOpenFileNames = staticmethod(lambda *a, **k: (files, ""))
    window.open_action.trigger()
    grab(window, "own_data_warning.png")
    model = window.model
    model.set_style(CN_LAYER, label_size=11.0)
    x0, y0, x1, y1 = model.layer_extent(CN_LAYER)
    model.set_view((x0 - 2500, y0 - 1800, x1 + 2500, y1 + 1800))
    grab(window, "own_data_chinese.png")
    window.place_bar.zoom_to()
    model = window.model
    model.set_label_field("units (river_battle_1943)", "callsign")
    model.time.set_t(day_number(dt.date(1943, 1, 5)))
    window.layer_panel.select("units (river_battle_1943)")
    grab(window, "own_data_utm33_1943-01-05.png")
    window.close()
    app.quit()


if __name__ == "__main__":
    main()
