"""Atomic file writes and tolerant text decoding."""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from captioner_app.core.errors import CaptionerError, TrackError


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that the file is either the old one or the new one, never half.

    A temporary file beside the target is written, flushed and fsynced, then renamed over it.
    Any failure (full disk, no permission, missing folder) leaves the old file untouched.
    """

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            handle.write(data)

    return atomic_write_file(path, write)


def atomic_write_file(path: str | os.PathLike[str], write: Callable[[str], None]) -> Path:
    """:func:`atomic_write_bytes` for writers that need a file name (a muxer, an encoder):
    ``write(tmp)`` fills a temporary beside ``path`` (its name ends in ``.tmp``: give writers that
    guess the format from the name the format), which is then fsynced and renamed over ``path``.

    Whatever ``write`` raises (an error, a cancel) leaves no temporary and the old file untouched;
    an ``OSError`` becomes one :class:`TrackError` line naming the file and the reason.
    """
    target = Path(path)
    folder = _writable_place(target, "cannot write")
    remove_stale_temporaries(target)
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=folder)
        os.close(fd)
        write(tmp)
        with open(tmp, "rb+") as handle:
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
        raise TrackError(f"{target}: cannot write ({_reason(err)}); any existing file is unchanged") from None
    finally:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return target


def _writable_place(target: Path, cannot: str) -> Path:
    """The folder ``target`` is written in; :class:`TrackError` (``"TARGET: CANNOT, why"``) when that
    folder is missing or ``target`` is a folder."""
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise TrackError(f"{target}: {cannot}, the folder {folder} does not exist")
    if target.is_dir():
        raise TrackError(f"{target}: {cannot}, it is a folder")
    return folder


def _reason(err: OSError) -> str:
    return "the disk is full" if disk_full(err) else (err.strerror or str(err))


STALE_AFTER_S = 600.0  # a temporary whose writer cannot be identified is stale once this old


def _temp_prefix(target: Path) -> str:
    """Our temporaries beside ``target``: ``.NAME.PID.random.tmp``, so a later write can tell
    whether the process that made one is gone (killed mid-write) and remove it."""
    return f".{target.name}.{os.getpid()}."


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # cannot tell cheaply: rely on the age rule
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(target: str | os.PathLike[str]) -> list[Path]:
    """Delete temporaries an earlier, interrupted write to ``target`` left beside it: those whose
    process is gone, and unattributable ones older than :data:`STALE_AFTER_S`. Returns them."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    prefix = f".{target.name}."
    removed: list[Path] = []
    try:
        candidates = [p for p in folder.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]
    except OSError:
        return removed
    now = time.time()
    for candidate in candidates:
        middle = candidate.name[len(prefix) : -len(".tmp")]
        pid_text = middle.split(".", 1)[0]
        try:
            if not candidate.is_file():
                continue
            if middle.count(".") == 1 and pid_text.isdigit():
                stale = not _alive(int(pid_text))
            elif "." not in middle:  # written before temporaries carried their process id
                stale = now - candidate.stat().st_mtime > STALE_AFTER_S
            else:  # another file's temporary (NAME.bak beside NAME)
                continue
            if stale:
                candidate.unlink()
                removed.append(candidate)
        except OSError:
            continue
    return removed


def check_writable(path: str | os.PathLike[str], what: str = "the output") -> None:
    """Raise :class:`TrackError` now, before any work, when ``path`` could not be written later:
    its folder is missing or not writable (a test file is made and removed), or it is a folder."""
    target = Path(path)
    folder = _writable_place(target, f"cannot write {what}")
    try:
        fd, probe = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=folder)
    except OSError as err:
        raise TrackError(f"{target}: cannot write {what} there ({_reason(err)}); nothing was started") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def disk_full(err: BaseException) -> bool:
    """Whether ``err`` says the disk (or the user's quota) is full: an OSError or SQLite's SQLITE_FULL."""
    if isinstance(err, OSError):
        return err.errno in (errno.ENOSPC, errno.EDQUOT)
    code = getattr(err, "sqlite_errorcode", None)
    return code == 13 or "database or disk is full" in str(err)  # 13: SQLITE_FULL


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and parents) readable by this user only (700); an existing folder is made so."""
    folder = Path(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        with contextlib.suppress(OSError):
            os.chmod(folder, 0o700)
    return folder


def private_file(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` if missing, and make it readable by this user only (600)."""
    target = Path(path)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    if target.stat().st_mode & 0o077:
        with contextlib.suppress(OSError):
            os.chmod(target, 0o600)
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(path, text.encode(encoding))


def read_bytes(
    path: str | os.PathLike[str], what: str, error: type[CaptionerError] = TrackError, max_bytes: int | None = None
) -> bytes:
    """A regular file's bytes, or ``error`` with one line: missing, a folder, not a regular file (a
    pipe, a device: never waited on or read endlessly), over ``max_bytes``, unreadable. ``what``
    names the kind of file expected ("a track file", "a project file")."""
    p = Path(path)
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not hang; the mode check follows on the handle
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except IsADirectoryError:
        raise error(f"{p}: is a folder, not {what}") from None
    except OSError as err:
        raise error(f"{p}: cannot be read ({err.strerror or err})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{p}: is a folder, not {what}")
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a pipe"
                if stat.S_ISFIFO(info.st_mode)
                else "a device"
                if (stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode))
                else "a socket or other special file"
            )
            raise error(f"{p}: is {kind}, not a regular file; only files can be read as {what}")
        if max_bytes is not None and info.st_size > max_bytes:
            raise error(f"{p}: the file is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit for {what}")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
        if max_bytes is not None and len(data) > max_bytes:  # grew while being read
            raise error(f"{p}: the file is over the {max_bytes:,}-byte limit for {what}")
        return data
    except OSError as err:
        raise error(f"{p}: cannot be read ({err.strerror or err})") from None
    finally:
        os.close(fd)


def decode_text(data: bytes, name: str = "file") -> tuple[str, str]:
    """Decode subtitle bytes of unknown encoding: BOMs, UTF-8, UTF-16 without BOM, then cp1252.

    Returns ``(text, encoding)``; line ends are normalised to ``\\n``.
    """
    # UTF-32's marks first: the little-endian one begins with UTF-16's (FF FE)
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
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
