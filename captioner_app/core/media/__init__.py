"""Media: one PyAV stream class, probing, frame sampling, preview decoding, audio decoding, URL inputs,
the waveform envelope.

May import: core.errors, core.fileio, core.timecode, core.vocab (nothing else of the core)."""
