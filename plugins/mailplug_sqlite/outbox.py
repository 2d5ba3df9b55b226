"""The built-in outbox: one SQLite file (WAL), owner-only, in the user's data directory."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailplug.plugin import (
    AccountPause,
    Added,
    Body,
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

from . import bodyfiles, store
from .database import Database, parse_location, storage_error

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
    #: Big messages are files beside the database (see :mod:`.bodyfiles`).
    stores_bodies = True
    #: Send slots are counted in the file, for every process on this machine.
    shares_send_limits = True

    def __init__(self, db: Database, *, services: Services) -> None:
        super().__init__(services=services)
        self.db = db
        #: The folder of big messages' files.
        self.bodies = bodyfiles.directory(db.path)

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
        files: dict[str, tuple[str, Body]] = {}
        for entry in entries:
            if isinstance(entry.data, Body):
                try:
                    digest = await asyncio.to_thread(bodyfiles.write, self.bodies, entry.data)
                except OSError as exc:
                    raise storage_error(exc, self.bodies) from exc
                files[entry.id] = (digest, entry.data)
        return await self.db.run(store.insert, list(entries), utcnow(), self.bodies, files)

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
            self.bodies,
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
        return await self.db.run(store.cancel, list(ids), now, self.bodies)

    async def purge(self, *, before: datetime, statuses: Sequence[Status]) -> int:
        return await self.db.run(store.purge, before, list(statuses), self.bodies)

    async def record_deliveries(
        self, ref: str, deliveries: Sequence[Delivery], *, now: datetime
    ) -> list[Change]:
        from .deliveries import record_deliveries

        if not deliveries:
            return []
        return await self.db.run(record_deliveries, ref, list(deliveries), now)

    # -- copies for the Sent folder -------------------------------------------

    keeps_sent_copies = True

    async def want_sent_copies(self, ids: Sequence[str], *, now: datetime) -> None:
        from . import copies

        if ids:
            await self.db.run(copies.want, list(ids), now)

    async def claim_sent_copies(
        self,
        worker_id: str,
        *,
        limit: int,
        lease: float,
        now: datetime,
        accounts: Sequence[str] | None = None,
    ) -> list[CopyClaim]:
        from . import copies

        names = list(accounts) if accounts is not None else None
        return await self.db.run(copies.claim, worker_id, limit, lease, now, names, self.bodies)

    async def finish_sent_copies(self, worker_id: str, outcomes: Sequence[CopyOutcome]) -> None:
        from . import copies

        if outcomes:
            await self.db.run(copies.finish, worker_id, list(outcomes))

    async def next_sent_copy_due(
        self, *, now: datetime, accounts: Sequence[str] | None = None
    ) -> datetime | None:
        from . import copies

        names = list(accounts) if accounts is not None else None
        return await self.db.run(copies.next_due, now, names)

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
