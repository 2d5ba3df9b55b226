"""Recording delivery reports (bounces, delays, read receipts) in the SQLite outbox.

Kept apart from :mod:`mailplug_sqlite.store`: it only moves recipient rows
and the entry's status, with the core's rules (:func:`mailplug.plugin.apply_delivery`,
:func:`mailplug.plugin.status_after_deliveries`), in one ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from mailplug.plugin import (
    Change,
    Delivery,
    RecipientState,
    Status,
    apply_delivery,
    status_after_deliveries,
)

from .store import _find_row, _json, _recipients, ts, write

__all__ = ["record_deliveries"]


def record_deliveries(
    conn: sqlite3.Connection, ref: str, deliveries: Sequence[Delivery], now: datetime
) -> list[Change]:
    with write(conn):
        row = _find_row(conn, ref)
        if row is None:
            return []
        seq, before = row["seq"], Status(row["status"])
        states = list(_recipients(conn, [seq]).get(seq, ()))
        index = {s.address.lower(): i for i, s in enumerate(states)}
        changed: list[tuple[RecipientState, Delivery]] = []
        for delivery in deliveries:
            i = index.get(delivery.address.lower())
            if i is None:
                continue  # a report about an address this message was not sent to
            new = apply_delivery(states[i], delivery)
            if new is None:
                continue
            states[i] = new
            changed.append((new, delivery))
        if not changed:
            return []
        after = status_after_deliveries(before, states)
        conn.executemany(
            "UPDATE recipients SET status = ?, error = ?, updated_at = ? "
            "WHERE seq = ? AND address = ?",
            [(str(s.status), _json(s.error), ts(s.updated_at), seq, s.address) for s, _ in changed],
        )
        conn.execute(
            "UPDATE messages SET status = ?, updated_at = ? WHERE seq = ?",
            (str(after), ts(now), seq),
        )
    return [
        Change(
            id=row["id"],
            message_id=row["message_id"],
            account=row["account"],
            status=after,
            previous=before,
            at=delivery.at,
            error=state.error,
            subject=row["subject"],
            recipients=(state.address,),
            details={"recipient_status": str(state.status), "reporter": delivery.reporter},
        )
        for state, delivery in changed
    ]
