"""Tracks: Cue and Track, the file formats (read and write, one module each), AD checks, project files.

May import: core.analysis, core.timing, core.media and the base modules (never core.model)."""
