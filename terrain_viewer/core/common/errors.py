"""The project's own error type: every message names the file, the layer and the problem."""

from __future__ import annotations

from pathlib import Path


class TerrainViewerError(Exception):
    """A problem with user input or the environment that the user can act on."""

    def __init__(self, problem: str, file: str | Path | None = None, layer: str | None = None):
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.layer = layer
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line: ``file: layer 'x': problem``."""
        where = []
        if self.file:
            where.append(self.file)
        if self.layer:
            where.append(f"layer '{self.layer}'")
        prefix = ": ".join(where)
        return one_line(f"{prefix}: {self.problem}" if prefix else self.problem)


def counted(n: int, noun: str) -> str:
    """``1 feature``, ``2 features``: a count in a message, its noun in the right number."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def one_line(text: str) -> str:
    """``text`` safe for one terminal line: control characters (newlines included) escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class DataError(TerrainViewerError):
    """A file or layer could not be read or makes no sense."""


class ExportError(TerrainViewerError):
    """An export could not be completed."""


class ProjectError(TerrainViewerError):
    """A project file could not be read or written."""
