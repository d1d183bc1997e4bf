"""The code keeps its shape: import-linter's contracts hold, no import cycle, the core loads no Qt."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent


def test_import_linter_contracts_hold():
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    result = subprocess.run(["lint-imports"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    kept = re.search(r"Contracts: (\d+) kept, (\d+) broken", result.stdout)
    assert kept, result.stdout
    assert (int(kept[1]), int(kept[2])) == (len(contracts), 0), result.stdout
    assert any(c["type"] == "layers" for c in contracts)


def _cycle(graph: grimp.ImportGraph, modules: set[str]) -> list[str] | None:
    """One import cycle among ``modules`` (lazy imports included), or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for nxt in sorted(graph.find_modules_directly_imported_by(module) & modules):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(modules):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycle_anywhere():
    graph = grimp.build_graph("terrain_viewer")
    modules = {m for m in graph.modules if m.startswith("terrain_viewer")}
    # a package's __init__ importing its own children is not a cycle we mean
    cycle = _cycle(graph, modules)
    assert cycle is None, " -> ".join(cycle or [])


def test_core_modules_import_without_qt():
    code = (
        "import pkgutil, importlib, sys, terrain_viewer.core as c\n"
        "for m in pkgutil.walk_packages(c.__path__, 'terrain_viewer.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "import terrain_viewer.cli\n"
        "assert not any(k.startswith('PyQt6') for k in sys.modules), 'Qt was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
