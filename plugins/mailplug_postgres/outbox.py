"""A shared outbox on PostgreSQL: several app servers and workers, one queue.

Built on psycopg 3 (``psycopg[binary]`` and ``psycopg-pool``, the extra
``postgres``): hosts such as Django already use it, it has a native async
API and a connection pool, ``LISTEN``/``NOTIFY``, and a host can hand us its
own connection so mail is stored inside the host's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from mailplug.plugin import (
    AccountPause,
    Added,
    Change,
    Claim,
    CopyClaim,
    CopyOutcome,
    Delivery,
    Filter,
    NewEntry,
    Outbox,
    OutboxEntry,
    Outcome,
    SendLimits,
    SendSlot,
    Status,
    utcnow,
)

from . import keys, schema
from .errors import RETRY_SQLSTATES, is_connection_lost, storage_error
from .options import Options, parse_location
from .store import Sql
from .tracking import Tracking

if TYPE_CHECKING:
    from mailplug.plugin import Services

__all__ = ["PostgresOutbox", "open_outbox"]

log = logging.getLogger("mailplug.postgres")
T = TypeVar("T")
Conn = psycopg.AsyncConnection[Any]

#: Tries of one step: a lost race (serialization, deadlock) or a dropped connection.
ATTEMPTS = 4
#: Seconds to wait for a free pooled connection before saying the server is unreachable.
CONNECT_TIMEOUT = 15.0


async def _configure(conn: Conn) -> None:
    # Times come back in UTC, whatever the server's TimeZone says.
    await conn.execute("SET TIME ZONE 'UTC'")
    # The outbox's statements are short and run thousands of times: compiling them (JIT,
    # on by default for statements the planner thinks costly, as it may with a batch's
    # arrays or stale statistics) cost 100 ms per claim of 96 messages, 15x the statement.
    await conn.execute("SET jit TO off")
    await conn.commit()


class PostgresOutbox(Outbox):
    """The :class:`~mailplug.outbox.Outbox` in a PostgreSQL schema, shared by many workers.

    Every method borrows a pooled connection for one transaction.  A step
    that lost a race with another worker (serialization failure, deadlock) or
    whose connection dropped is run again, a few times, before its error is
    raised as a ``storage.*`` key.
    """

    name = "postgresql"
    shares_connections = True
    #: Big messages are stored in 1 MB rows (``body_chunks``) and spooled to a file when claimed.
    stores_bodies = True
    shares_send_limits = True

    def __init__(self, options: Options, *, services: Services) -> None:
        super().__init__(services=services)
        self.options = options
        self.sql = Sql(options.schema)
        self.tracking = Tracking(self.sql)
        self._pool: AsyncConnectionPool[Conn] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._wakers: list[asyncio.Event] = []
        self._background: set[asyncio.Task[Any]] = set()
        # Connection slots: session advisory locks on one connection of our own, so
        # the server frees them when this process dies (kill -9 included).
        self._slots_conn: Conn | None = None
        self._slots_lock = asyncio.Lock()
        self._slots: dict[str, set[int]] = {}

    @property
    def where(self) -> str:
        """The database and schema, without the password."""
        return self.options.where

    # -- opening ------------------------------------------------------------------

    async def open(self) -> PostgresOutbox:
        """Connect, and create or migrate the schema."""
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.options.conninfo, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT)
            )
        except psycopg.Error as exc:
            raise storage_error(exc, self.where, connecting=True) from exc
        try:
            async with conn:
                await _configure(conn)
                await schema.migrate(conn, self.options.schema, self.where)
        except psycopg.Error as exc:
            raise storage_error(exc, self.where) from exc
        self._pool = AsyncConnectionPool(
            self.options.conninfo,
            min_size=self.options.pool_min,
            max_size=self.options.pool_max,
            kwargs={"autocommit": True},
            configure=_configure,
            open=False,
            name=f"mailplug-{self.options.schema}",
        )
        await self._pool.open(wait=False)
        return self

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, psycopg.Error):
                await self._listener
            self._listener = None
        if self._slots_conn is not None:
            conn, self._slots_conn = self._slots_conn, None
            self._slots.clear()
            await conn.close()  # frees every slot this process held
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    # -- the boundary -------------------------------------------------------------

    async def _run(
        self,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        connection: Conn | None = None,
    ) -> T:
        """Run ``fn(connection, *args)`` on a pooled connection (or the host's), errors mapped."""
        if connection is not None:
            try:
                return await fn(connection, *args)
            except psycopg.Error as exc:
                raise storage_error(exc, self.where) from exc
        if self._pool is None:
            raise keys.POSTGRES_CONNECTION_LOST.error(where=self.where, problem="outbox closed")
        for attempt in range(ATTEMPTS):
            try:
                async with self._pool.connection(timeout=CONNECT_TIMEOUT) as conn:
                    return await fn(conn, *args)
            except PoolTimeout as exc:
                raise keys.POSTGRES_UNREACHABLE.error(
                    where=self.where, problem=str(exc), cause=exc
                ) from exc
            except psycopg.Error as exc:
                again = (exc.sqlstate in RETRY_SQLSTATES) or is_connection_lost(exc)
                if not again or attempt == ATTEMPTS - 1:
                    raise storage_error(exc, self.where) from exc
                log.info("outbox %s: %s; trying again", self.where, type(exc).__name__)
                await asyncio.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- adding -------------------------------------------------------------------

    async def insert(self, entries: Sequence[NewEntry]) -> list[Added]:
        if not entries:
            return []
        return await self._run(self.sql.insert, list(entries), utcnow())

    async def insert_within(self, connection: Any, entries: Sequence[NewEntry]) -> list[Added]:
        """Store ``entries`` in the host's open transaction (see :meth:`Outbox.insert_within`).

        :param connection: a psycopg 3 ``AsyncConnection`` or ``Connection`` (or a
            cursor of one, or Django's ``connection``) on the outbox's database.
            The entries are written in a savepoint of its current transaction;
            the host commits or rolls back.  Workers are woken when it commits.
        """
        from .hostconn import host_connection

        conn = host_connection(connection)
        if not entries:
            return []
        return await self._run(self.sql.insert, list(entries), utcnow(), connection=conn)

    # -- sending ------------------------------------------------------------------

    def watch(self, wake: asyncio.Event) -> Callable[[], None]:
        """Set ``wake`` when any process queues, retries, releases or resumes mail.

        One ``LISTEN`` connection per outbox serves every watcher; it is
        reopened (and ``wake`` set, as notifications may have been missed)
        after the server drops it.  Behind a pooler that drops ``LISTEN``,
        workers still find new mail by polling.
        """
        self._wakers.append(wake)
        if self._listener is None or self._listener.done():
            self._listener = asyncio.ensure_future(self._listen())

        def stop() -> None:
            with contextlib.suppress(ValueError):
                self._wakers.remove(wake)
            if not self._wakers and self._listener is not None:
                self._listener.cancel()
                self._listener = None

        return stop

    def _wake_all(self) -> None:
        for wake in self._wakers:
            wake.set()

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.options.conninfo, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT)
                )
                async with conn:
                    await conn.execute(f'LISTEN "{self.sql.channel}"')
                    delay = 0.1
                    self._wake_all()  # whatever was queued while nobody listened
                    async for _ in conn.notifies():
                        self._wake_all()
            except psycopg.Error as exc:
                log.warning("outbox %s: listening for new mail failed: %s", self.where, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def claim(
        self,
        worker_id: str,
        *,
        limit: int,
        lease: float,
        now: datetime,
        accounts: Sequence[str] | None = None,
    ) -> list[Claim]:
        until = now + timedelta(seconds=lease)
        task = asyncio.ensure_future(
            self._run(self.sql.claim, worker_id, limit, until, now, accounts)
        )
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            # The caller was cancelled while claiming: nobody will send these.
            task.add_done_callback(lambda t: self._give_back(t, worker_id, now))
            raise

    def _give_back(self, task: asyncio.Task[list[Claim]], worker_id: str, now: datetime) -> None:
        if task.cancelled() or task.exception() is not None or not task.result():
            return
        ids = [c.id for c in task.result()]
        giving_back = asyncio.ensure_future(self.release(worker_id, ids, now=now))
        self._background.add(giving_back)
        giving_back.add_done_callback(self._background.discard)

    async def renew(self, worker_id: str, ids: Sequence[str], *, until: datetime) -> int:
        if not ids:
            return 0
        return await self._run(self.sql.renew, worker_id, list(ids), until)

    async def complete(self, worker_id: str, outcomes: Sequence[Outcome]) -> list[Change]:
        if not outcomes:
            return []
        return await self._run(self.sql.complete, worker_id, list(outcomes), utcnow())

    async def release(self, worker_id: str, ids: Sequence[str], *, now: datetime) -> list[Change]:
        if not ids:
            return []
        return await self._run(self.sql.release, worker_id, list(ids), now)

    async def next_due(
        self, *, now: datetime, accounts: Sequence[str] | None = None
    ) -> datetime | None:
        return await self._run(self.sql.next_due, now, accounts)

    async def due_count(self, *, now: datetime, accounts: Sequence[str] | None = None) -> int:
        return await self._run(self.sql.due_count, now, accounts)

    # -- connection slots shared by every worker ---------------------------------------

    async def take_connection(self, account: str, *, limit: int) -> int | None:
        """A slot of ``account``'s ``limit`` connections: an advisory lock held on this
        outbox's slot connection (advisory locks are re-entrant per session, so the
        slots this process holds are skipped here)."""
        async with self._slots_lock:
            held = self._slots.setdefault(account, set())
            for slot in range(limit):
                if slot in held:
                    continue
                if await self._slot_call("pg_try_advisory_lock", account, slot):
                    self._slots.setdefault(account, set()).add(slot)
                    return slot
            return None

    async def give_connection(self, account: str, slot: int) -> None:
        async with self._slots_lock:
            held = self._slots.get(account, set())
            if slot in held:
                held.discard(slot)
                await self._slot_call("pg_advisory_unlock", account, slot)

    async def _slot_call(self, function: str, account: str, slot: int) -> bool:
        for attempt in range(2):
            try:
                if self._slots_conn is None or self._slots_conn.closed:
                    if self._slots_conn is not None:
                        self._slots.clear()  # the server freed them with the session
                    self._slots_conn = await psycopg.AsyncConnection.connect(
                        self.options.conninfo,
                        autocommit=True,
                        connect_timeout=int(CONNECT_TIMEOUT),
                    )
                cur = await self._slots_conn.execute(
                    f"SELECT {function}(hashtext(%s), %s)",
                    (f"mailplug.{self.options.schema}.{account}", slot),
                )
                row = await cur.fetchone()
                return bool(row and row[0])
            except psycopg.Error as exc:
                if attempt == 1 or not is_connection_lost(exc):
                    raise storage_error(exc, self.where) from exc
                self._slots_conn = None
                self._slots.clear()
        return False  # pragma: no cover

    # -- send slots shared by every worker ----------------------------------------------

    async def take_send_slot(
        self, account: str, limits: SendLimits, *, now: datetime, day_end: datetime
    ) -> SendSlot:
        """The account's next send slot, counted in the ``send_limits`` table (row locked
        for the step), so ``rate_limit_per_minute`` and ``daily_limit`` hold across every
        worker on every host."""
        return await self._run(self.sql.take_send_slot, account, limits, now, day_end)

    # -- accounts -------------------------------------------------------------------

    async def pause_account(self, pause: AccountPause) -> None:
        await self._run(self.sql.pause_account, pause)

    async def resume_account(self, account: str) -> bool:
        return await self._run(self.sql.resume_account, account)

    async def paused_accounts(self) -> dict[str, AccountPause]:
        return await self._run(self.sql.paused_accounts)

    # -- queries --------------------------------------------------------------------

    async def get(self, ref: str) -> OutboxEntry | None:
        entry = await self._run(self.sql.find, ref)
        if entry is None:
            return None
        copies = await self._run(self.tracking.read, [entry.id])
        return replace(entry, sent_copy=copies.get(entry.id))

    async def query(self, filter: Filter) -> list[OutboxEntry]:
        entries = await self._run(self.sql.query, filter)
        if not entries:
            return entries
        copies = await self._run(self.tracking.read, [e.id for e in entries])
        if not copies:
            return entries
        return [replace(e, sent_copy=copies.get(e.id)) for e in entries]

    async def counts(self, *, account: str | None = None) -> dict[str, int]:
        return await self._run(self.sql.counts, account)

    async def waiting(self, *, account: str | None = None) -> int:
        return await self._run(self.sql.waiting, account)

    # -- people's actions -------------------------------------------------------------

    async def retry(self, ids: Sequence[str], *, now: datetime) -> list[Change]:
        return await self._run(self.sql.retry, list(ids), now)

    async def cancel(self, ids: Sequence[str], *, now: datetime) -> list[Change]:
        return await self._run(self.sql.cancel, list(ids), now)

    async def purge(self, *, before: datetime, statuses: Sequence[Status]) -> int:
        return await self._run(self.sql.purge, before, list(statuses))

    # -- after sending: delivery reports, copies for the Sent folder (tracking.py) -----

    keeps_sent_copies = True

    async def record_deliveries(
        self, ref: str, deliveries: Sequence[Delivery], *, now: datetime
    ) -> list[Change]:
        if not deliveries:
            return []
        return await self._run(self.tracking.record_deliveries, ref, list(deliveries), now)

    async def want_sent_copies(self, ids: Sequence[str], *, now: datetime) -> None:
        if ids:
            await self._run(self.tracking.want, list(ids), now)

    async def claim_sent_copies(
        self,
        worker_id: str,
        *,
        limit: int,
        lease: float,
        now: datetime,
        accounts: Sequence[str] | None = None,
    ) -> list[CopyClaim]:
        names = list(accounts) if accounts is not None else None
        return await self._run(self.tracking.claim, worker_id, limit, lease, now, names)

    async def finish_sent_copies(self, worker_id: str, outcomes: Sequence[CopyOutcome]) -> None:
        if outcomes:
            await self._run(self.tracking.finish, worker_id, list(outcomes))

    async def next_sent_copy_due(
        self, *, now: datetime, accounts: Sequence[str] | None = None
    ) -> datetime | None:
        names = list(accounts) if accounts is not None else None
        return await self._run(self.tracking.next_due, now, names)

    def __repr__(self) -> str:
        return f"<PostgresOutbox {self.where}>"


async def open_outbox(location: Any, *, services: Services, **options: Any) -> PostgresOutbox:
    """The storage factory: ``location`` is a ``postgresql://`` URL; the schema is
    created or migrated on open."""
    opts = parse_location(location)
    if options:
        from dataclasses import replace

        opts = replace(opts, **options)
    outbox = PostgresOutbox(opts, services=services)
    try:
        return await outbox.open()
    except BaseException:
        await outbox.aclose()
        raise
