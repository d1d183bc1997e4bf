"""Time: ISO 8601 dates, the per-day index, keyframed tracks and camera moves."""
