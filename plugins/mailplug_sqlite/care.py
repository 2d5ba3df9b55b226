# ruff: noqa: S608 - SQL is built from constants and "?" lists only; every value is a parameter.
"""Looking after the outbox file: integrity check, online backup, salvage of a damaged file.

* :func:`check` runs SQLite's ``PRAGMA integrity_check`` (read-only) and gives a
  plain verdict.
* :func:`backup` copies the outbox while others may use it, through SQLite's
  backup API: the copy is one consistent state, WAL included (copying the file
  with ``cp`` while it is in use may miss what still sits in ``-wal``).
* :func:`salvage` rescues every readable entry of a damaged file into a new
  outbox, reading the pages themselves (:mod:`.pages`) so that it works even
  when the header and the schema are destroyed, and lists what it lost.
"""

from __future__ import annotations

import contextlib
import email.policy
import json
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

from mailplug.plugin import RecipientStatus, Status, outbox_keys

from . import bodyfiles, pages, schema
from .database import storage_error

__all__ = ["BackupResult", "CheckResult", "SalvageReport", "backup", "check", "salvage"]

_STATUSES = frozenset(str(s) for s in Status)
_RECIPIENT_STATUSES = frozenset(str(s) for s in RecipientStatus)
#: Statuses whose mail is still to be sent: rescued as due at once.
_WAITING = frozenset({"queued", "deferred", "uncertain", "sending"})
_MESSAGE_COLUMNS = 25
_ATTEMPT_COLUMNS = 14
_RECIPIENT_COLUMNS = 6


@dataclass(frozen=True, slots=True)
class CheckResult:
    """:ivar ok: the file is sound and every body file is there.
    :ivar problems: SQLite's findings (at most 20).
    :ivar missing: entries whose body file is gone or cut short (their mail is lost).
    :ivar orphans: body files no entry names (left by a crash; ``outbox purge`` removes them).
    """

    path: Path
    ok: bool
    problems: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    orphans: tuple[Path, ...] = ()


def check(path: Path) -> CheckResult:
    """SQLite's integrity check of the outbox file, read-only."""
    if not path.exists():
        raise outbox_keys.STORAGE_CANNOT_OPEN.error(file=str(path), problem="file not found")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("PRAGMA integrity_check(20)").fetchall()
            missing: tuple[str, ...] = ()
            orphans: tuple[Path, ...] = ()
            if _has_files(conn):
                folder = bodyfiles.directory(path)
                missing = tuple(entry for entry, _ in bodyfiles.missing(conn, folder))
                orphans = tuple(bodyfiles.orphans(conn, folder))
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return CheckResult(path, False, (str(exc),))
    problems = tuple(
        line for r in rows for line in str(r[0]).splitlines() if line.strip() and line != "ok"
    )
    return CheckResult(path, not problems and not missing, problems, missing, orphans)


def _has_files(conn: sqlite3.Connection) -> bool:
    """The schema has body files (version 2 on)."""
    return any(r[1] == "file" for r in conn.execute("PRAGMA table_info(bodies)"))


def _private_new(target: Path) -> None:
    if target.exists():
        raise outbox_keys.STORAGE_CANNOT_OPEN.error(
            file=str(target), problem="it already exists; give a new file name"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


@dataclass(frozen=True, slots=True)
class BackupResult:
    """:ivar pages: database pages copied.  :ivar files: body files copied beside it.
    :ivar missing: entries of the copy whose body file was already gone."""

    pages: int
    files: int = 0
    missing: tuple[str, ...] = ()


def backup(source: Path, target: Path) -> BackupResult:
    """Copy the outbox ``source`` to the new file ``target`` (owner-only), consistently,
    while other programs may be sending, and the body files its entries name into
    ``target``'s body folder (copies, fsync'd)."""
    if not source.exists():
        raise outbox_keys.STORAGE_CANNOT_OPEN.error(file=str(source), problem="file not found")
    _private_new(target)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            count = int(dst.execute("PRAGMA page_count").fetchone()[0])
            if not _has_files(dst):
                return BackupResult(count)
            digests = [
                r[0] for r in dst.execute("SELECT DISTINCT file FROM bodies WHERE file NOT NULL")
            ]
            folders = (bodyfiles.directory(source), bodyfiles.directory(target))
            copied = sum(_keep_file(folders, d, copy=True) for d in digests)
            missing = tuple(e for e, _ in bodyfiles.missing(dst, folders[1]))
            return BackupResult(count, copied, missing)
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise storage_error(exc, source) from exc
    except OSError as exc:
        raise storage_error(exc, target) from exc


@dataclass(slots=True)
class Lost:
    """An entry that could not be rescued, and why (``body``: its message bytes are gone)."""

    id: str
    status: str
    subject: str
    reason: str


@dataclass(slots=True)
class SalvageReport:
    """What :func:`salvage` rescued and what it could not.

    :ivar rescued: entries per status in the new outbox.
    :ivar lost: entries found whose message could not be rescued.
    :ivar unreadable_bodies: message bytes found without their entry that could not
        be rebuilt either (not a readable message).
    :ivar reconstructed: entries whose row was gone, rebuilt from the message's own
        headers (recipients from To and Cc: Bcc recipients are not known).
    :ivar recipients_rebuilt: waiting entries whose recipient rows were lost, given
        back from the row's To and Cc (Bcc recipients are not known: check them).
    :ivar bad_cells: cells or pages that could not be decoded.
    """

    source: Path
    target: Path
    pages: int = 0
    page_size: int = 0
    rescued: dict[str, int] = field(default_factory=dict)
    lost: list[Lost] = field(default_factory=list)
    unreadable_bodies: int = 0
    reconstructed: int = 0
    recipients_rebuilt: list[str] = field(default_factory=list)
    bad_cells: int = 0
    wal_used: bool = False

    @property
    def total(self) -> int:
        return sum(self.rescued.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "target": str(self.target),
            "pages": self.pages,
            "page_size": self.page_size,
            "rescued": dict(self.rescued),
            "rescued_total": self.total,
            "lost": [_lost(x) for x in self.lost],
            "unreadable_bodies": self.unreadable_bodies,
            "reconstructed": self.reconstructed,
            "recipients_rebuilt": list(self.recipients_rebuilt),
            "bad_cells": self.bad_cells,
            "wal_used": self.wal_used,
        }


def _lost(x: Lost) -> dict[str, str]:
    return {"id": x.id, "status": x.status, "subject": x.subject, "reason": x.reason}


def _with_wal(source: Path, work: Path) -> tuple[Path, bool]:
    """A copy of ``source`` with its ``-wal`` folded in when SQLite can still do that
    (the last writes may live only there); else the main file alone."""
    wal = source.with_name(source.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        return source, False
    copy = work / "copy.sqlite3"
    shutil.copyfile(source, copy)
    shutil.copyfile(wal, work / "copy.sqlite3-wal")
    try:
        conn = sqlite3.connect(copy)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return source, False
    return copy, True


def _is_message(r: pages.Record) -> bool:
    v = r.values
    return (
        r.rowid is not None
        and len(v) == _MESSAGE_COLUMNS
        and v[0] is None
        and isinstance(v[1], str)
        and isinstance(v[2], str)
        and v[5] in _STATUSES
    )


def _is_body(r: pages.Record) -> bool:
    v = r.values
    return (
        r.rowid is not None
        and len(v) in (2, 3)  # (rows written before the file column have 2)
        and v[0] is None
        and isinstance(v[1], bytes)
        and (len(v) == 2 or v[2] is None or _is_digest(v[2]))
    )


def _is_digest(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in _HEX for c in value)


_HEX = frozenset("0123456789abcdef")


def _is_attempt(r: pages.Record) -> bool:
    v = r.values
    return (
        r.rowid is not None
        and len(v) == _ATTEMPT_COLUMNS
        and isinstance(v[0], int)
        and v[3] in _STATUSES
    )


def _is_recipient(r: pages.Record) -> bool:
    v = r.values
    return (
        r.rowid is None
        and len(v) == _RECIPIENT_COLUMNS
        and isinstance(v[0], int)
        and isinstance(v[1], int)
        and isinstance(v[2], str)
        and v[3] in _RECIPIENT_STATUSES
    )


def salvage(source: Path, target: Path, *, now: datetime) -> SalvageReport:
    """Rescue every readable entry of the (damaged) outbox ``source`` into the new outbox
    ``target``; ``source`` is only read.

    Entries that waited are due at once in the new outbox (one that was being sent
    goes back to its previous status: it may have been delivered, and its history
    says so).  Where one entry appears in several versions (stale pages), the most
    recently updated wins.
    """
    if not source.exists():
        raise outbox_keys.STORAGE_CANNOT_OPEN.error(file=str(source), problem="file not found")
    _private_new(target)
    report = SalvageReport(source=source, target=target)
    with tempfile.TemporaryDirectory(prefix="mailplug-salvage-") as work:
        readable, report.wal_used = _with_wal(source, Path(work))
        found = pages.scan(readable)
    report.pages, report.page_size, report.bad_cells = found.pages, found.page_size, found.bad_cells
    messages: dict[str, pages.Record] = {}
    bodies: dict[int, _Body] = {}
    attempts: dict[int, list[tuple[Any, ...]]] = {}
    recipients: dict[tuple[int, int], tuple[Any, ...]] = {}
    for r in found.records:
        if _is_message(r):
            key = str(r.values[1])
            old = messages.get(key)
            if old is None or (r.values[9] or 0) >= (old.values[9] or 0):  # type: ignore[operator]
                messages[key] = r
        elif _is_body(r):
            assert r.rowid is not None
            file = r.values[2] if len(r.values) == 3 else None
            bodies[r.rowid] = _Body(bytes(r.values[1]), file)  # type: ignore[arg-type]
        elif _is_attempt(r):
            assert r.rowid is not None
            attempts.setdefault(int(r.values[0]), []).append((r.rowid, *r.values))  # type: ignore[arg-type]
        elif _is_recipient(r):
            recipients[int(r.values[0]), int(r.values[1])] = r.values  # type: ignore[arg-type]
    folders = (bodyfiles.directory(source), bodyfiles.directory(target))
    _write(target, report, list(messages.values()), bodies, attempts, recipients, now, folders)
    return report


@dataclass(frozen=True, slots=True)
class _Body:
    """A body row found: the bytes, or the digest of its file."""

    data: bytes
    file: str | None

    def head(self, folder: Path) -> bytes:
        if self.file is None:
            return self.data
        try:
            with open(bodyfiles.file_of(folder, self.file), "rb") as f:
                return f.read(256 * 1024)
        except OSError:
            return b""


def _keep_file(folders: tuple[Path, Path], digest: str, *, copy: bool = False) -> bool:
    """The body file ``digest`` carried into the new outbox's folder (a hard link when
    both are on one file system and not ``copy``, else a copy, fsync'd); ``False``: it
    is gone."""
    source, target = (bodyfiles.file_of(f, digest) for f in folders)
    if target.exists():
        return True
    if not source.is_file():
        return False
    bodyfiles.make_folder(target.parent)
    try:
        if copy:
            raise OSError("a copy was asked for")
        os.link(source, target)
    except OSError:
        part = target.with_name(target.name + ".part")
        shutil.copyfile(source, part)
        with open(part, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(part, target)
    return True


def _write(
    target: Path,
    report: SalvageReport,
    messages: Sequence[pages.Record],
    bodies: dict[int, _Body],
    attempts: dict[int, list[tuple[Any, ...]]],
    recipients: dict[tuple[int, int], tuple[Any, ...]],
    now: datetime,
    folders: tuple[Path, Path],
) -> None:
    stamp = now.timestamp()
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        schema.migrate(conn, target)
        conn.execute("BEGIN IMMEDIATE")
        kept: set[int] = set()
        waiting: dict[int, tuple[str, str]] = {}
        for r in sorted(messages, key=lambda m: m.rowid or 0):
            assert r.rowid is not None
            v = list(r.values)
            status = str(v[5])
            body = bodies.get(r.rowid)
            if body is None or (body.file is not None and not _keep_file(folders, body.file)):
                report.lost.append(Lost(str(v[1]), status, str(v[18] or ""), "body"))
                continue
            if status == "sending":
                status = str(v[6] or "queued")
                v[5], v[6] = status, None
            v[15] = v[16] = None  # no lease: the worker that held it is gone
            if status in _WAITING and v[12] is None and status != "uncertain":
                v[12] = stamp
            elif status in _WAITING and v[12] is not None:
                v[12] = min(float(v[12]), stamp)
            try:
                conn.execute(_INSERT_MESSAGE, [r.rowid, *v[1:]])
            except sqlite3.IntegrityError:
                report.lost.append(Lost(str(v[1]), status, str(v[18] or ""), "duplicate"))
                continue
            conn.execute(_INSERT_BODY, (r.rowid, body.data, body.file))
            kept.add(r.rowid)
            if status in _WAITING:
                waiting[r.rowid] = (str(v[1]), str(v[20] or "[]"))
            report.rescued[status] = report.rescued.get(status, 0) + 1
        for (seq, _), values in sorted(recipients.items()):
            if seq in kept:
                conn.execute("INSERT OR IGNORE INTO recipients VALUES (?, ?, ?, ?, ?, ?)", values)
        # A waiting entry whose recipient rows were on a damaged page gets them back from
        # its envelope (the row's address list), still to be sent: without them it could
        # never go (``message.no_recipients``).
        for seq, (entry_id, addresses) in waiting.items():
            rebuilt = False
            for position, address in enumerate(_addresses(addresses)):
                if (seq, position) not in recipients:
                    conn.execute(
                        "INSERT OR IGNORE INTO recipients VALUES (?, ?, ?, ?, ?, ?)",
                        (seq, position, address, "pending", None, stamp),
                    )
                    rebuilt = True
            if rebuilt:
                report.recipients_rebuilt.append(entry_id)
        for seq, rows in attempts.items():
            if seq in kept:
                for attempt in sorted(rows, key=lambda a: a[0]):
                    conn.execute(_INSERT_ATTEMPT, attempt)
        known = {r.rowid for r in messages}
        accounts = {str(r.values[21]).casefold(): str(r.values[4]) for r in messages}
        for seq, body in sorted(bodies.items()):
            if seq in known:
                continue
            row = _from_content(seq, body.head(folders[0]), accounts, attempts.get(seq, []), stamp)
            if row is None or (body.file is not None and not _keep_file(folders, body.file)):
                report.unreadable_bodies += 1
                continue
            if body.file is not None:
                row[23] = bodyfiles.file_of(folders[1], body.file).stat().st_size
            try:
                conn.execute(_INSERT_MESSAGE, row)
            except sqlite3.IntegrityError:  # its entry was rescued under its own row
                continue
            conn.execute(_INSERT_BODY, (seq, body.data, body.file))
            addresses = json.loads(row[20])
            for position, address in enumerate(addresses):
                saved = recipients.get((seq, position))
                conn.execute(
                    "INSERT OR IGNORE INTO recipients VALUES (?, ?, ?, ?, ?, ?)",
                    saved or (seq, position, address, "pending", None, stamp),
                )
            for attempt in sorted(attempts.get(seq, []), key=lambda a: a[0]):
                conn.execute(_INSERT_ATTEMPT, attempt)
            report.reconstructed += 1
            report.rescued[row[5]] = report.rescued.get(row[5], 0) + 1
        conn.execute("COMMIT")
    finally:
        conn.close()


def _addresses(text: str) -> list[str]:
    """The envelope's address list of a rescued row (JSON), or none when it is damaged."""
    try:
        value = json.loads(text)
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [a for a in value if isinstance(a, str) and a]


_INSERT_BODY = "INSERT INTO bodies (seq, data, file) VALUES (?, ?, ?)"
_INSERT_MESSAGE = "INSERT INTO messages VALUES (" + ", ".join("?" * _MESSAGE_COLUMNS) + ")"
_INSERT_ATTEMPT = (
    "INSERT INTO attempts (rowid, seq, at, account, outcome, host, code, enhanced, text, "
    "error_key, error, duration, counted, recipients, worker) VALUES ("
    + ", ".join("?" * (_ATTEMPT_COLUMNS + 1))
    + ")"
)


def _from_content(
    seq: int,
    body: bytes,
    accounts: dict[str, str],
    attempts: list[tuple[Any, ...]],
    stamp: float,
) -> list[Any] | None:
    """A ``messages`` row rebuilt from the message's headers, when its own row is lost.

    The account is the one that sent from that address in the rescued rows; the
    status is ``sent`` when a surviving attempt says so, else ``queued`` (due now).
    """
    try:
        headers = BytesHeaderParser(policy=email.policy.default).parsebytes(body)
        message_id = str(headers.get("Message-ID") or "").strip()
        sender = str(headers.get("From") or "")
        from_address = getaddresses([sender])[0][1] if sender else ""
        to = [a for _, a in getaddresses([str(v) for v in headers.get_all("To", [])])]
        to += [a for _, a in getaddresses([str(v) for v in headers.get_all("Cc", [])])]
    except (ValueError, TypeError, IndexError, LookupError):
        return None
    to = [a for a in to if a]
    if not message_id or not from_address or not to:
        return None
    sent = [a for a in attempts if a[4] == "sent"]
    status = "sent" if sent else "queued"
    created = stamp
    with contextlib.suppress(TypeError, ValueError):
        created = parsedate_to_datetime(str(headers.get("Date"))).timestamp()
    return [
        seq,
        uuid.uuid4().hex[:16],
        message_id,
        None,
        accounts.get(from_address.casefold(), from_address),
        status,
        None,
        3,
        created,
        stamp,
        None,
        stamp,
        stamp if status == "queued" else None,
        max(float(a[2]) for a in sent) if sent else None,
        len(attempts),
        None,
        None,
        None,
        str(headers.get("Subject") or ""),
        sender,
        json.dumps(to, ensure_ascii=False),
        from_address,
        int(not all(a.isascii() for a in (from_address, *to))),
        len(body),
        None,
    ]
