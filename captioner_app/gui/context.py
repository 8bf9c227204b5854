"""What the session's parts (:class:`~captioner_app.gui.captioning.Jobs`,
:class:`~captioner_app.gui.playback.Playback`, :class:`~captioner_app.gui.narration.Narration`) need of the
session, as a protocol, so they do not import the module that builds them (no import circle)."""

from __future__ import annotations

from typing import Any, Protocol

from captioner_app.gui.document import Document
from captioner_app.gui.preferences import Settings
from captioner_app.gui.workers import WorkerPool


class SessionContext(Protocol):
    pool: WorkerPool
    settings: Settings
    doc: Document | None  # the active document
    documents: list[Document]
    messages: list[str]
    status: Any  # Signal(str): a passing notice

    @property
    def position(self) -> int: ...

    def report(self, message: str, title: str = "Problem") -> None: ...

    def note(self, message: str) -> None: ...
