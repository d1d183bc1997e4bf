"""Preloaded by the export workers' forkserver (see ``export._pool``): it loads milsymbol's symbol
tables (~0.4 s of JSON) once, and every worker forked from it shares them instead of each loading
its own before the first frame. Importing this module anywhere else costs that time, so don't.
"""

from __future__ import annotations

from terrain_viewer.core.render.symbols import unit_symbol

unit_symbol("10031000001211000000")  # a friendly infantry unit: any valid SIDC loads the tables
