"""terrain_viewer: a desktop GIS battle-terrain viewer (Qt-free core in ``core``, Qt in ``gui``)."""

__version__ = "0.1.0"
