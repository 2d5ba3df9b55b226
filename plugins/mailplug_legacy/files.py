"""Opening source files read-only, and telling why one cannot be read.

Source files are never written: they are opened ``O_RDONLY`` (and
``O_NONBLOCK``, so a FIFO where a file should be cannot hang the import).  A
file another process holds an ``flock`` on counts as locked
(:func:`mailplug.plugin.locked`, as for attachments).
"""

from __future__ import annotations

import errno
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from mailplug.plugin import ImportProblem, Text, locked
from mailplug.plugin import import_keys as imp

__all__ = ["SourceError", "file_date", "open_source", "read_source"]


class SourceError(Exception):
    """A source file cannot be read; :meth:`problem` reports it."""

    def __init__(self, path: Path, reason: Text, **params: Any) -> None:
        super().__init__(f"{path}: {reason.msgid}")
        self.path = path
        self.reason = reason
        self.params = params

    def problem(self, index: int | None = None, offset: int | None = None) -> ImportProblem:
        return ImportProblem.file(self.path, self.reason, index=index, offset=offset, **self.params)


def _os_error(path: Path, exc: OSError) -> SourceError:
    if exc.errno == errno.ENOENT:
        return SourceError(path, imp.REASON_MISSING)
    if exc.errno in (errno.EISDIR, errno.ENOTDIR):
        return SourceError(path, imp.REASON_NOT_FILE)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return SourceError(path, imp.REASON_UNREADABLE, error=exc.strerror or str(exc))
    return SourceError(path, imp.REASON_OS, error=exc.strerror or str(exc))


def open_source(path: Path) -> tuple[BinaryIO, int]:
    """Open ``path`` for reading; returns the file and its size.

    :raises SourceError: missing, not a regular file, locked, or unreadable.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _os_error(path, exc) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(path, imp.REASON_NOT_FILE)
        if locked(fd):
            raise SourceError(path, imp.REASON_LOCKED)
        fh = os.fdopen(fd, "rb")
    except OSError as exc:
        os.close(fd)
        raise _os_error(path, exc) from exc
    except SourceError:
        os.close(fd)
        raise
    return fh, info.st_size


def read_source(path: Path) -> bytes:
    """The whole file (a single message).

    :raises SourceError: as :func:`open_source`, or a read error.
    """
    fh, _ = open_source(path)
    with fh:
        try:
            return fh.read()
        except OSError as exc:
            raise _os_error(path, exc) from exc


def file_date(path: Path) -> datetime | None:
    """The file's modification time: the last resort for a message's date."""
    try:
        return datetime.fromtimestamp(path.lstat().st_mtime, tz=UTC)
    except (OSError, OverflowError, ValueError):
        return None
