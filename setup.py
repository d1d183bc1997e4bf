"""Build hook: put the built-in data and the window's resources into the wheel.

Everything else is in pyproject.toml. In the repository the data stays in ``geodata/`` and the
style sheet and icon in ``resources/`` (where an editable install finds them); a wheel carries
copies as ``terrain_viewer/data/`` and ``terrain_viewer/resources/``, the places
``terrain_viewer/core/data/builtin.py`` and ``terrain_viewer/gui/resources.py`` look first.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# (source in the repository, destination inside the terrain_viewer package)
SHIPPED = [
    (ROOT / "geodata" / "hengyang_1944.gpkg", "data/hengyang_1944.gpkg"),
    (ROOT / "geodata" / "hengyang_dem.tif", "data/hengyang_dem.tif"),
    *((p, f"resources/{p.relative_to(ROOT / 'resources').as_posix()}")
      for p in sorted((ROOT / "resources").rglob("*")) if p.is_file()),
]


class BuildWithData(build_py):
    """build_py that also copies SHIPPED into the build tree (not for editable installs)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads geodata/ and resources/ in place
        for source, target in SHIPPED:
            if not source.is_file():
                raise SystemExit(f"setup.py: {source} is missing (run python -m geodata.builder)")
            dest = Path(self.build_lib) / "terrain_viewer" / target
            self.mkpath(str(dest.parent))
            self.copy_file(str(source), str(dest))


setup(cmdclass={"build_py": BuildWithData})
