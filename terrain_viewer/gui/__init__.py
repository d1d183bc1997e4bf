"""The PyQt6 desktop window. Thin: widgets read the ViewerModel and write back only through it."""
