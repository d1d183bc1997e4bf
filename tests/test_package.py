"""The wheel is a real package: it carries the built-in data, the icon and the style sheet, and an
installed copy finds them (the app must not say the built-in data is missing).

The wheel is built from a copy of what an sdist holds (MANIFEST.in), so a stale ``build/`` in the
working tree cannot leak into it and the build writes nothing into the repository.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["pyproject.toml", "setup.py", "README.md", "MANIFEST.in", "LICENSE", "NOTICE", "terrain_viewer",
           "resources", "geodata/hengyang_1944.gpkg", "geodata/hengyang_dem.tif"]
IN_WHEEL = ["terrain_viewer/data/hengyang_1944.gpkg", "terrain_viewer/data/hengyang_dem.tif",
            "terrain_viewer/resources/icons/terrain_viewer.svg",
            "terrain_viewer/resources/styles/terrain_viewer.qss",
            "terrain_viewer/resources/symbols/manifest.json"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheel")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        path, dest = ROOT / name, src / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, dest, ignore=ignore)
        else:
            shutil.copy2(path, dest)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                          "--disable-pip-version-check", "-q", ".", "-w", str(out)],
                         cwd=src, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    (whl,) = out.glob("terrain_viewer-*.whl")
    return whl


def test_wheel_holds_data_icon_and_style_sheet(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in IN_WHEEL:
        assert name in names, name
    assert not any(n.startswith(("geodata/", "tests/", "benchmarks/")) for n in names)
    with zipfile.ZipFile(wheel) as zf:
        gpkg = zf.read("terrain_viewer/data/hengyang_1944.gpkg")
    assert gpkg == (ROOT / "geodata" / "hengyang_1944.gpkg").read_bytes()


def test_wheel_metadata_declares_the_imports(wheel):
    with zipfile.ZipFile(wheel) as zf:
        meta = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    required = {line.split(":", 1)[1].strip().split(">")[0].split(";")[0].strip().lower()
                for line in meta.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line}
    for name in ("pyqt6", "pillow", "affine", "pandas", "geopandas", "rasterio", "milsymbol"):
        assert name in required, name
    assert "pyyaml" not in required  # only the data build needs it: the 'build' extra
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(d.startswith("pyyaml") for d in extras["build"])
    assert {"pyyaml", "scipy"} <= {d.split(">")[0].lower() for d in extras["test"]}
    assert "terrain-viewer = terrain_viewer.cli:console_main" in zipfile.ZipFile(wheel).read(
        next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("entry_points.txt"))).decode()


def test_unpacked_wheel_finds_its_builtin_data_and_resources(wheel, tmp_path):
    """Run from the unpacked wheel (not the repository): the paths point inside it."""
    zipfile.ZipFile(wheel).extractall(tmp_path)
    code = (f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
            "import terrain_viewer\n"
            "from terrain_viewer.core.data.builtin import builtin_paths\n"
            "from terrain_viewer.core.render.symbol_cache import shipped_dir\n"
            "print(terrain_viewer.__file__); [print(p) for p in builtin_paths()]; print(shipped_dir())\n")
    run = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.split()
    assert lines[0].startswith(str(tmp_path)), lines
    assert [Path(p).relative_to(tmp_path).as_posix() for p in lines[1:3]] == IN_WHEEL[:2]
    assert Path(lines[3]) == tmp_path / "terrain_viewer" / "resources" / "symbols"  # the shipped symbols
    assert (tmp_path / "terrain_viewer" / "resources" / "styles" / "terrain_viewer.qss").is_file()


def test_desktop_entry_and_mime_type_agree():
    """packaging/: the menu entry opens .tvproj files, whose MIME type the XML defines."""
    import configparser
    import xml.etree.ElementTree as ET

    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "packaging" / "terrain-viewer.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"] == "terrain-viewer %F"
    assert desktop["Icon"] == "terrain-viewer"
    mime_types = [m for m in desktop["MimeType"].split(";") if m]
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(ROOT / "packaging" / "terrain-viewer-mime.xml").getroot()
    defined = {t.get("type"): [g.get("pattern") for g in t.findall("m:glob", ns)]
               for t in root.findall("m:mime-type", ns)}
    assert mime_types == ["application/x-terrain-viewer-project"]
    assert defined == {"application/x-terrain-viewer-project": ["*.tvproj"]}
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "terrain-viewer" in scripts  # what Exec runs
