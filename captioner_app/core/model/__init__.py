"""The model: the CaptionEngine protocol, the local Molmo2 engine, prompts per detail level, hub download.

Only molmo.py imports torch or transformers. May import: core.media, core.timing and the base modules."""

from __future__ import annotations

from captioner_app.core.model.engine import CaptionEngine, EngineOptions


def load_engine(options: EngineOptions | None = None) -> CaptionEngine:
    """Load the Molmo2 engine (imports torch and transformers on first use), or connect to the model
    servers in ``options.engine`` (docs/remote.md)."""
    options = options or EngineOptions()
    if options.engine:
        from captioner_app.core.model.remote import RemoteEngine

        return RemoteEngine.load(options)
    from captioner_app.core.model.molmo import MolmoEngine

    return MolmoEngine.load(options)
