"""Reading the user's files read-only, and telling one another process has locked."""

from __future__ import annotations

import errno
import os
import stat
from typing import TYPE_CHECKING

from . import keys
from .errors import MailplugError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["locked", "read_file"]


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
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise keys.FILE_PROBLEM.error(file=str(path), reason=exc.strerror, cause=exc) from exc
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise keys.FILE_PROBLEM.error(file=str(path), reason="is a directory")
        if locked(fd):
            raise keys.FILE_PROBLEM.error(file=str(path), reason="locked")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except MailplugError:
        raise
    except OSError as exc:
        raise keys.FILE_PROBLEM.error(file=str(path), reason=exc.strerror, cause=exc) from exc
    finally:
        os.close(fd)
