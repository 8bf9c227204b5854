"""Offline audio-description tracks for video, written by the Molmo2 vision-language model."""

__version__ = "0.1.0"
