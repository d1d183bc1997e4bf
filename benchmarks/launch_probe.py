"""A cold start of the real window on the built-in data, for ``run.py launch_to_first_paint``.

Prints ``painted <monotonic seconds> <peak RSS MB>`` once the map canvas has painted its first
frame, then exits at once (no teardown). ``time.monotonic`` is system-wide, so the parent can
subtract the moment it spawned this process.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from terrain_viewer.gui.app import create_window

    app = QApplication([sys.argv[0]])
    window = create_window([])

    def painted() -> None:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"painted {time.monotonic():.6f} {rss:.1f}", flush=True)
        os._exit(0)

    window.canvas.rendered.connect(lambda: QTimer.singleShot(0, painted))  # after the paint event ends
    window.resize(1600, 1000)
    window.show()
    QTimer.singleShot(60_000, lambda: os._exit(1))
    app.exec()


if __name__ == "__main__":
    main()
