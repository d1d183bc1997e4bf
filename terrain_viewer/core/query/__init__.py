"""Questions about the map at a time: what is under a point, a day's events."""
