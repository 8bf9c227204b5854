"""Timing: the one :class:`Span` type, window planning, placement into gaps or shots, the narration budget.

Pure arithmetic on integer milliseconds. May import: the base modules only."""
