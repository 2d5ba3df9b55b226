# ruff: noqa: S608 - SQL is built from constants and "?" lists only; every value is a parameter.
"""Big message bodies as files beside the database: ``<outbox>.bodies/ab/abcdef…``.

A message over :data:`mailplug.plugin.STREAM_THRESHOLD` is not kept in its
``bodies`` row (``data`` is empty, ``file`` its SHA-256): it lives in a file
named by that digest, so the database stays small and nothing reads the
message whole.  The rules that keep files and rows in step:

* **write before commit** — :func:`write` copies the body into ``tmp/``,
  fsyncs it, renames it into place and fsyncs the folder, all before the
  row that names it is inserted; a crash in between leaves an *orphan* (a
  file no row names), never a row without its file;
* **the write lock decides** — the inserting transaction checks, holding
  SQLite's write lock, that its files still exist (:func:`ensure`), and
  files are removed only while holding it too (:func:`collect`), after the
  rows that named them are gone: a purge in another process can never take
  a file an insert is about to use;
* identical bodies share one file (content-addressed); a file goes when the
  last row naming it is purged or cancelled;
* orphans older than :data:`ORPHAN_GRACE` (an insert still under way is
  younger) are removed by ``outbox purge``; ``outbox check`` lists orphans
  and missing files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from mailplug.plugin import Body

__all__ = [
    "ORPHAN_GRACE",
    "collect",
    "directory",
    "ensure",
    "file_of",
    "make_folder",
    "missing",
    "orphans",
    "write",
]

#: Seconds an unnamed file is left alone (an insert may be about to commit its row).
ORPHAN_GRACE = 3600.0


def directory(database: Path) -> Path:
    """The folder of ``database``'s body files."""
    return database.with_name(database.name + ".bodies")


def file_of(folder: Path, digest: str) -> Path:
    return folder / digest[:2] / digest


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # (some file systems cannot fsync a folder)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def make_folder(path: Path) -> None:
    """``path`` and its missing parents, owner-only, their entries fsync'd."""
    if path.is_dir():
        return
    make_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    _fsync_dir(path.parent)


def write(folder: Path, body: Body) -> str:
    """Store ``body`` durably (file and folder fsync'd); returns its digest.

    :raises OSError: the file could not be written (nothing is left behind).
    """
    if body.digest is not None:
        known = file_of(folder, body.digest)
        if _same(known, body.size):
            os.utime(known)  # fresh again: not taken for an old orphan
            return body.digest
    make_folder(folder / "tmp")
    fd, name = tempfile.mkstemp(dir=folder / "tmp", prefix="body-")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as f:
            for piece in body.chunks():
                digest.update(piece)
                f.write(piece)
            f.flush()
            os.fsync(f.fileno())
        hexdigest = digest.hexdigest()
        target = file_of(folder, hexdigest)
        make_folder(target.parent)
        if _same(target, body.size):
            os.unlink(name)
            os.utime(target)
        else:
            os.replace(name, target)
            _fsync_dir(target.parent)
        return hexdigest
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def _same(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def ensure(folder: Path, files: dict[str, tuple[str, Body]]) -> None:
    """Holding the write lock: rewrite any file removed since :func:`write` (a purge
    in another process got there first).  ``files``: entry id → (digest, body)."""
    for digest, body in files.values():
        if not _same(file_of(folder, digest), body.size):
            write(folder, body)


def _referenced(conn: sqlite3.Connection, digests: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(digests), 500):
        chunk = digests[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(
            r[0] for r in conn.execute(f"SELECT file FROM bodies WHERE file IN ({marks})", chunk)
        )
    return found


def collect(conn: sqlite3.Connection, folder: Path, candidates: Iterable[str]) -> int:
    """Holding the write lock: remove the files of ``candidates`` no row names any more;
    returns how many went."""
    digests = sorted(set(candidates))
    if not digests:
        return 0
    keep = _referenced(conn, digests)
    removed = 0
    for digest in digests:
        if digest not in keep:
            with contextlib.suppress(FileNotFoundError):
                file_of(folder, digest).unlink()
                removed += 1
    return removed


def _files(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for sub in folder.iterdir():
        if sub.is_dir():
            yield from (p for p in sub.iterdir() if p.is_file())


def orphans(conn: sqlite3.Connection, folder: Path, *, grace: float = 0.0) -> list[Path]:
    """Files no row names (and unfinished ``tmp/`` files), older than ``grace`` seconds."""
    files = list(_files(folder))
    named = _referenced(conn, [p.name for p in files if p.parent.name != "tmp"])
    limit = time.time() - grace
    out = []
    for path in files:
        if path.name in named and path.parent.name != "tmp":
            continue
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime <= limit:
                out.append(path)
    return sorted(out)


def missing(conn: sqlite3.Connection, folder: Path) -> list[tuple[str, str]]:
    """Entries whose body file is gone or cut short: (entry id, digest)."""
    out = []
    for entry_id, digest, size in conn.execute(
        "SELECT m.id, b.file, m.size FROM bodies b JOIN messages m ON m.seq = b.seq "
        "WHERE b.file IS NOT NULL ORDER BY m.seq"
    ):
        if not _same(file_of(folder, digest), size):
            out.append((entry_id, digest))
    return out
