"""Frame sequences and video: settings, frames, workers, writers."""
