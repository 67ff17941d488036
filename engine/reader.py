"""The one bounded reader: every file Sprout reads goes through :func:`read_bytes`.

A path may name a FIFO (reading it blocks until some writer appears, maybe forever), a
device such as ``/dev/zero`` (endless, with ``st_size`` 0) or a file that grows while it
is read; ``st_size`` says nothing reliable about any of them. So the reader:

* stats the path first and refuses anything but a regular file, without opening it;
* opens with ``O_NONBLOCK`` (opening a FIFO then returns at once instead of waiting for a
  writer) and checks the *opened* descriptor again with ``fstat``, so a file swapped for a
  FIFO or device between the two steps is still refused;
* reads in chunks and counts the bytes it actually got, refusing the file as soon as they
  pass ``limit``.

Every failure is one line, raised as the caller's error class (``DataError`` for data,
``ProjectFileError`` for projects), naming the file and what is wrong.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from engine.errors import SproutError

CHUNK = 1024 * 1024
# O_NONBLOCK / O_NOCTTY do not exist on Windows, where FIFOs of this kind do not either.
_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
          | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def read_bytes(path: str | os.PathLike, limit: int, what: str = "file",
               error: type[SproutError] = SproutError) -> bytes:
    """Read a whole regular file of at most ``limit`` bytes.

    Args:
        path: the file to read; a symlink is followed, and judged by what it points at.
        limit: the most bytes accepted, counted as they are read (never from ``st_size``).
        what: what the file is for the user ("project file", "CSV file"), used in messages.
        error: the error class to raise, so each caller keeps its own error domain.

    Returns:
        The file's bytes.

    Raises:
        SproutError: (of class ``error``) one line naming the file and the problem: missing,
            a folder, not a regular file, unreadable, or larger than ``limit``.
    """
    path = Path(path)
    try:
        _check_kind(path, os.stat(path).st_mode, what, error)
        fd = os.open(path, _FLAGS)
    except SproutError:
        raise
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte or an unencodable name
        raise error(f"{path}: cannot read the {what} ({_reason(exc)})") from None
    try:
        _check_kind(path, os.fstat(fd).st_mode, what, error)
        _blocking(fd)
        return _read_bounded(fd, path, limit, what, error)
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({_reason(exc)})") from None
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike, limit: int, what: str = "file",
              error: type[SproutError] = SproutError, encoding: str = "utf-8") -> str:
    """:func:`read_bytes`, decoded; a decoding failure is one line naming the byte offset.

    Raises:
        SproutError: (of class ``error``) as :func:`read_bytes`, or if the text is not ``encoding``.
    """
    raw = read_bytes(path, limit, what, error)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise error(f"{path}: the {what} is not {encoding.upper()} text (byte {exc.start})") from None


def _check_kind(path: Path, mode: int, what: str, error: type[SproutError]) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise error(f"{path}: is a folder, not a {what}")
    raise error(f"{path}: is {_kind(mode)}, not a regular file; a {what} must be a regular file")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def _blocking(fd: int) -> None:
    """Clear O_NONBLOCK again: it only served the open; regular-file reads ignore it anyway."""
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)


def _read_bounded(fd: int, path: Path, limit: int, what: str, error: type[SproutError]) -> bytes:
    chunks, total = [], 0
    while True:
        # Ask for one byte past the limit at most, so an oversized file is detected
        # without ever holding much more than ``limit`` bytes.
        chunk = os.read(fd, min(CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise error(f"{path}: the {what} is larger than {_size(limit)}, the most Sprout reads")
        chunks.append(chunk)


def _size(n: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return "the path contains a character no file name can hold" if "null" in str(exc) else str(exc)
