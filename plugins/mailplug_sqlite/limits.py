"""Send slots of rate-limited accounts in the SQLite outbox, shared by every process
using the file (``rate_limit_per_minute``, ``daily_limit``).

The counters live in a ``send_limits`` table created on first use rather than by a
numbered migration: older mailplug versions open the file as before and ignore it.
Each step runs in one ``BEGIN IMMEDIATE``, so two processes never take the same slot.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from mailplug.plugin import SendLimits, SendLimitState, SendSlot, take_send_slot

from .store import dt, ts, write

__all__ = ["take_slot"]

_TABLE = (
    "CREATE TABLE IF NOT EXISTS send_limits (account TEXT PRIMARY KEY, tat REAL, "
    "day_end REAL, day_count INTEGER NOT NULL DEFAULT 0)"
)


def take_slot(
    conn: sqlite3.Connection,
    account: str,
    limits: SendLimits,
    now: datetime,
    day_end: datetime,
) -> SendSlot:
    """The account's counters moved by :func:`mailplug.plugin.take_send_slot`, atomically."""
    with write(conn):
        conn.execute(_TABLE)
        row = conn.execute(
            "SELECT tat, day_end, day_count FROM send_limits WHERE account = ?", (account,)
        ).fetchone()
        state = SendLimitState(dt(row[0]), dt(row[1]), int(row[2])) if row else SendLimitState()
        slot = take_send_slot(state, limits, now=now, day_end=day_end)
        if slot.granted:
            conn.execute(
                "INSERT INTO send_limits (account, tat, day_end, day_count) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (account) DO UPDATE SET tat = excluded.tat, "
                "day_end = excluded.day_end, day_count = excluded.day_count",
                (account, ts(state.tat), ts(state.day_end), state.day_count),
            )
    return slot
