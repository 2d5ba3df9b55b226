"""The one boundary between the event loop and SQLite: a dedicated thread per outbox.

Every sqlite3 call runs on that thread (:meth:`Database.run`), so the event
loop never blocks on disk and the connection never crosses threads.  SQLite
errors are mapped here to :class:`~mailplug.errors.StorageError` keys a
person can act on (read-only, disk full, damaged, locked).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from mailplug.plugin import ErrorSpec, MailplugError, outbox_keys
from mailplug.plugin import keys as core_keys

from . import schema

__all__ = ["Database", "Options", "parse_location"]

log = logging.getLogger("mailplug.sqlite")
P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_NAME = "outbox.sqlite3"


@dataclass(frozen=True)
class Options:
    """Where the outbox lives and how it is opened.

    Given as a path, or as ``sqlite:///abs/path.sqlite3?synchronous=full&max_size=50000000``.

    :ivar synchronous: ``normal`` (default; WAL survives a killed process) or
        ``full`` (also survives a power cut, slower).
    :ivar max_size: a size limit in bytes (``PRAGMA max_page_count``).
    :ivar read_only: open read-only (also chosen when the file has no write permission).
    :ivar busy_timeout: seconds to wait for another process's write lock.
    """

    path: Path
    synchronous: str = "normal"
    max_size: int | None = None
    read_only: bool = False
    busy_timeout: float = 30.0


def parse_location(location: Any, data_dir: Path) -> Options:
    """Options from the ``outbox_path`` a host gave (``None``: the default file in ``data_dir``)."""
    if location is None or location == "":
        return Options(path=data_dir / DEFAULT_NAME)
    if isinstance(location, Path):
        return Options(path=location)
    text = str(location)
    if not (text.startswith("sqlite:") or text.startswith("file:")):
        return Options(path=Path(text).expanduser())
    parts = urlsplit(text)
    raw_path = unquote(parts.path if not parts.netloc else f"//{parts.netloc}{parts.path}")
    if text.startswith("sqlite:///"):
        raw_path = unquote(text[len("sqlite://") :].split("?", 1)[0])
    query = dict(parse_qsl(parts.query))
    synchronous = query.get("synchronous", "normal").lower()
    if synchronous not in {"normal", "full", "off"}:
        raise core_keys.ACCOUNT_SETTINGS_PROBLEM.error(
            problem=f"outbox synchronous must be normal or full, not {synchronous}"
        )
    max_size = int(query["max_size"]) if "max_size" in query else None
    read_only = query.get("mode") == "ro" or query.get("read_only", "").lower() in {"1", "true"}
    busy = float(query.get("busy_timeout", 30.0))
    return Options(
        path=Path(raw_path).expanduser(),
        synchronous=synchronous,
        max_size=max_size,
        read_only=read_only,
        busy_timeout=busy,
    )


#: SQLite primary result codes (sqlite3.h) → the storage error a person can act on.
_SQLITE_ERRORS: dict[int, ErrorSpec] = {
    3: outbox_keys.STORAGE_CANNOT_OPEN,  # SQLITE_PERM
    5: outbox_keys.STORAGE_BUSY,  # SQLITE_BUSY
    6: outbox_keys.STORAGE_BUSY,  # SQLITE_LOCKED
    8: outbox_keys.STORAGE_READ_ONLY,  # SQLITE_READONLY
    11: outbox_keys.STORAGE_CORRUPT,  # SQLITE_CORRUPT
    13: outbox_keys.STORAGE_DISK_FULL,  # SQLITE_FULL
    14: outbox_keys.STORAGE_CANNOT_OPEN,  # SQLITE_CANTOPEN
    26: outbox_keys.STORAGE_CORRUPT,  # SQLITE_NOTADB
}


def storage_error(exc: BaseException, path: Path) -> MailplugError:
    """The StorageError a person can act on for a sqlite3 or OS error."""
    file = str(path)
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        problem = str(exc)
        spec = _SQLITE_ERRORS.get(code)
        if spec is None:
            read_only = "readonly" in problem or "read-only" in problem
            spec = outbox_keys.STORAGE_READ_ONLY if read_only else outbox_keys.STORAGE_IO
        return spec.error(file=file, problem=problem, cause=exc)
    if isinstance(exc, OSError):
        import errno

        if exc.errno == errno.ENOSPC:
            return outbox_keys.STORAGE_DISK_FULL.error(file=file, cause=exc)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return outbox_keys.STORAGE_READ_ONLY.error(file=file, cause=exc)
        return outbox_keys.STORAGE_CANNOT_OPEN.error(
            file=file, problem=exc.strerror or str(exc), cause=exc
        )
    return outbox_keys.STORAGE_IO.error(
        file=file, problem=f"{type(exc).__name__}: {exc}", cause=exc
    )


def _create_private(path: Path) -> None:
    """Create the database file owner-only before SQLite opens it.

    SQLite gives the ``-wal`` and ``-shm`` files the permissions of the
    database file, so they are private too.
    """
    # Every folder created on the way is owner-only, not only the last one.
    for missing in reversed([path.parent, *path.parent.parents]):
        if not missing.exists():
            missing.mkdir(mode=0o700, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _writable(path: Path) -> bool:
    """Whether the file's permission bits allow its owner to write it.

    Checked on the mode, not with ``os.access``, so a file a person made
    read-only (``chmod a-w``) is respected even when running as root.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return True
    return bool(mode & stat.S_IWUSR)


class _ForkGuard:
    """Parks every database thread while the process forks.

    A thread inside SQLite holds its mutexes (the memory allocator's at least);
    forked at that moment, the child inherits them locked and its own first
    SQLite call waits forever.  So before ``fork()`` each database thread is made
    to wait, in Python, between two statements, and is released after it.
    """

    #: How long a fork waits for a running statement to finish.
    TIMEOUT = 10.0

    def __init__(self) -> None:
        self.live: weakref.WeakSet[Database] = weakref.WeakSet()
        self.release = threading.Event()

    def before(self) -> None:
        self.release.clear()
        for db in list(self.live):
            db._park(self.release, self.TIMEOUT)

    def after_in_parent(self) -> None:
        self.release.set()

    def after_in_child(self) -> None:
        # The child has none of these threads; its mailer opens a new Database.
        self.live = weakref.WeakSet()
        self.release = threading.Event()


_FORK_GUARD = _ForkGuard()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_FORK_GUARD.before,
        after_in_parent=_FORK_GUARD.after_in_parent,
        after_in_child=_FORK_GUARD.after_in_child,
    )


class Database:
    """One SQLite connection, living on one dedicated thread."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.path = options.path
        self.read_only = options.read_only
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailplug-sqlite")
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        _FORK_GUARD.live.add(self)

    def _park(self, release: threading.Event, timeout: float) -> None:
        """Have the database thread wait for ``release`` (see :class:`_ForkGuard`)."""
        if self._conn is None or self._closed:
            return  # no connection: the thread never entered SQLite
        parked = threading.Event()

        def park() -> None:
            parked.set()
            release.wait(timeout)

        try:
            self._executor.submit(park)
        except RuntimeError:
            return  # shut down: no thread left
        if not parked.wait(timeout):
            log.warning("outbox %s: a statement still runs while the process forks", self.path)

    # -- the boundary ---------------------------------------------------------

    async def run(
        self,
        fn: Callable[..., T],
        *args: Any,
        undo: Callable[[sqlite3.Connection, T], Any] | None = None,
    ) -> T:
        """Run ``fn(connection, *args)`` on the database thread.

        SQLite errors come back as :class:`~mailplug.errors.StorageError`.  If
        the caller is cancelled while ``fn`` runs, ``fn`` still completes (a
        transaction is never cut in half) and ``undo(connection, result)``
        then runs on the same thread — e.g. to give back claimed entries.
        """
        loop = asyncio.get_running_loop()
        try:
            future: Future[T] = self._executor.submit(self._call, fn, args)
        except RuntimeError:
            if self._closed:
                raise
            # The interpreter is exiting (a host's atexit handler closing the mailer,
            # a worker finishing): Python has joined every executor thread, so no
            # other thread can use the connection; run the statement here instead.
            return self._call(fn, args)
        wrapped = asyncio.wrap_future(future, loop=loop)
        try:
            return await asyncio.shield(wrapped)
        except asyncio.CancelledError:
            if undo is not None:
                future.add_done_callback(lambda f: self._undo_later(f, undo))
            raise

    def _undo_later(self, future: Future[T], undo: Callable[[sqlite3.Connection, T], Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        result = future.result()
        with contextlib.suppress(RuntimeError):  # executor already shut down
            self._executor.submit(self._call, undo, (result,))

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        try:
            conn = self._connection()
            return fn(conn, *args)
        except MailplugError:
            raise
        except (sqlite3.Error, OSError) as exc:
            raise storage_error(exc, self.path) from exc

    def submit_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on the database thread and wait (for synchronous callers, not the loop)."""
        return self._executor.submit(self._call, fn, args).result()

    # -- opening ----------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        path = self.path
        if not self.read_only:
            if path.exists() and not _writable(path):
                log.warning("outbox %s is read-only; opening it read-only", path)
                self.read_only = True
            else:
                try:
                    _create_private(path)
                except OSError as exc:
                    raise storage_error(exc, path) from exc
        if self.read_only:
            if not path.exists():
                raise outbox_keys.STORAGE_CANNOT_OPEN.error(
                    file=str(path), problem="file not found"
                )
            uri = f"file:{_uri_path(path)}?mode=ro"
            conn = sqlite3.connect(
                uri,
                uri=True,
                isolation_level=None,
                timeout=self.options.busy_timeout,
                check_same_thread=False,  # one thread at a time; see run
            )
        else:
            conn = sqlite3.connect(
                str(path),
                isolation_level=None,
                timeout=self.options.busy_timeout,
                check_same_thread=False,  # one thread at a time; see run
            )
        try:
            self._configure(conn)
            schema.migrate(conn, path, read_only=self.read_only)
        except BaseException:
            conn.close()
            raise
        return conn

    def _configure(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(self.options.busy_timeout * 1000)}")
        if not self.read_only:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("outbox %s: WAL journal not available (%s)", self.path, mode)
        conn.execute(f"PRAGMA synchronous = {self.options.synchronous.upper()}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        # A page cache of 8 MB (default 2 MB), and no memory-mapped I/O: mapped pages
        # of message bodies would count in the process's resident memory.
        conn.execute("PRAGMA cache_size = -8192")
        if self.options.max_size is not None:
            page = conn.execute("PRAGMA page_size").fetchone()[0]
            pages = max(1, self.options.max_size // int(page))
            conn.execute(f"PRAGMA max_page_count = {pages}")
        conn.create_function("mp_fold", 1, _fold, deterministic=True)
        conn.row_factory = sqlite3.Row

    async def aclose(self) -> None:
        def close(conn: sqlite3.Connection) -> None:
            if not self.read_only:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA optimize")
            conn.close()
            self._conn = None

        try:
            if self._conn is not None:
                await self.run(close)
        finally:
            self._closed = True
            self._executor.shutdown(wait=True)


def _fold(value: str | None) -> str:
    return value.casefold() if value else ""


def _uri_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(path.absolute()))
