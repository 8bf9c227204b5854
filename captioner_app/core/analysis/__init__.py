"""Analysis of a video's sound and picture: speech (silero-vad), shot changes (PySceneDetect), the cached
:class:`Analysis` of a file, and the waveform envelopes cached beside it.

May import: core.media, core.timing and the base modules."""
