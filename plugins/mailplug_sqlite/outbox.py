"""The built-in outbox: one SQLite file (WAL), owner-only, in the user's data directory."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailplug.plugin import (
    AccountPause,
    Added,
    Change,
    Claim,
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

from . import store
from .database import Database, parse_location

if TYPE_CHECKING:
    from mailplug.plugin import Services

__all__ = ["SqliteOutbox", "open_outbox"]


class SqliteOutbox(Outbox):
    """The :class:`~mailplug.outbox.Outbox` on a local SQLite file.

    Every call runs on the database's own thread.  Several processes may
    share the file: claims are atomic (``BEGIN IMMEDIATE``), so no message is
    handed to two workers.
    """

    name = "sqlite"
    #: Send slots are counted in the file, for every process on this machine.
    shares_send_limits = True

    def __init__(self, db: Database, *, services: Services) -> None:
        super().__init__(services=services)
        self.db = db

    @property
    def path(self) -> Path:
        return self.db.path

    @property
    def read_only(self) -> bool:
        return self.db.read_only

    async def open(self) -> SqliteOutbox:
        """Create or migrate the file now (instead of on first use)."""
        await self.db.run(lambda conn: None)
        return self

    # -- adding ---------------------------------------------------------------

    async def insert(self, entries: Sequence[NewEntry]) -> list[Added]:
        if not entries:
            return []
        return await self.db.run(store.insert, list(entries), utcnow())

    # -- sending --------------------------------------------------------------

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

        def give_back(conn: sqlite3.Connection, claims: list[Claim]) -> None:
            # The caller was cancelled while claiming: nobody will send these.
            store.release(conn, worker_id, [c.id for c in claims], now)

        return await self.db.run(
            store.claim,
            worker_id,
            limit,
            until,
            now,
            list(accounts) if accounts is not None else None,
            undo=give_back,
        )

    async def renew(self, worker_id: str, ids: Sequence[str], *, until: datetime) -> int:
        if not ids:
            return 0
        return await self.db.run(store.renew, worker_id, list(ids), until)

    async def complete(self, worker_id: str, outcomes: Sequence[Outcome]) -> list[Change]:
        if not outcomes:
            return []
        return await self.db.run(store.complete, worker_id, list(outcomes), utcnow())

    async def release(self, worker_id: str, ids: Sequence[str], *, now: datetime) -> list[Change]:
        if not ids:
            return []
        return await self.db.run(store.release, worker_id, list(ids), now)

    async def next_due(
        self, *, now: datetime, accounts: Sequence[str] | None = None
    ) -> datetime | None:
        return await self.db.run(
            store.next_due, now, list(accounts) if accounts is not None else None
        )

    async def due_count(self, *, now: datetime, accounts: Sequence[str] | None = None) -> int:
        return await self.db.run(
            store.due_count, now, list(accounts) if accounts is not None else None
        )

    async def take_send_slot(
        self, account: str, limits: SendLimits, *, now: datetime, day_end: datetime
    ) -> SendSlot:
        """The account's next send slot, counted in the file (see :mod:`.limits`)."""
        from .limits import take_slot

        return await self.db.run(take_slot, account, limits, now, day_end)

    # -- accounts -------------------------------------------------------------

    async def pause_account(self, pause: AccountPause) -> None:
        await self.db.run(store.pause_account, pause)

    async def resume_account(self, account: str) -> bool:
        return await self.db.run(store.resume_account, account)

    async def paused_accounts(self) -> dict[str, AccountPause]:
        return await self.db.run(store.paused_accounts)

    # -- queries --------------------------------------------------------------

    async def get(self, ref: str) -> OutboxEntry | None:
        return await self.db.run(store.find, ref)

    async def query(self, filter: Filter) -> list[OutboxEntry]:
        return await self.db.run(store.query, filter)

    async def counts(self, *, account: str | None = None) -> dict[str, int]:
        return await self.db.run(store.counts, account)

    async def waiting(self, *, account: str | None = None) -> int:
        return await self.db.run(store.waiting, account)

    # -- people's actions -----------------------------------------------------

    async def retry(self, ids: Sequence[str], *, now: datetime) -> list[Change]:
        return await self.db.run(store.retry, list(ids), now)

    async def cancel(self, ids: Sequence[str], *, now: datetime) -> list[Change]:
        return await self.db.run(store.cancel, list(ids), now)

    async def purge(self, *, before: datetime, statuses: Sequence[Status]) -> int:
        return await self.db.run(store.purge, before, list(statuses))

    async def record_deliveries(
        self, ref: str, deliveries: Sequence[Delivery], *, now: datetime
    ) -> list[Change]:
        from .deliveries import record_deliveries

        if not deliveries:
            return []
        return await self.db.run(record_deliveries, ref, list(deliveries), now)

    async def aclose(self) -> None:
        await self.db.aclose()

    def __repr__(self) -> str:
        return f"<SqliteOutbox {self.db.path}>"


async def open_outbox(location: Any = None, *, services: Services, **options: Any) -> SqliteOutbox:
    """The storage factory: ``location`` is a path, a ``sqlite:///…`` URL or ``None``
    (``outbox.sqlite3`` in the data directory).  The file is created owner-only
    and migrated on open."""
    opts = parse_location(location, services.data_dir)
    if options:
        from dataclasses import replace

        opts = replace(opts, **options)
    outbox = SqliteOutbox(Database(opts), services=services)
    try:
        return await outbox.open()
    except BaseException:
        await outbox.aclose()
        raise
