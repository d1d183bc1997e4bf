"""CLI commands that render: ``render`` (one frame) and ``export`` (added with the exporter)."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register render/export sub-commands (filled in by the renderer and exporter)."""
