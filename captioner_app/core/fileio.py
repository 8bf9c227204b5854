"""Atomic file writes and tolerant text decoding."""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import tempfile
from pathlib import Path

from captioner_app.core.errors import CaptionerError, TrackError


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that the file is either the old one or the new one, never half.

    A temporary file beside the target is written, flushed and fsynced, then renamed over it.
    Any failure (full disk, no permission, missing folder) leaves the old file untouched.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise TrackError(f"{target}: cannot write, the folder {folder} does not exist")
    if target.is_dir():
        raise TrackError(f"{target}: cannot write, it is a folder")
    fd = -1
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
        tmp = ""
        with contextlib.suppress(OSError):
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except OSError as err:
        reason = "the disk is full" if err.errno in (errno.ENOSPC, errno.EDQUOT) else (err.strerror or str(err))
        raise TrackError(f"{target}: cannot write ({reason}); any existing file is unchanged") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(path, text.encode(encoding))


def read_bytes(path: str | os.PathLike[str], what: str, error: type[CaptionerError] = TrackError) -> bytes:
    """A file's bytes, or ``error`` with one line: missing, a folder, unreadable. ``what`` names the
    kind of file expected ("a track file", "a project file")."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except IsADirectoryError:
        raise error(f"{p}: is a folder, not {what}") from None
    except OSError as err:
        raise error(f"{p}: cannot be read ({err.strerror or err})") from None


def decode_text(data: bytes, name: str = "file") -> tuple[str, str]:
    """Decode subtitle bytes of unknown encoding: BOMs, UTF-8, UTF-16 without BOM, then cp1252.

    Returns ``(text, encoding)``; line ends are normalised to ``\\n``.
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16"), (codecs.BOM_UTF32_LE, "utf-32")):
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError as err:
                raise TrackError(f"{name}: damaged {enc} text at byte {err.start}") from None
            return _lf(text), enc.replace("-sig", "")
    if data[:2000].count(b"\x00") > len(data[:2000]) // 4:
        # UTF-16 without a byte-order mark: the zero bytes sit on the high side of ASCII
        even_zeros = data[0:2000:2].count(b"\x00")
        odd_zeros = data[1:2000:2].count(b"\x00")
        enc = "utf-16-le" if odd_zeros >= even_zeros else "utf-16-be"
        try:
            return _lf(data.decode(enc)), enc
        except UnicodeDecodeError:
            pass
    try:
        return _lf(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    return _lf(data.decode("cp1252", errors="replace")), "cp1252"


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
