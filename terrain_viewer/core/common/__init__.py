"""Errors, atomic files, temporary files and logging: what every other part stands on."""
