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

__all__ = ["check_regular", "file_error", "locked", "open_regular", "read_file"]

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


def file_error(path: Path | str, exc: OSError | None = None) -> MailplugError:
    """The error for a file that could not be read, keyed by its cause.

    ``file.missing`` (it is not there), ``file.unreadable`` (permissions),
    ``file.is_folder``, ``file.locked`` (another program holds a lock), else the
    seed's generic ``file.problem``; each message starts with the seed's sentence.
    """
    code = exc.errno if exc is not None else None
    if isinstance(exc, FileNotFoundError) or code in (errno.ENOENT, errno.ENOTDIR):
        spec = keys.FILE_MISSING
    elif isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        spec = keys.FILE_UNREADABLE
    elif isinstance(exc, IsADirectoryError) or code == errno.EISDIR:
        spec = keys.FILE_IS_FOLDER
    elif code in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EDEADLK):
        spec = keys.FILE_LOCKED
    else:
        spec = keys.FILE_PROBLEM
    error = spec.error(file=str(path))
    if exc is not None:
        error.__cause__ = exc
    return error


def read_file(path: Path) -> bytes:
    """Read a mail file whole, or raise a ``file.*`` error naming it and its cause.

    Missing (``file.missing``), not readable by this user (``file.unreadable``), a
    folder (``file.is_folder``), locked by another process with ``flock``
    (``file.locked``) or another failure (``file.problem``) raise
    :class:`~mailplug.errors.FileError`.
    """
    with open_regular(path) as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise file_error(path, exc) from exc


def open_regular(path: Path) -> BinaryIO:
    """Open a mail file for reading in pieces, with :func:`read_file`'s checks and errors.

    A read error later is the caller's to report (:func:`file_error` names its cause).
    """
    try:
        # Non-blocking open: opening a named pipe for reading would otherwise wait
        # for a writer, forever; it is refused below instead.
        fd = os.open(path, os.O_RDONLY | _NONBLOCK)
    except OSError as exc:
        raise file_error(path, exc) from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise keys.FILE_IS_FOLDER.error(file=str(path))
        if not stat.S_ISREG(mode):
            raise keys.FILE_NOT_REGULAR.error(file=str(path))
        if _NONBLOCK:
            os.set_blocking(fd, True)
        if locked(fd):
            raise keys.FILE_LOCKED.error(file=str(path))
        return os.fdopen(fd, "rb")
    except MailplugError:
        os.close(fd)
        raise
    except OSError as exc:
        os.close(fd)
        raise file_error(path, exc) from exc
