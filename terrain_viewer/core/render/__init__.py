"""Drawing a date onto a matplotlib Figure: renderer, styles, symbols, terrain, furniture."""

LOGGER = __name__  # the renderer's modules log under it: its warnings are the user's drawing problems
