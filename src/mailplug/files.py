"""Reading the user's files read-only, and telling one another process has locked."""

from __future__ import annotations

import errno
import os
import stat
from typing import TYPE_CHECKING, BinaryIO

from . import keys
from .errors import MailplugError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["check_regular", "locked", "open_regular", "read_file"]

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def check_regular(path: Path) -> None:
    """Refuse a path that is not an ordinary file (a named pipe, a device, a socket)
    before anything opens it: reading one could block forever or never end.

    A missing file passes (the reader reports it in its own words).

    :raises mailplug.errors.FileError: ``file.not_regular``.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise keys.FILE_NOT_REGULAR.error(file=str(path))


def locked(fd: int) -> bool:
    """Whether another process holds an exclusive lock (``flock``) on the open file."""
    try:
        import fcntl
    except ImportError:  # Windows: a locked file already failed to open
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


def read_file(path: Path) -> bytes:
    """Read a mail file whole, or raise the seed's ``file.problem`` naming it.

    Missing, unreadable (a directory counts), or locked by another process
    (``flock``) all raise :class:`~mailplug.errors.FileError`.
    """
    with open_regular(path) as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise keys.FILE_PROBLEM.error(file=str(path), reason=exc.strerror, cause=exc) from exc


def open_regular(path: Path) -> BinaryIO:
    """Open a mail file for reading in pieces, with :func:`read_file`'s checks and errors.

    A read error later is the caller's to report.
    """
    try:
        # Non-blocking open: opening a named pipe for reading would otherwise wait
        # for a writer, forever; it is refused below instead.
        fd = os.open(path, os.O_RDONLY | _NONBLOCK)
    except OSError as exc:
        raise keys.FILE_PROBLEM.error(file=str(path), reason=exc.strerror, cause=exc) from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise keys.FILE_PROBLEM.error(file=str(path), reason="is a directory")
        if not stat.S_ISREG(mode):
            raise keys.FILE_NOT_REGULAR.error(file=str(path))
        if _NONBLOCK:
            os.set_blocking(fd, True)
        if locked(fd):
            raise keys.FILE_PROBLEM.error(file=str(path), reason="locked")
        return os.fdopen(fd, "rb")
    except MailplugError:
        os.close(fd)
        raise
    except OSError as exc:
        os.close(fd)
        raise keys.FILE_PROBLEM.error(file=str(path), reason=exc.strerror, cause=exc) from exc
