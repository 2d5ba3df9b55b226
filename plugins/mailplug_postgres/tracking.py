# ruff: noqa: S608 - SQL is built from constants and the checked schema name; values are parameters.
"""After sending, in the PostgreSQL outbox: delivery reports and copies for the Sent folder.

Kept apart from :mod:`mailplug_postgres.store` (the hot paths): recording
bounces, delays and read receipts (:meth:`Outbox.record_deliveries`, with the
core's rules :func:`~mailplug.plugin.apply_delivery` and
:func:`~mailplug.plugin.status_after_deliveries`, one transaction with the
entry's row locked), and the ``sent_copies`` table (migration 2) of the
optional Sent-folder contract.  Claims of copies take rows ``FOR UPDATE SKIP
LOCKED``, as claims of messages do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from mailplug.plugin import (
    Change,
    CopyClaim,
    CopyOutcome,
    CopyStatus,
    Data,
    Delivery,
    RecipientState,
    SentCopy,
    Status,
    apply_delivery,
    status_after_deliveries,
)

from .store import Sql, _info, _json

__all__ = ["Tracking"]

Conn = AsyncConnection[Any]


class Tracking:
    """The statements of one schema for reports and Sent-folder copies."""

    def __init__(self, sql: Sql) -> None:
        self.sql = sql
        self.q = sql.q

    # -- delivery reports ------------------------------------------------------------

    async def record_deliveries(
        self, conn: Conn, ref: str, deliveries: Sequence[Delivery], now: datetime
    ) -> list[Change]:
        q = self.q
        async with conn.transaction():
            found = await self.sql._find_row(conn, ref.strip())
            if found is None:
                return []
            cur = await conn.execute(
                q(
                    "SELECT seq, id, message_id, account, status, subject FROM {s}.messages "
                    "WHERE seq = %s FOR UPDATE"
                ),
                (found[0],),
            )
            row = await cur.fetchone()
            if row is None:
                return []
            seq, entry_id, message_id, account, status, subject = row
            before = Status(status)
            states = list((await self.sql._recipients(conn, [seq])).get(seq, ()))
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
            async with conn.cursor() as cur:
                await cur.executemany(
                    q(
                        "UPDATE {s}.recipients SET status = %s, error = %s, updated_at = %s "
                        "WHERE seq = %s AND address = %s"
                    ),
                    [
                        (str(s.status), _json(s.error), s.updated_at, seq, s.address)
                        for s, _ in changed
                    ],
                )
            await conn.execute(
                q("UPDATE {s}.messages SET status = %s, updated_at = %s WHERE seq = %s"),
                (str(after), now, seq),
            )
        return [
            Change(
                id=entry_id,
                message_id=message_id,
                account=account,
                status=after,
                previous=before,
                at=delivery.at,
                error=state.error,
                subject=subject,
                recipients=(state.address,),
                details={"recipient_status": str(state.status), "reporter": delivery.reporter},
            )
            for state, delivery in changed
        ]

    # -- copies for the Sent folder ---------------------------------------------------

    async def want(self, conn: Conn, ids: Sequence[str], now: datetime) -> None:
        await conn.execute(
            self.q(
                "INSERT INTO {s}.sent_copies (seq, status, due_at) "
                "SELECT seq, 'pending', %s FROM {s}.messages WHERE id = ANY(%s) "
                "ON CONFLICT (seq) DO NOTHING"
            ),
            (now, list(ids)),
        )

    async def claim(
        self,
        conn: Conn,
        worker_id: str,
        limit: int,
        lease: float,
        now: datetime,
        accounts: Sequence[str] | None,
    ) -> list[CopyClaim]:
        q = self.q
        where = ""
        params: list[Any] = [now, now]
        if accounts is not None:
            if not accounts:
                return []
            where = " AND m.account = ANY(%s)"
            params.append(list(accounts))
        params.append(max(0, limit))
        until = now + timedelta(seconds=lease)
        async with conn.transaction():
            # Due, or leased by a worker whose lease ran out (it died).
            cur = await conn.execute(
                q(
                    "SELECT c.seq FROM {s}.sent_copies c JOIN {s}.messages m ON m.seq = c.seq "
                    "WHERE (c.due_at <= %s OR c.lease_until <= %s)" + where + " "
                    "ORDER BY coalesce(c.due_at, c.lease_until), c.seq LIMIT %s "
                    "FOR UPDATE OF c SKIP LOCKED"
                ),
                params,
            )
            seqs = [r[0] for r in await cur.fetchall()]
            if not seqs:
                return []
            await conn.execute(
                q(
                    "UPDATE {s}.sent_copies SET due_at = NULL, lease_owner = %s, "
                    "lease_until = %s WHERE seq = ANY(%s)"
                ),
                (worker_id, until, seqs),
            )
            cur = await conn.execute(
                q(
                    "SELECT m.id, m.message_id, m.account, b.data, "
                    "coalesce(m.sent_at, m.updated_at), c.attempts, c.seq, m.size "
                    "FROM {s}.sent_copies c "
                    "JOIN {s}.messages m ON m.seq = c.seq JOIN {s}.bodies b ON b.seq = c.seq "
                    "WHERE c.seq = ANY(%s) ORDER BY c.seq"
                ),
                (seqs,),
            )
            rows = await cur.fetchall()
            claims = []
            for r in rows:
                data: Data = bytes(r[3])
                if not data and r[7]:  # a big message: its rows of body_chunks, spooled
                    data = await self.sql.spool_chunks(conn, r[6], r[7])
                claims.append(
                    CopyClaim(
                        id=r[0],
                        message_id=r[1],
                        account=r[2],
                        data=data,
                        sent_at=r[4],
                        attempts=r[5],
                    )
                )
        return claims

    async def finish(self, conn: Conn, worker_id: str, outcomes: Sequence[CopyOutcome]) -> None:
        async with conn.transaction(), conn.cursor() as cur:
            await cur.executemany(
                self.q(
                    "UPDATE {s}.sent_copies SET status = %s, attempts = attempts + 1, "
                    "due_at = %s, lease_owner = NULL, lease_until = NULL, "
                    "error = CASE WHEN %s THEN error ELSE %s END, "
                    "folder = coalesce(%s, folder), saved_at = %s "
                    "WHERE seq = (SELECT seq FROM {s}.messages WHERE id = %s) "
                    "AND lease_owner = %s"
                ),
                [
                    (
                        str(o.status),
                        o.next_attempt_at if o.status is CopyStatus.PENDING else None,
                        o.status is CopyStatus.SAVED,
                        _json(o.error),
                        o.folder,
                        o.at if o.status is CopyStatus.SAVED else None,
                        o.id,
                        worker_id,
                    )
                    for o in outcomes
                ],
            )

    async def next_due(
        self, conn: Conn, now: datetime, accounts: Sequence[str] | None
    ) -> datetime | None:
        sql = (
            "SELECT min(coalesce(c.due_at, c.lease_until)) FROM {s}.sent_copies c "
            "JOIN {s}.messages m ON m.seq = c.seq "
            "WHERE (c.due_at IS NOT NULL OR c.lease_until IS NOT NULL)"
        )
        params: list[Any] = []
        if accounts is not None:
            if not accounts:
                return None
            sql += " AND m.account = ANY(%s)"
            params.append(list(accounts))
        cur = await conn.execute(self.q(sql), params)
        row = await cur.fetchone()
        value: datetime | None = row[0] if row else None
        return value

    async def read(self, conn: Conn, ids: Sequence[str]) -> dict[str, SentCopy]:
        """The copies of the entries ``ids``, by entry id."""
        if not ids:
            return {}
        cur = await conn.execute(
            self.q(
                "SELECT m.id, c.status, c.attempts, coalesce(c.due_at, c.lease_until), c.error, "
                "c.folder, c.saved_at FROM {s}.sent_copies c "
                "JOIN {s}.messages m ON m.seq = c.seq WHERE m.id = ANY(%s)"
            ),
            (list(ids),),
        )
        return {
            r[0]: SentCopy(
                status=CopyStatus(r[1]),
                attempts=r[2],
                next_attempt_at=r[3] if r[1] == "pending" else None,
                error=_info(r[4]),
                folder=r[5],
                saved_at=r[6],
            )
            for r in await cur.fetchall()
        }
