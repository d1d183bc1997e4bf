"""The core stays Qt-free: import-linter's contract holds and importing the core loads no Qt."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_import_linter_contract_holds():
    result = subprocess.run(["lint-imports"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_core_modules_import_without_qt():
    code = (
        "import pkgutil, importlib, sys, terrain_viewer.core as c\n"
        "for m in pkgutil.iter_modules(c.__path__):\n"
        "    importlib.import_module('terrain_viewer.core.' + m.name)\n"
        "import terrain_viewer.cli\n"
        "assert not any(k.startswith('PyQt6') for k in sys.modules), 'Qt was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
