# ruff: noqa: S608 - SQL is built from constants and "?" lists only; every value is a parameter.
"""Copies of sent mail for the Sent folder in the SQLite outbox (the optional contract part).

One row per entry in ``sent_copies``: ``due_at`` is set while the copy is
pending and not leased, so claiming reads a partial index only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from mailplug.plugin import CopyClaim, CopyOutcome, CopyStatus

from .store import _chunks, _dt, _json, _marks, _stored, dt, ts, write

__all__ = ["claim", "finish", "next_due", "want"]


def want(conn: sqlite3.Connection, ids: Sequence[str], now: datetime) -> None:
    with write(conn):
        for chunk in _chunks(list(ids)):
            conn.execute(
                "INSERT INTO sent_copies (seq, status, due_at) "
                f"SELECT seq, 'pending', ? FROM messages WHERE id IN ({_marks(len(chunk))}) "
                "ON CONFLICT (seq) DO NOTHING",
                (ts(now), *chunk),
            )


def claim(
    conn: sqlite3.Connection,
    worker_id: str,
    limit: int,
    lease: float,
    now: datetime,
    accounts: Sequence[str] | None,
    folder: Path | None = None,
) -> list[CopyClaim]:
    stamp = ts(now)
    where = ""
    params: list[object] = [stamp]
    if accounts is not None:
        if not accounts:
            return []
        where = f" AND m.account IN ({_marks(len(accounts))})"
        params += list(accounts)
    with write(conn):
        # A lease that ran out (its worker died) puts the copy back in play.
        conn.execute(
            "UPDATE sent_copies SET due_at = lease_until, lease_owner = NULL, "
            "lease_until = NULL WHERE lease_until IS NOT NULL AND lease_until <= ?",
            (stamp,),
        )
        rows = conn.execute(
            "SELECT c.seq, m.id, m.message_id, m.account, b.data, "
            "coalesce(m.sent_at, m.updated_at), c.attempts, b.file, m.size FROM sent_copies c "
            "JOIN messages m ON m.seq = c.seq JOIN bodies b ON b.seq = c.seq "
            f"WHERE c.due_at IS NOT NULL AND c.due_at <= ?{where} "
            "ORDER BY c.due_at, c.seq LIMIT ?",
            (*params, max(0, limit)),
        ).fetchall()
        until = ts(now + timedelta(seconds=lease))
        conn.executemany(
            "UPDATE sent_copies SET due_at = NULL, lease_owner = ?, lease_until = ? WHERE seq = ?",
            [(worker_id, until, r[0]) for r in rows],
        )
    return [
        CopyClaim(
            id=r[1],
            message_id=r[2],
            account=r[3],
            data=bytes(r[4]) if r[7] is None else _stored(folder, r[7], r[8]),
            sent_at=_dt(r[5]),
            attempts=r[6],
        )
        for r in rows
    ]


def finish(conn: sqlite3.Connection, worker_id: str, outcomes: Sequence[CopyOutcome]) -> None:
    with write(conn):
        for o in outcomes:
            saved = o.status is CopyStatus.SAVED
            due = ts(o.next_attempt_at) if o.status is CopyStatus.PENDING else None
            conn.execute(
                "UPDATE sent_copies SET status = ?, attempts = attempts + 1, due_at = ?, "
                "lease_owner = NULL, lease_until = NULL, "
                "error = CASE WHEN ? THEN error ELSE ? END, "
                "folder = coalesce(?, folder), saved_at = ? "
                "WHERE seq = (SELECT seq FROM messages WHERE id = ?) AND lease_owner = ?",
                (
                    str(o.status),
                    due,
                    saved,
                    _json(o.error),
                    o.folder,
                    ts(o.at) if saved else None,
                    o.id,
                    worker_id,
                ),
            )


def next_due(
    conn: sqlite3.Connection, now: datetime, accounts: Sequence[str] | None
) -> datetime | None:
    sql = (
        "SELECT min(coalesce(c.due_at, c.lease_until)) FROM sent_copies c "
        "JOIN messages m ON m.seq = c.seq WHERE (c.due_at IS NOT NULL OR "
        "c.lease_until IS NOT NULL)"
    )
    params: list[object] = []
    if accounts is not None:
        if not accounts:
            return None
        sql += f" AND m.account IN ({_marks(len(accounts))})"
        params += list(accounts)
    value = conn.execute(sql, params).fetchone()[0]
    return dt(value)
