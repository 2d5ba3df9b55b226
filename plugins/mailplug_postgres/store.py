# ruff: noqa: S608 - SQL is built from constants and the checked schema name; values are parameters.
"""The SQL of the PostgreSQL outbox: one coroutine per outbox method.

Each function takes an open connection (autocommit; the function opens its
own transaction) and the :class:`Sql` of the outbox's schema.  Claims take
rows with ``FOR UPDATE SKIP LOCKED``: workers on any number of hosts claim
at once without waiting for each other and never get the same row.  Every
other writer locks the rows it changes in ``seq`` order, so two writers
never deadlock each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from mailplug.plugin import (
    STREAM_THRESHOLD,
    WAITING_STATUSES,
    AccountPause,
    Added,
    Attempt,
    Body,
    Change,
    Claim,
    Envelope,
    ErrorInfo,
    Filter,
    NewEntry,
    OutboxEntry,
    Outcome,
    RecipientState,
    RecipientStatus,
    SendLimits,
    SendLimitState,
    SendSlot,
    Spool,
    Status,
    new_id,
    outbox_keys,
    size_of,
    take_send_slot,
)

from .schema import qualify

__all__ = ["Sql"]

#: Statuses a person may retry.
RETRYABLE = (Status.QUEUED, Status.DEFERRED, Status.UNCERTAIN, Status.FAILED, Status.PARTIAL)
#: Statuses a person may cancel.
CANCELLABLE = (Status.QUEUED, Status.DEFERRED, Status.UNCERTAIN)

Conn = AsyncConnection[Any]

#: Lease renewals do not wait for the WAL to reach the disk: losing one (only a
#: server crash can) shortens a lease the worker renews again.  Claims, outcomes and
#: releases say who holds a message and what was sent: they are durable commits, like
#: enqueues and people's actions (losing a claim after its mail went out would let
#: another worker send it again without the "interrupted" mark).
_WORKER_COMMIT = "SET LOCAL synchronous_commit TO OFF"

_STATUS = {str(s): s for s in Status}
_RSTATUS = {str(s): s for s in RecipientStatus}


def _json(info: ErrorInfo | None) -> Jsonb | None:
    return Jsonb(info.to_dict()) if info is not None else None


def _info(value: Any) -> ErrorInfo | None:
    return ErrorInfo.from_dict(value) if value else None


#: Big messages handed out per claim: each is spooled from its rows before the claim
#: returns, so a claim of many would hold their leases (and the disk) for long.
BIG_PER_CLAIM = 2


class Sql:
    """The statements of one schema, and the notification channel of its workers."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.channel = f"mailplug_{schema}"
        self._claim: str | None = None
        self._complete: str | None = None

    def q(self, sql: str) -> str:
        """``sql`` for this schema (see :func:`~mailplug_postgres.schema.qualify`)."""
        return qualify(sql, self.schema)

    # -- adding -------------------------------------------------------------------

    async def insert(self, conn: Conn, entries: Sequence[NewEntry], now: datetime) -> list[Added]:
        """Store a batch in one transaction; repeats (Message-ID or dedupe key) are skipped.

        Runs inside the caller's transaction when there is one (the host's
        transactional enqueue): the mail then exists only if the host commits.
        """
        async with conn.transaction():
            return await self._insert(conn, entries, now)

    async def _insert(self, conn: Conn, entries: Sequence[NewEntry], now: datetime) -> list[Added]:
        q = self.q
        existing = await self._existing(conn, entries)
        out: list[Added | None] = []
        fresh: list[tuple[int, NewEntry]] = []
        for entry in entries:
            found = existing.get(entry.message_id) or (
                existing.get(f"key:{entry.dedupe_key}") if entry.dedupe_key else None
            )
            if found is None:
                # A repeat inside the same batch points at the first one.
                existing[entry.message_id] = entry.id
                if entry.dedupe_key:
                    existing[f"key:{entry.dedupe_key}"] = entry.id
                fresh.append((len(out), entry))
                out.append(None)
            else:
                out.append(Added(found, False))
        if fresh:
            cur = await conn.execute(
                q(
                    "SELECT nextval(pg_get_serial_sequence('{s}.messages', 'seq')) "
                    "FROM generate_series(1, %s)"
                ),
                (len(fresh),),
            )
            seqs = [int(r[0]) for r in await cur.fetchall()]
            columns: list[list[Any]] = [[] for _ in range(20)]
            for seq, (_, entry) in zip(seqs, fresh, strict=True):
                for column, value in zip(columns, (seq, *_message_values(entry, now)), strict=True):
                    column.append(value)
            cur = await conn.execute(
                q(
                    f"INSERT INTO {{s}}.messages (seq, {_COLUMNS}) SELECT * FROM unnest("
                    "%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], "
                    "%s::int[], %s::timestamptz[], %s::timestamptz[], %s::timestamptz[], "
                    "%s::timestamptz[], %s::timestamptz[], %s::timestamptz[], %s::text[], "
                    "%s::text[], %s::jsonb[], %s::text[], %s::bool[], %s::int[], %s::jsonb[]) "
                    "ON CONFLICT DO NOTHING RETURNING seq"
                ),
                columns,
            )
            stored = {int(r[0]) for r in await cur.fetchall()}
            bodies: list[tuple[int, bytes]] = []
            big: list[tuple[int, Body]] = []
            rcpts: list[tuple[int, int, str, str]] = []
            for seq, (index, entry) in zip(seqs, fresh, strict=True):
                if seq not in stored:
                    # Another process stored the same mail meanwhile (or, astronomically
                    # rarely, drew the same id): point at it, or store under a new id.
                    out[index] = await self._insert_again(conn, entry, now)
                    continue
                if isinstance(entry.data, Body):
                    bodies.append((seq, b""))  # its bytes go in body_chunks, below
                    big.append((seq, entry.data))
                else:
                    bodies.append((seq, entry.data))
                rstatus = "sent" if entry.status is Status.SENT else "pending"
                rcpts += [(seq, i, a, rstatus) for i, a in enumerate(entry.envelope.recipients)]
                out[index] = Added(entry.id, True, _inserted(entry, entry.id, now))
            if bodies:
                await conn.execute(
                    q(
                        "INSERT INTO {s}.bodies (seq, data) "
                        "SELECT * FROM unnest(%s::bigint[], %s::bytea[])"
                    ),
                    ([b[0] for b in bodies], [b[1] for b in bodies]),
                )
            for seq, body in big:
                await self._insert_chunks(conn, seq, body)
            if rcpts:
                await conn.execute(
                    q(
                        "INSERT INTO {s}.recipients (seq, position, address, status, updated_at) "
                        "SELECT s, p, a, st, %s FROM unnest(%s::bigint[], %s::int[], %s::text[], "
                        "%s::text[]) AS u(s, p, a, st)"
                    ),
                    (now, *([r[i] for r in rcpts] for i in range(4))),
                )
            if any(
                a is not None and a.created and a.change and a.change.status is Status.QUEUED
                for a in out
            ):
                await self.notify(conn)
        return [a for a in out if a is not None]

    async def _insert_chunks(self, conn: Conn, seq: int, body: Body) -> None:
        """A big message as rows of 1 MB, read from its file one piece at a time."""
        sql = self.q("INSERT INTO {s}.body_chunks (seq, n, data) VALUES (%s, %s, %s)")
        n = 0
        async for piece in body.achunks():
            await conn.execute(sql, (seq, n, piece))
            n += 1

    async def spool_chunks(self, conn: Conn, seq: int, size: int) -> Body:
        """A big message's rows into a local spool file, one at a time (a claim's body)."""
        spool = await asyncio.to_thread(Spool)
        try:
            sql = self.q("SELECT data FROM {s}.body_chunks WHERE seq = %s AND n = %s")
            n = 0
            while spool.size < size:
                cur = await conn.execute(sql, (seq, n), binary=True)
                row = await cur.fetchone()
                if row is None:
                    break
                await asyncio.to_thread(spool.write, bytes(row[0]))
                n += 1
            spool.close()
        except BaseException:
            spool.abort()
            raise
        # Rows missing (size not reached): the file is short, and sending it says so
        # (storage.body_missing) instead of sending a cut message.
        return Body(spool.path, length=size, owned=True)

    async def _insert_again(self, conn: Conn, entry: NewEntry, now: datetime) -> Added:
        for _ in range(3):
            cur = await conn.execute(
                self.q(
                    "SELECT id FROM {s}.messages WHERE message_id = %s OR "
                    "(dedupe_key IS NOT NULL AND dedupe_key = %s) LIMIT 1"
                ),
                (entry.message_id, entry.dedupe_key),
            )
            row = await cur.fetchone()
            if row is not None:
                return Added(row[0], False)
            entry = _with_id(entry, new_id())
            added = await self._insert(conn, [entry], now)
            if added and added[0].created:
                return added[0]
        raise RuntimeError("could not allocate an outbox id")  # pragma: no cover

    async def _existing(self, conn: Conn, entries: Sequence[NewEntry]) -> dict[str, str]:
        found: dict[str, str] = {}
        cur = await conn.execute(
            self.q("SELECT message_id, id FROM {s}.messages WHERE message_id = ANY(%s)"),
            ([e.message_id for e in entries],),
        )
        for mid, entry_id in await cur.fetchall():
            found[mid] = entry_id
        keys = [e.dedupe_key for e in entries if e.dedupe_key]
        if keys:
            cur = await conn.execute(
                self.q("SELECT dedupe_key, id FROM {s}.messages WHERE dedupe_key = ANY(%s)"),
                (keys,),
            )
            for key, entry_id in await cur.fetchall():
                found[f"key:{key}"] = entry_id
        return found

    async def notify(self, conn: Conn) -> None:
        """Wake the workers listening on this schema (sent when the transaction commits)."""
        await conn.execute("SELECT pg_notify(%s, '')", (self.channel,))

    # -- claiming -----------------------------------------------------------------

    _PAUSED = "SELECT name FROM {s}.accounts WHERE until IS NULL OR until > %(now)s"
    _ONLY = " AND (%(accounts)s::text[] IS NULL OR account = ANY(%(accounts)s::text[]))"

    async def claim(
        self,
        conn: Conn,
        worker_id: str,
        limit: int,
        lease_until: datetime,
        now: datetime,
        accounts: Sequence[str] | None,
    ) -> list[Claim]:
        """Take up to ``limit`` due or abandoned entries, in one statement (one round trip).

        Entries whose lease ran out are taken too: their worker died while
        sending, so each gets an ``outbox.interrupted`` attempt (a duplicate
        is possible) and comes back with ``previous`` = ``sending``.
        """
        if accounts is not None and not accounts:
            return []
        error = ErrorInfo(outbox_keys.OUTBOX_INTERRUPTED.key)
        params = {
            "now": now,
            "limit": limit,
            "accounts": list(accounts) if accounts else None,
            "worker": worker_id,
            "until": lease_until,
            "ekey": error.key,
            "error": _json(error),
        }
        cur = await conn.execute(self._claim_sql, params, binary=True)  # bodies as bytes
        rows = await cur.fetchall()
        out = []
        chunked: list[tuple[Claim, int, int]] = []
        for (
            entry_id,
            message_id,
            account,
            previous,
            priority,
            created_at,
            send_at,
            age_from,
            attempts,
            envelope_from,
            smtputf8,
            subject,
            data,
            stale,
            addresses,
            statuses,
            errors,
            updated,
            seq,
            size,
        ) in rows:
            states = tuple(
                RecipientState(a, _RSTATUS[s], _info(e), u)
                for a, s, e, u in zip(
                    addresses or (), statuses or (), errors or (), updated or (), strict=True
                )
            )
            pending = tuple(st.address for st in states if st.status is RecipientStatus.PENDING)
            out.append(
                Claim(
                    id=entry_id,
                    message_id=message_id,
                    account=account,
                    envelope=Envelope(envelope_from, pending, message_id, bool(smtputf8)),
                    data=bytes(data),
                    recipients=states,
                    attempts=attempts,
                    created_at=created_at,
                    send_at=send_at,
                    previous=Status.SENDING
                    if stale
                    else _STATUS.get(previous or "queued", Status.QUEUED),
                    lease_until=lease_until,
                    age_from=age_from,
                    priority=priority,
                    subject=subject,
                )
            )
            if not data and size:  # a big message: its rows of body_chunks, spooled below
                chunked.append((out[-1], seq, size))
        for claim, seq, size in chunked:
            claim.data = await self.spool_chunks(conn, seq, size)
        return out

    @property
    def _claim_sql(self) -> str:
        # Due entries and entries whose lease ran out, each locked with SKIP LOCKED (two
        # index scans, each LIMITed), the best ``limit`` of both taken; the interrupted
        # ones get their history row; bodies and recipients come back with the update.
        # All CTEs see one snapshot: the attempt row reads the old lease owner.
        if self._claim is None:
            self._claim = self.q(
                "WITH due AS MATERIALIZED (SELECT seq, priority, due_at AS t, size "
                f"FROM {{s}}.messages "
                f"WHERE due_at <= %(now)s AND account NOT IN ({self._PAUSED}){self._ONLY} "
                "ORDER BY priority, due_at, seq LIMIT %(limit)s FOR UPDATE SKIP LOCKED), "
                "stale AS MATERIALIZED (SELECT seq, priority, lease_until AS t, size "
                "FROM {s}.messages "
                f"WHERE lease_until <= %(now)s AND account NOT IN ({self._PAUSED}){self._ONLY} "
                "ORDER BY lease_until, seq LIMIT %(limit)s FOR UPDATE SKIP LOCKED), "
                # At most BIG_PER_CLAIM big messages (each is spooled to a local file
                # when claimed): the others stay due for the next claim.
                "picked AS MATERIALIZED (SELECT seq, priority, t, stale FROM ("
                "SELECT seq, priority, t, stale, size, count(*) FILTER (WHERE size > "
                f"{STREAM_THRESHOLD}) OVER (ORDER BY priority, t, seq) AS bigs FROM ("
                "SELECT seq, priority, t, size, false AS stale FROM due UNION ALL "
                "SELECT seq, priority, t, size, true FROM stale) AS u) AS p "
                f"WHERE size <= {STREAM_THRESHOLD} OR bigs <= {BIG_PER_CLAIM} "
                "ORDER BY priority, t, seq LIMIT %(limit)s), "
                "interrupted AS (INSERT INTO {s}.attempts (seq, at, account, outcome, "
                "error_key, error, counted, worker) SELECT m.seq, %(now)s, m.account, "
                "'uncertain', %(ekey)s, %(error)s, false, m.lease_owner FROM {s}.messages m "
                "JOIN picked p ON p.seq = m.seq WHERE p.stale ORDER BY m.seq), "
                "taken AS (UPDATE {s}.messages m SET status = 'sending', previous = CASE WHEN "
                "m.status = 'sending' THEN m.previous ELSE m.status END, "
                "lease_owner = %(worker)s, lease_until = %(until)s, due_at = NULL, "
                "updated_at = %(now)s FROM picked p JOIN {s}.bodies b ON b.seq = p.seq "
                "WHERE m.seq = p.seq RETURNING m.seq, m.id, m.message_id, m.account, "
                "m.previous, m.priority, m.created_at, m.send_at, m.age_from, m.attempts, "
                "m.envelope_from, m.smtputf8, m.subject, b.data, p.stale, p.t, m.size) "
                "SELECT k.id, k.message_id, k.account, k.previous, k.priority, k.created_at, "
                "k.send_at, k.age_from, k.attempts, k.envelope_from, k.smtputf8, k.subject, "
                "k.data, k.stale, r.addresses, r.statuses, r.errors, r.updated, k.seq, k.size "
                "FROM taken k "
                "LEFT JOIN LATERAL (SELECT array_agg(address ORDER BY position) AS addresses, "
                "array_agg(status ORDER BY position) AS statuses, "
                "array_agg(error ORDER BY position) AS errors, "
                "array_agg(updated_at ORDER BY position) AS updated "
                "FROM {s}.recipients WHERE seq = k.seq) AS r ON true "
                "ORDER BY k.priority, k.t, k.seq"
            )
        return self._claim

    async def due_count(self, conn: Conn, now: datetime, accounts: Sequence[str] | None) -> int:
        params = {"now": now, "accounts": list(accounts) if accounts is not None else None}
        if accounts is not None and not accounts:
            return 0
        cur = await conn.execute(
            self.q(
                "SELECT (SELECT count(*) FROM {s}.messages WHERE due_at <= %(now)s "
                f"AND account NOT IN ({self._PAUSED}){self._ONLY}) + (SELECT count(*) FROM "
                "{s}.messages WHERE lease_until <= %(now)s "
                f"AND account NOT IN ({self._PAUSED}){self._ONLY})"
            ),
            params,
        )
        row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _recipients(
        self, conn: Conn, seqs: Sequence[int]
    ) -> dict[int, tuple[RecipientState, ...]]:
        found: dict[int, list[RecipientState]] = {}
        cur = await conn.execute(
            self.q(
                "SELECT seq, address, status, error, updated_at FROM {s}.recipients "
                "WHERE seq = ANY(%s) ORDER BY seq, position"
            ),
            (list(seqs),),
        )
        for seq, address, status, error, updated in await cur.fetchall():
            found.setdefault(seq, []).append(
                RecipientState(address, _RSTATUS[status], _info(error), updated)
            )
        return {k: tuple(v) for k, v in found.items()}

    async def _addresses(self, conn: Conn, seqs: Sequence[int]) -> dict[int, tuple[str, ...]]:
        cur = await conn.execute(
            self.q(
                "SELECT seq, array_agg(address ORDER BY position) FROM {s}.recipients "
                "WHERE seq = ANY(%s) GROUP BY seq"
            ),
            (list(seqs),),
        )
        return {seq: tuple(addresses) for seq, addresses in await cur.fetchall()}

    async def renew(self, conn: Conn, worker_id: str, ids: Sequence[str], until: datetime) -> int:
        async with conn.pipeline() as pipeline, conn.transaction():
            await conn.execute(_WORKER_COMMIT)
            cur = await conn.execute(
                self.q(
                    "UPDATE {s}.messages SET lease_until = %s WHERE lease_owner = %s "
                    "AND status = 'sending' AND id = ANY(%s)"
                ),
                (until, worker_id, list(ids)),
            )
            await pipeline.sync()  # (the row count is known once the answer is in)
            return cur.rowcount

    async def complete(
        self, conn: Conn, worker_id: str, outcomes: Sequence[Outcome], now: datetime
    ) -> list[Change]:
        """Record a batch of outcomes in one statement (one round trip, durable commit).

        Every outcome's attempt joins the history; only the entries this worker
        still holds change state (a lost lease keeps just the history).
        """
        attempts = []
        updates = []
        rcpt_updates: dict[tuple[str, str], tuple[Any, ...]] = {}
        for o in outcomes:
            attempts.append((o.id, *_attempt_row(0, o.attempt)[1:]))
            updates.append(
                (
                    o.id,
                    str(o.status),
                    o.next_attempt_at,
                    int(o.attempt.counted),
                    _json(o.error),
                    o.sent_at,
                )
            )
            for r in o.recipients:  # (the same address twice: the last state wins)
                rcpt_updates[o.id, r.address] = (
                    o.id,
                    r.address,
                    str(r.status),
                    _json(r.error),
                    r.updated_at or now,
                )
        params = (
            [o.id for o in outcomes],
            *_columns(attempts, 14),
            worker_id,
            now,
            *_columns(updates, 6),
            *_columns(list(rcpt_updates.values()), 5),
        )
        # Planned for this batch, never prepared: a generic plan cannot see how many
        # entries the arrays hold and scanned the whole queue (2.5 s instead of 20 ms for
        # a batch of 100 beside 20,000 queued messages).
        cur = await conn.execute(self._complete_sql, params, prepare=False)
        taken = {
            entry_id: (message_id, account)
            for entry_id, message_id, account in (await cur.fetchall())
        }
        if any(o.next_attempt_at is not None for o in outcomes if o.id in taken):
            await self.notify(conn)
        changes: list[Change] = []
        for o in outcomes:
            if o.id not in taken:
                continue  # purged meanwhile, or the lease was lost: someone else owns it now
            message_id, account = taken[o.id]
            error = o.error
            changes.append(
                Change(
                    o.id,
                    message_id,
                    account,
                    o.status,
                    Status.SENDING,
                    error.key if error else None,
                    o.next_attempt_at,
                    now,
                    error=error,
                )
            )
        return changes

    @property
    def _complete_sql(self) -> str:
        # The rows are locked in seq order first (every writer does, so writers never
        # deadlock), then one INSERT and two UPDATEs from arrays, whatever the batch.
        if self._complete is None:
            self._complete = self.q(
                "WITH m AS MATERIALIZED (SELECT seq, id, message_id, account, status, "
                "lease_owner FROM {s}.messages WHERE id = ANY(%s::text[]) ORDER BY seq "
                "FOR UPDATE), "
                "history AS (INSERT INTO {s}.attempts (seq, at, account, outcome, host, code, "
                "enhanced, text, error_key, error, duration, counted, recipients, worker) "
                "SELECT m.seq, a.at, a.account, a.outcome, a.host, a.code, a.enhanced, a.text, "
                "a.error_key, a.error, a.duration, a.counted, a.recipients, a.worker "
                "FROM unnest(%s::text[], %s::timestamptz[], %s::text[], %s::text[], "
                "%s::text[], %s::int[], %s::text[], %s::text[], %s::text[], %s::jsonb[], "
                "%s::float8[], %s::bool[], %s::jsonb[], %s::text[]) WITH ORDINALITY AS a(id, "
                "at, account, outcome, host, code, enhanced, text, error_key, error, duration, "
                "counted, recipients, worker, i) JOIN m ON m.id = a.id ORDER BY a.i), "
                "mine AS MATERIALIZED (SELECT seq, id, message_id, account FROM m "
                "WHERE status = 'sending' AND lease_owner = %s), "
                "done AS (UPDATE {s}.messages x SET status = v.status, previous = NULL, "
                "lease_owner = NULL, lease_until = NULL, due_at = v.due, "
                "attempts = x.attempts + v.counted, error = v.error, "
                "sent_at = coalesce(v.sent, x.sent_at), updated_at = %s::timestamptz "
                "FROM unnest(%s::text[], %s::text[], %s::timestamptz[], %s::int[], "
                "%s::jsonb[], %s::timestamptz[]) AS v(id, status, due, counted, error, sent) "
                "JOIN mine ON mine.id = v.id WHERE x.seq = mine.seq), "
                "states AS (UPDATE {s}.recipients r SET status = w.status, error = w.error, "
                "updated_at = w.updated FROM unnest(%s::text[], %s::text[], %s::text[], "
                "%s::jsonb[], %s::timestamptz[]) AS w(id, address, status, error, updated) "
                "JOIN mine ON mine.id = w.id WHERE r.seq = mine.seq AND r.address = w.address) "
                "SELECT id, message_id, account FROM mine"
            )
        return self._complete

    async def release(
        self, conn: Conn, worker_id: str, ids: Sequence[str], now: datetime
    ) -> list[Change]:
        async with conn.pipeline(), conn.transaction():
            cur = await conn.execute(
                self.q(
                    "UPDATE {s}.messages SET status = coalesce(previous, 'queued'), "
                    "previous = NULL, lease_owner = NULL, lease_until = NULL, due_at = %s, "
                    "updated_at = %s WHERE lease_owner = %s AND status = 'sending' "
                    "AND id = ANY(%s) RETURNING seq, id, message_id, account, status, error, "
                    "subject"
                ),
                (now, now, worker_id, list(ids)),
            )
            rows = await cur.fetchall()
            addresses = await self._addresses(conn, [r[0] for r in rows])
            if rows:
                await self.notify(conn)
        changes = []
        for seq, entry_id, message_id, account, status, error, subject in rows:
            info = _info(error)
            changes.append(
                Change(
                    entry_id,
                    message_id,
                    account,
                    Status(status),
                    Status.SENDING,
                    info.key if info else None,
                    now,
                    now,
                    error=info,
                    subject=subject,
                    recipients=addresses.get(seq, ()),
                )
            )
        return changes

    async def next_due(
        self, conn: Conn, now: datetime, accounts: Sequence[str] | None
    ) -> datetime | None:
        if accounts is not None and not accounts:
            return None
        params = {"accounts": list(accounts) if accounts is not None else None}
        only = " AND (%(accounts)s::text[] IS NULL OR m.account = ANY(%(accounts)s::text[]))"
        cur = await conn.execute(
            self.q(
                "SELECT least((SELECT min(greatest(m.due_at, a.until)) FROM {s}.messages m "
                "LEFT JOIN {s}.accounts a ON a.name = m.account WHERE m.due_at IS NOT NULL "
                f"AND NOT (a.name IS NOT NULL AND a.until IS NULL){only}), "
                "(SELECT min(lease_until) FROM {s}.messages m "
                f"WHERE lease_until IS NOT NULL{only}))"
            ),
            params,
        )
        row = await cur.fetchone()
        return row[0] if row else None

    # -- send slots -------------------------------------------------------------------

    async def take_send_slot(
        self, conn: Conn, account: str, limits: SendLimits, now: datetime, day_end: datetime
    ) -> SendSlot:
        """The account's counters, locked, moved by :func:`mailplug.plugin.take_send_slot`."""
        q = self.q
        async with conn.transaction():
            await conn.execute(
                q(
                    "INSERT INTO {s}.send_limits (account) VALUES (%s) "
                    "ON CONFLICT (account) DO NOTHING"
                ),
                (account,),
            )
            cur = await conn.execute(
                q(
                    "SELECT tat, day_end, day_count FROM {s}.send_limits "
                    "WHERE account = %s FOR UPDATE"
                ),
                (account,),
            )
            row = await cur.fetchone()
            state = SendLimitState(*row) if row is not None else SendLimitState()
            slot = take_send_slot(state, limits, now=now, day_end=day_end)
            if slot.granted:
                await conn.execute(
                    q(
                        "UPDATE {s}.send_limits SET tat = %s, day_end = %s, day_count = %s "
                        "WHERE account = %s"
                    ),
                    (state.tat, state.day_end, state.day_count, account),
                )
        return slot

    # -- accounts -------------------------------------------------------------------

    async def pause_account(self, conn: Conn, pause: AccountPause) -> None:
        async with conn.transaction():
            cur = await conn.execute(
                self.q("SELECT until FROM {s}.accounts WHERE name = %s FOR UPDATE"),
                (pause.account,),
            )
            current = await cur.fetchone()
            if current is not None and current[0] is None and pause.until is not None:
                return  # a pause until resumed outranks a timed hold
            await conn.execute(
                self.q(
                    "INSERT INTO {s}.accounts (name, since, until, fingerprint, error) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET "
                    "since = excluded.since, until = excluded.until, "
                    "fingerprint = excluded.fingerprint, error = excluded.error"
                ),
                (pause.account, pause.since, pause.until, pause.fingerprint, _json(pause.error)),
            )

    async def resume_account(self, conn: Conn, account: str) -> bool:
        async with conn.transaction():
            cur = await conn.execute(self.q("DELETE FROM {s}.accounts WHERE name = %s"), (account,))
            if cur.rowcount:
                await self.notify(conn)
            return cur.rowcount > 0

    async def paused_accounts(self, conn: Conn) -> dict[str, AccountPause]:
        cur = await conn.execute(
            self.q("SELECT name, since, until, fingerprint, error FROM {s}.accounts")
        )
        return {
            name: AccountPause(name, since, until, fingerprint, _info(error))
            for name, since, until, fingerprint, error in await cur.fetchall()
        }

    # -- queries --------------------------------------------------------------------

    async def find(self, conn: Conn, ref: str) -> OutboxEntry | None:
        ref = ref.strip()
        async with conn.transaction():
            row = await self._find_row(conn, ref)
            if row is None:
                return None
            seq = row[0]
            recipients = (await self._recipients(conn, [seq])).get(seq, ())
            cur = await conn.execute(
                self.q(
                    "SELECT at, account, outcome, host, code, enhanced, text, error, "
                    "duration, counted, recipients, worker FROM {s}.attempts "
                    "WHERE seq = %s ORDER BY at, n"
                ),
                (seq,),
            )
            history = tuple(
                Attempt(
                    at=at,
                    account=account,
                    outcome=Status(outcome),
                    host=host,
                    code=code,
                    enhanced=enhanced,
                    text=text or "",
                    error=_info(error),
                    duration=duration,
                    counted=bool(counted),
                    recipients=tuple(
                        RecipientState(
                            r["address"],
                            RecipientStatus(r["status"]),
                            ErrorInfo.from_dict(r.get("error")),
                            datetime.fromisoformat(r["updated_at"])
                            if r.get("updated_at")
                            else None,
                        )
                        for r in (rcpts or [])
                    ),
                    worker=worker,
                )
                for (
                    at,
                    account,
                    outcome,
                    host,
                    code,
                    enhanced,
                    text,
                    error,
                    duration,
                    counted,
                    rcpts,
                    worker,
                ) in await cur.fetchall()
            )
        return _entry(row, recipients, history)

    _ENTRY = (
        "seq, id, message_id, account, status, subject, sender, to_list, priority, created_at, "
        "updated_at, send_at, due_at, sent_at, attempts, size, error, metadata, lease_owner, "
        "lease_until, dedupe_key"
    )

    async def _find_row(self, conn: Conn, ref: str) -> tuple[Any, ...] | None:
        if not ref:
            return None
        base = self.q(f"SELECT {self._ENTRY} FROM {{s}}.messages WHERE ")
        cur = await conn.execute(base + "id = %s", (ref,))
        row = await cur.fetchone()
        if row is not None:
            return tuple(row)
        mid = ref if ref.startswith("<") else f"<{ref}>"
        cur = await conn.execute(base + "message_id = %s", (mid,))
        row = await cur.fetchone()
        if row is not None:
            return tuple(row)
        if len(ref) < 4:
            return None
        low = ref.lower()
        # id is COLLATE "C": the range is a prefix match on the unique index.
        cur = await conn.execute(base + "id >= %s AND id < %s LIMIT 2", (low, low + "\x7f"))
        rows = await cur.fetchall()
        if len(rows) > 1:
            raise outbox_keys.OUTBOX_AMBIGUOUS.error(ref=ref)
        return rows[0] if rows else None

    async def query(self, conn: Conn, f: Filter) -> list[OutboxEntry]:
        where: list[str] = []
        params: list[Any] = []
        if f.statuses:
            where.append("status = ANY(%s)")
            params.append([str(s) for s in f.statuses])
        if f.account:
            where.append("account = %s")
            params.append(f.account)
        if f.recipient:
            where.append(
                "seq IN (SELECT seq FROM {s}.recipients WHERE strpos(lower(address), %s) > 0)"
            )
            params.append(f.recipient.lower())
        if f.text:
            where.append(
                "strpos(lower(subject || chr(10) || sender || chr(10) || to_list::text), %s) > 0"
            )
            params.append(f.text.lower())
        if f.since is not None:
            where.append("coalesce(sent_at, created_at) >= %s")
            params.append(f.since)
        if f.until is not None:
            where.append("coalesce(sent_at, created_at) < %s")
            params.append(f.until)
        sql = f"SELECT {self._ENTRY} FROM {{s}}.messages"
        if where:
            sql += " WHERE " + " AND ".join(where)
        order = "DESC" if f.newest_first else "ASC"
        sql += f" ORDER BY created_at {order}, seq {order} LIMIT %s OFFSET %s"
        params += [max(0, f.limit), max(0, f.offset)]
        async with conn.transaction():
            cur = await conn.execute(self.q(sql), params)
            rows = await cur.fetchall()
            recipients = await self._recipients(conn, [r[0] for r in rows])
        return [_entry(r, recipients.get(r[0], ())) for r in rows]

    async def counts(self, conn: Conn, account: str | None) -> dict[str, int]:
        out = {str(s): 0 for s in Status}
        cur = await conn.execute(
            self.q(
                "SELECT status, count(*) FROM {s}.messages "
                "WHERE %(a)s::text IS NULL OR account = %(a)s GROUP BY status"
            ),
            {"a": account},
        )
        for status, n in await cur.fetchall():
            out[status] = int(n)
        return out

    async def waiting(self, conn: Conn, account: str | None) -> int:
        cur = await conn.execute(
            self.q(
                "SELECT count(*) FROM {s}.messages WHERE status = ANY(%(st)s) "
                "AND (%(a)s::text IS NULL OR account = %(a)s)"
            ),
            {"st": [str(s) for s in WAITING_STATUSES], "a": account},
        )
        row = await cur.fetchone()
        return int(row[0]) if row else 0

    # -- people's actions -------------------------------------------------------------

    async def _locked(
        self, conn: Conn, refs: Sequence[str], allowed: Sequence[Status]
    ) -> list[tuple[Any, ...]]:
        """The rows ``refs`` name, each once, locked, and only those in ``allowed`` now."""
        seqs: set[int] = set()
        for ref in refs:
            row = await self._find_row(conn, ref.strip())
            if row is not None:
                seqs.add(row[0])
        if not seqs:
            return []
        cur = await conn.execute(
            self.q(
                "SELECT seq, id, message_id, account, status, subject FROM {s}.messages "
                "WHERE seq = ANY(%s) AND status = ANY(%s) ORDER BY seq FOR UPDATE"
            ),
            (sorted(seqs), [str(s) for s in allowed]),
        )
        return list(await cur.fetchall())

    async def retry(self, conn: Conn, refs: Sequence[str], now: datetime) -> list[Change]:
        q = self.q
        changes = []
        async with conn.transaction():
            rows = await self._locked(conn, refs, RETRYABLE)
            seqs = [r[0] for r in rows]
            if not seqs:
                return []
            addresses = await self._addresses(conn, seqs)
            await conn.execute(
                q(
                    "UPDATE {s}.recipients SET status = 'pending', updated_at = %s "
                    "WHERE seq = ANY(%s) AND status = 'failed'"
                ),
                (now, seqs),
            )
            await conn.execute(
                q(
                    "UPDATE {s}.messages SET status = 'queued', due_at = %(now)s, "
                    "age_from = %(now)s, attempts = 0, send_at = CASE WHEN send_at > %(now)s "
                    "THEN NULL ELSE send_at END, updated_at = %(now)s WHERE seq = ANY(%(seqs)s)"
                ),
                {"now": now, "seqs": seqs},
            )
            await self.notify(conn)
            for seq, entry_id, message_id, account, status, subject in rows:
                changes.append(
                    Change(
                        entry_id,
                        message_id,
                        account,
                        Status.QUEUED,
                        Status(status),
                        at=now,
                        subject=subject,
                        recipients=addresses.get(seq, ()),
                    )
                )
        return changes

    async def cancel(self, conn: Conn, refs: Sequence[str], now: datetime) -> list[Change]:
        q = self.q
        changes = []
        async with conn.transaction():
            rows = await self._locked(conn, refs, CANCELLABLE)
            seqs = [r[0] for r in rows]
            if not seqs:
                return []
            addresses = await self._addresses(conn, seqs)
            await conn.execute(
                q(
                    "UPDATE {s}.recipients SET status = 'cancelled', updated_at = %s "
                    "WHERE seq = ANY(%s) AND status = 'pending'"
                ),
                (now, seqs),
            )
            await conn.execute(
                q(
                    "UPDATE {s}.messages SET status = 'cancelled', due_at = NULL, "
                    "updated_at = %s WHERE seq = ANY(%s)"
                ),
                (now, seqs),
            )
            for seq, entry_id, message_id, account, status, subject in rows:
                changes.append(
                    Change(
                        entry_id,
                        message_id,
                        account,
                        Status.CANCELLED,
                        Status(status),
                        at=now,
                        subject=subject,
                        recipients=addresses.get(seq, ()),
                    )
                )
        return changes

    async def purge(self, conn: Conn, before: datetime, statuses: Sequence[Status]) -> int:
        if not statuses:
            return 0
        async with conn.transaction():
            cur = await conn.execute(
                self.q(
                    "DELETE FROM {s}.messages WHERE status = ANY(%s) "
                    "AND coalesce(sent_at, created_at) < %s"
                ),
                ([str(s) for s in statuses], before),
            )
            return cur.rowcount


_COLUMNS = (
    "id, message_id, dedupe_key, account, status, priority, created_at, updated_at, send_at, "
    "age_from, due_at, sent_at, subject, sender, to_list, envelope_from, smtputf8, size, metadata"
)


def _message_values(entry: NewEntry, now: datetime) -> tuple[Any, ...]:
    due = entry.due_at
    return (
        entry.id,
        entry.message_id,
        entry.dedupe_key,
        entry.account,
        str(entry.status),
        entry.priority,
        entry.created_at,
        now,
        entry.send_at,
        due or entry.created_at,
        due,
        entry.sent_at,
        entry.subject,
        entry.sender,
        Jsonb(list(entry.to)),
        entry.envelope.sender,
        bool(entry.envelope.smtputf8),
        size_of(entry.data),
        Jsonb(entry.metadata) if entry.metadata else None,
    )


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as ``width`` column lists (the arrays ``unnest`` takes back apart)."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns


def _with_id(entry: NewEntry, entry_id: str) -> NewEntry:
    from dataclasses import replace

    return replace(entry, id=entry_id)


def _inserted(entry: NewEntry, entry_id: str, now: datetime) -> Change:
    return Change(
        entry_id,
        entry.message_id,
        entry.account,
        entry.status,
        None,
        at=now,
        subject=entry.subject,
        recipients=entry.envelope.recipients,
    )


def _attempt_row(seq: int, a: Attempt) -> tuple[Any, ...]:
    return (
        seq,
        a.at,
        a.account,
        str(a.outcome),
        a.host,
        a.code,
        a.enhanced,
        a.text,
        a.error_key,
        _json(a.error),
        a.duration,
        bool(a.counted),
        Jsonb([r.to_dict() for r in a.recipients]) if a.recipients else None,
        a.worker,
    )


def _entry(
    row: tuple[Any, ...],
    recipients: tuple[RecipientState, ...] = (),
    history: tuple[Attempt, ...] = (),
) -> OutboxEntry:
    (
        _,
        entry_id,
        message_id,
        account,
        status,
        subject,
        sender,
        to_list,
        priority,
        created_at,
        updated_at,
        send_at,
        due_at,
        sent_at,
        attempts,
        size,
        error,
        metadata,
        lease_owner,
        lease_until,
        dedupe_key,
    ) = row
    return OutboxEntry(
        id=entry_id,
        message_id=message_id,
        account=account,
        status=Status(status),
        subject=subject,
        sender=sender,
        to=tuple(to_list or ()),
        priority=priority,
        created_at=created_at,
        updated_at=updated_at,
        send_at=send_at,
        next_attempt_at=due_at,
        sent_at=sent_at,
        attempts=attempts,
        size=size,
        error=_info(error),
        recipients=recipients,
        history=history,
        metadata=dict(metadata) if metadata else {},
        lease_owner=lease_owner,
        lease_until=lease_until,
        dedupe_key=dedupe_key,
    )
