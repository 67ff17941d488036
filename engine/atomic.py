"""The one atomic writer: every file Sprout writes goes through :func:`replacing`.

A file is written to a temporary name in its own folder, flushed to disk (fsync),
given the mode the old file had (or the umask's mode for a new file) and renamed over
the target, then the folder is synced. A failure at any point leaves the old file as it
was and removes the temporary one, so a reader (or a crash) only ever sees the old file
or the complete new one.
"""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give a new file."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # no /proc: read it the only other way (and put it back)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some platforms cannot open folders; the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    The temporary name keeps ``path``'s suffix, so writers that choose a format by suffix
    (Keras's ``model.save``) work on it. Whatever the body raises propagates after the
    temporary file is removed; the old file is untouched.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = _umask_mode()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(folder)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically; returns the path."""
    return write_bytes(path, text.encode("utf-8"))


def replace_dir(ready: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Put the complete folder ``ready`` at ``target`` (same file system), replacing any old one.

    Folders cannot be renamed over each other atomically, so the old folder is first
    renamed aside, the new one renamed in, and only then the old one deleted: at every
    moment ``target`` is either the whole old folder or the whole new one (or, for the
    instant between the two renames, absent, never half-written).
    """
    import shutil

    ready, target = Path(ready), Path(target)
    aside = None
    if target.exists() or target.is_symlink():
        if not target.is_dir() or target.is_symlink():
            raise IsADirectoryError(f"{target}: exists and is not a folder")
        aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.replace(target, aside / target.name)
    try:
        os.replace(ready, target)
    except OSError:
        if aside is not None:
            os.replace(aside / target.name, target)
        raise
    finally:
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
    _fsync_dir(target.parent)
    return target


def file_in_the_way(path: str | os.PathLike) -> Path | None:
    """The nearest existing ancestor of ``path`` when it is a file, not a folder (else None).

    Writing ``a/b/c.keras`` under a file ``a`` fails deep inside a library; every writer
    asks this first and names the file in its one-line error.
    """
    for parent in Path(path).parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None
