# ruff: noqa: S608 - SQL is built from constants and the checked schema name; values are parameters.
"""Moving a SQLite outbox into PostgreSQL: waiting mail and the whole history.

``mailplug outbox move --to postgresql://…`` reads the SQLite file (the
built-in outbox's schema version 1 or 2, read-only) in batches of messages and
writes each batch in one PostgreSQL transaction, keeping ids, Message-IDs,
statuses, recipients' states, attempts and times.  A message already in the
target (same id, Message-ID or dedupe key) is skipped, so running the move
again adds nothing twice and an interrupted move resumes where it stopped.

Mail a worker was sending (``sending``) is moved as it was before the claim
and due at once; stop the workers on the SQLite outbox before moving.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from mailplug.plugin import Body, outbox_keys

from .errors import storage_error
from .options import Options
from .schema import qualify

__all__ = ["Moved", "move"]

#: The SQLite outbox schemas this reader understands (``PRAGMA user_version``); 2 added
#: the Sent-folder copies, moved along (a copy a worker held is due again at its lease's end);
#: 3 keeps big bodies in files beside the database (``bodies.file``).
SQLITE_VERSIONS = (1, 2, 3)
BATCH = 500


@dataclass
class Moved:
    """What a move did."""

    moved: int = 0
    skipped: int = 0
    attempts: int = 0
    pauses: int = 0


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _jsonb(text: str | None) -> Jsonb | None:
    return Jsonb(json.loads(text)) if text else None


def _open_sqlite(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise outbox_keys.STORAGE_CANNOT_OPEN.error(file=str(path), problem="file not found")
    try:
        # Read in batches from worker threads, one at a time.
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise outbox_keys.STORAGE_CANNOT_OPEN.error(
            file=str(path), problem=str(exc), cause=exc
        ) from exc
    if version not in SQLITE_VERSIONS:
        conn.close()
        raise outbox_keys.STORAGE_CANNOT_OPEN.error(
            file=str(path),
            problem=f"outbox version {version}, this move reads {max(SQLITE_VERSIONS)}",
        )
    return conn


def _body_file(source: Path, digest: str) -> Body:
    """A big message kept beside the SQLite outbox (its layout: ``<file>.bodies/ab/abcd…``),
    moved in rows of ``body_chunks`` as the PostgreSQL outbox keeps it."""
    path = source.with_name(source.name + ".bodies") / digest[:2] / digest
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise outbox_keys.STORAGE_BODY_MISSING.error(
            id=digest, file=str(path), problem=exc.strerror or str(exc), cause=exc
        ) from exc
    return Body(path, length=size, digest=digest)


_MESSAGE_COLUMNS = (
    "seq, id, message_id, dedupe_key, account, status, previous, priority, created_at, "
    "updated_at, send_at, age_from, due_at, sent_at, attempts, lease_owner, lease_until, error, "
    "subject, sender, to_list, envelope_from, smtputf8, size, metadata"
)


def _has_copies(conn: sqlite3.Connection) -> bool:
    return int(conn.execute("PRAGMA user_version").fetchone()[0]) >= 2


def _read_batch(conn: sqlite3.Connection, after: int, source: Path) -> dict[str, Any]:
    rows = conn.execute(
        f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?",
        (after, BATCH),
    ).fetchall()
    seqs = [r[0] for r in rows]
    marks = ",".join("?" * len(seqs))
    if not seqs:
        return {"messages": [], "bodies": {}, "recipients": [], "attempts": []}
    files = any(r[1] == "file" for r in conn.execute("PRAGMA table_info(bodies)"))
    bodies = {
        seq: data if not file else _body_file(source, file)
        for seq, data, file in conn.execute(
            f"SELECT seq, data, {'file' if files else 'NULL'} FROM bodies WHERE seq IN ({marks})",
            seqs,
        )
    }
    recipients = conn.execute(
        "SELECT seq, position, address, status, error, updated_at FROM recipients "
        f"WHERE seq IN ({marks}) ORDER BY seq, position",
        seqs,
    ).fetchall()
    attempts = conn.execute(
        "SELECT seq, at, account, outcome, host, code, enhanced, text, error_key, error, "
        f"duration, counted, recipients, worker FROM attempts WHERE seq IN ({marks}) "
        "ORDER BY seq, at, rowid",
        seqs,
    ).fetchall()
    copies = []
    if _has_copies(conn):
        copies = conn.execute(
            "SELECT seq, status, attempts, coalesce(due_at, lease_until), error, folder, "
            f"saved_at FROM sent_copies WHERE seq IN ({marks})",
            seqs,
        ).fetchall()
    return {
        "messages": rows,
        "bodies": bodies,
        "recipients": recipients,
        "attempts": attempts,
        "copies": copies,
    }


def _message_values(row: tuple[Any, ...], now: datetime) -> tuple[Any, ...]:
    (
        _,
        entry_id,
        message_id,
        dedupe_key,
        account,
        status,
        previous,
        priority,
        created_at,
        updated_at,
        send_at,
        age_from,
        due_at,
        sent_at,
        attempts,
        _lease_owner,
        _lease_until,
        error,
        subject,
        sender,
        to_list,
        envelope_from,
        smtputf8,
        size,
        metadata,
    ) = row
    if status == "sending":
        # Its worker was on the old outbox: give it back, due at once.
        status, due_at = previous or "queued", now.timestamp()
    return (
        entry_id,
        message_id,
        dedupe_key,
        account,
        status,
        priority,
        _dt(created_at),
        _dt(updated_at),
        _dt(send_at),
        _dt(age_from),
        _dt(due_at),
        _dt(sent_at),
        attempts,
        _jsonb(error),
        subject,
        sender,
        _jsonb(to_list) or Jsonb([]),
        envelope_from,
        bool(smtputf8),
        size,
        _jsonb(metadata),
    )


async def _write_batch(
    conn: psycopg.AsyncConnection[Any], schema: str, batch: dict[str, Any], moved: Moved
) -> None:
    def q(sql: str) -> str:
        return qualify(sql, schema)

    now = datetime.now(UTC)
    async with conn.transaction():
        new_seq: dict[int, int] = {}
        for row in batch["messages"]:
            cur = await conn.execute(
                q(
                    "INSERT INTO {s}.messages (id, message_id, dedupe_key, account, status, "
                    "priority, created_at, updated_at, send_at, age_from, due_at, sent_at, "
                    "attempts, error, subject, sender, to_list, envelope_from, smtputf8, size, "
                    "metadata) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                    "%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING seq"
                ),
                _message_values(row, now),
            )
            got = await cur.fetchone()
            if got is None:
                moved.skipped += 1
            else:
                new_seq[row[0]] = int(got[0])
                moved.moved += 1
        if not new_seq:
            return
        bodies: dict[int, Any] = batch["bodies"]
        async with conn.cursor() as cur:
            await cur.executemany(
                q("INSERT INTO {s}.bodies (seq, data) VALUES (%s, %s)"),
                [
                    (new_seq[s], b"" if isinstance(data, Body) else data)
                    for s, data in bodies.items()
                    if s in new_seq
                ],
            )
            for s, data in bodies.items():
                if s in new_seq and isinstance(data, Body):
                    n = 0
                    async for piece in data.achunks():
                        await cur.execute(
                            q("INSERT INTO {s}.body_chunks (seq, n, data) VALUES (%s, %s, %s)"),
                            (new_seq[s], n, piece),
                        )
                        n += 1
            await cur.executemany(
                q(
                    "INSERT INTO {s}.recipients (seq, position, address, status, error, "
                    "updated_at) VALUES (%s, %s, %s, %s, %s, %s)"
                ),
                [
                    (new_seq[s], p, a, st, _jsonb(e), _dt(u))
                    for s, p, a, st, e, u in batch["recipients"]
                    if s in new_seq
                ],
            )
            attempts = [
                (
                    new_seq[a[0]],
                    _dt(a[1]),
                    *a[2:9],
                    _jsonb(a[9]),
                    a[10],
                    bool(a[11]),
                    _jsonb(a[12]),
                    a[13],
                )
                for a in batch["attempts"]
                if a[0] in new_seq
            ]
            if attempts:
                await cur.executemany(
                    q(
                        "INSERT INTO {s}.attempts (seq, at, account, outcome, host, code, "
                        "enhanced, text, error_key, error, duration, counted, recipients, worker) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    ),
                    attempts,
                )
            moved.attempts += len(attempts)
            copies = [
                (new_seq[c[0]], c[1], c[2], _dt(c[3]), _jsonb(c[4]), c[5], _dt(c[6]))
                for c in batch.get("copies", ())
                if c[0] in new_seq
            ]
            if copies:
                await cur.executemany(
                    q(
                        "INSERT INTO {s}.sent_copies (seq, status, attempts, due_at, error, "
                        "folder, saved_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    ),
                    copies,
                )
        await conn.execute("SELECT pg_notify(%s, '')", (f"mailplug_{schema}",))


async def move(
    source: Path,
    target: Options,
    *,
    progress: Callable[[Moved], None] | None = None,
) -> Moved:
    """Copy every message of the SQLite outbox ``source`` into the PostgreSQL outbox ``target``.

    The target's schema must exist (open it once first: that migrates it).
    Idempotent and resumable: what is already in the target is skipped.
    """
    lite = _open_sqlite(source)
    moved = Moved()
    try:
        try:
            conn = await psycopg.AsyncConnection.connect(target.conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise storage_error(exc, target.where, connecting=True) from exc
        async with conn:
            try:
                after = 0
                while True:
                    batch = await asyncio.to_thread(_read_batch, lite, after, source)
                    if not batch["messages"]:
                        break
                    await _write_batch(conn, target.schema, batch, moved)
                    after = batch["messages"][-1][0]
                    if progress is not None:
                        progress(moved)
                pauses = await asyncio.to_thread(
                    lambda: lite.execute(
                        "SELECT name, since, until, fingerprint, error FROM accounts"
                    ).fetchall()
                )
                for name, since, until, fingerprint, error in pauses:
                    cur = await conn.execute(
                        qualify(
                            "INSERT INTO {s}.accounts (name, since, until, fingerprint, error) "
                            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name) DO NOTHING",
                            target.schema,
                        ),
                        (name, _dt(since), _dt(until), fingerprint, _jsonb(error)),
                    )
                    moved.pauses += cur.rowcount
            except psycopg.Error as exc:
                raise storage_error(exc, target.where) from exc
    finally:
        lite.close()
    return moved
