"""Errors a user can act on. Each message is one line naming the thing and the reason."""

from __future__ import annotations


def one_line(err: BaseException, limit: int = 160) -> str:
    """The reason an exception gives, on one line: its OS text if any, else its message, else its type."""
    text = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return " ".join(str(text).split())[:limit]


class CaptionerError(Exception):
    """Base class: ``str(err)`` is a one-line message fit for a terminal or a dialog."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class UsageError(CaptionerError):
    """A wrong option or combination of options."""

    exit_code = 2


class VideoError(CaptionerError):
    """The file is missing, unreadable, not a video, broken or truncated."""

    exit_code = 3


class ModelError(CaptionerError):
    """The model cannot be found, fetched or loaded."""

    exit_code = 4


class ModelUnavailableError(ModelError):
    """The model is not on this computer and cannot be fetched now, or its folder is not a usable model
    (the app then offers to download it or to choose a folder)."""


class TrackError(CaptionerError):
    """A subtitle or track file cannot be read or written."""

    exit_code = 5


class CancelledError(CaptionerError):
    """The user cancelled the run."""

    exit_code = 130

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


class OutOfMemoryError(CaptionerError):
    """The device ran out of memory even at batch size one."""

    exit_code = 4


class EngineDiedError(ModelError):
    """The process running the model (or the analysis) died: killed, crashed or out of memory."""
