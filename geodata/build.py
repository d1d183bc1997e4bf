#!/usr/bin/env python
"""Thin entry point kept so ``python geodata/build.py [--out DIR]`` still works.

The build lives in the package ``geodata/builder/`` (``python -m geodata.builder``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geodata.builder import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
