"""A killed export (the process dies mid-way) leaves nothing that looks like a finished output."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.parametrize("name", ["frames", "battle.mp4"])
def test_killing_an_export_midway_leaves_no_finished_looking_output(tmp_path: Path, name: str):
    out = tmp_path / name
    command = [sys.executable, "-m", "terrain_viewer.cli", "export", "--from", "1944-06-23", "--to",
               "1944-08-08", "--frames-per-day", "24", "--size", "320x180", "--workers", "1", "--quiet",
               "--out", str(out)]
    exporter = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and exporter.poll() is None:
        partial = [p for p in tmp_path.iterdir() if ".partial" in p.name]
        grown = partial and (len(list(partial[0].iterdir())) > 3 if partial[0].is_dir()
                             else partial[0].stat().st_size > 0)  # ffmpeg has begun writing the video
        if grown:
            break
        time.sleep(0.05)
    assert exporter.poll() is None, exporter.stderr.read().decode()[-500:]  # still writing frames
    exporter.send_signal(signal.SIGKILL)
    exporter.wait(30)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert not out.exists()
    assert left and all(n.startswith(".") and ".partial" in n for n in left)  # hidden, clearly unfinished
