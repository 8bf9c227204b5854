"""Helpers that build test media and a tiny Molmo2 for tests and benchmarks (never used in production)."""
