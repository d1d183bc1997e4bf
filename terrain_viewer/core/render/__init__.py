"""Drawing a date onto a matplotlib Figure: renderer, styles, symbols, terrain, furniture."""
