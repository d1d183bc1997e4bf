"""No orphans: kill -9 of an export with worker processes leaves no process behind (the workers,
their forkserver, the resource tracker, ffmpeg), and none of them prints a traceback."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of ``pid`` from /proc, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[0], int(fields[19])


def descendants(root: int) -> dict[int, int]:
    """Every process below ``root``: pid → start time."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (info := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = info
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _state, start) in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = start
                frontier.append(pid)
    return found


def running(processes: dict[int, int]) -> list[int]:
    """Those of ``processes`` still running (the same process, not a zombie or a reused pid)."""
    alive = []
    for pid, start in processes.items():
        info = _stat(pid)
        if info is not None and info[2] == start and info[1] not in ("Z", "X"):
            alive.append(pid)
    return alive


def test_kill_9_of_an_export_with_two_workers_leaves_no_process_and_no_traceback(tmp_path: Path):
    command = [sys.executable, "-m", "terrain_viewer.cli", "export", "--from", "1944-06-23", "--to",
               "1944-08-08", "--frames-per-day", "24", "--size", "320x180", "--workers", "2",
               "--out", str(tmp_path / "battle.mp4")]
    exporter = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
    err = bytearray()
    reader = threading.Thread(target=_drain, args=(exporter.stderr, err), daemon=True)
    reader.start()
    children: dict[int, int] = {}
    try:
        deadline = time.monotonic() + 120
        while b"frame 40/" not in err and exporter.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # frames 1-40 come from the workers: they are up and rendering
        assert exporter.poll() is None, err.decode(errors="replace")[-500:]
        children = descendants(exporter.pid)
        assert len(children) >= 3, children  # the forkserver, two workers, the resource tracker, ffmpeg
        before = len(err)
        exporter.send_signal(signal.SIGKILL)
        exporter.wait(10)
        deadline = time.monotonic() + 10
        while running(children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert running(children) == []
        reader.join(10)  # EOF: nothing holds the exporter's stderr any more
        assert not reader.is_alive()
        after = err[before:].decode(errors="replace")
        assert "Traceback" not in after and "Error" not in after, after
    finally:
        for pid in running(children):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):  # the exporter's own process group
            os.killpg(exporter.pid, signal.SIGKILL)
        if exporter.poll() is None:
            exporter.kill()
        exporter.wait(10)
        exporter.stderr.close()


def _drain(stream, sink: bytearray) -> None:
    while chunk := stream.read1(4096):
        sink.extend(chunk)
