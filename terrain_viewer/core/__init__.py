"""Qt-free core: loading, time, tracks, styling, rendering and export."""
