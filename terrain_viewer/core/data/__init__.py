"""Reading and validating data: vector readers, layers, rasters, tiles, the built-in data."""
