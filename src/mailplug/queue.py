"""The queue: the outbox as the host sees it, and the one place status events come from.

``mailer.queue`` answers the host's questions ("is it sent? why not? how many
wait?") and takes people's actions (retry, cancel, resume, purge).  Every
status change — enqueued, claimed, sent, deferred, retried, cancelled — goes
through :meth:`Queue.report`, which turns the outbox's :class:`~mailplug.outbox.Change`
rows into :class:`~mailplug.events.StatusEvent` objects carrying the subject,
the recipients and the stored error, so a listener can render the sentence
without querying the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .body import Body
from .outbox import Change, Filter, NewEntry, entries_for
from .outbox_keys import OUTBOX_NOT_FOUND
from .status import Status

if TYPE_CHECKING:
    from .compose import Composed
    from .models import Account, Message
    from .outbox import AccountPause, Added, Outbox, OutboxEntry
    from .runtime import Runtime

__all__ = ["Queue"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Queue:
    """Queries and people's actions on the outbox of one runtime.

    Every method is a coroutine; errors carry the runtime's catalogs.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def outbox(self) -> Outbox:
        return await self.runtime.outbox()

    # -- events -------------------------------------------------------------------

    def report(self, changes: Iterable[Change]) -> None:
        """Turn status changes into events for every listener (the only place that does)."""
        emit = self.runtime.emit
        for change in changes:
            emit(change.event())

    # -- adding -------------------------------------------------------------------

    async def add(
        self,
        items: Sequence[tuple[Message, Account, Composed]],
        *,
        now: datetime | None = None,
        connection: Any = None,
    ) -> list[Added]:
        """Store composed messages in one transaction and report the new ``queued`` ones.

        :param connection: the host's database connection: store inside its open
            transaction (see :meth:`mailplug.outbox.Outbox.insert_within`).
        """
        when = now or _utcnow()
        entries = [NewEntry.from_message(m, a, c, now=when) for m, a, c in items]
        return await self.insert(entries, connection=connection)

    async def insert(self, entries: Sequence[NewEntry], *, connection: Any = None) -> list[Added]:
        """Store ``entries`` (see :meth:`mailplug.outbox.Outbox.insert`) and report them.

        With ``connection`` the entries join the host's transaction; the
        ``queued`` events are reported when they are written, before the host
        commits (a host that rolls back has no mail, whatever the events said).
        """
        outbox = await self.outbox()
        stored = entries_for(outbox, entries)
        try:
            if connection is None:
                added = await outbox.insert(stored)
            else:
                added = await outbox.insert_within(connection, stored)
        finally:
            for new in entries:  # the outbox has its own copy now (or nothing was stored)
                if isinstance(new.data, Body):
                    new.data.discard()
        by_id = {e.id: e for e in entries}
        changes = []
        for a in added:
            if a.change is None:
                continue
            entry = by_id.get(a.id)
            if entry is not None:
                a.change.subject = a.change.subject or entry.subject
                a.change.recipients = a.change.recipients or entry.envelope.recipients
            changes.append(a.change)
        self.report(changes)
        if any(a.created for a in added):
            self.runtime.new_mail.set()
        return added

    # -- questions ----------------------------------------------------------------

    async def status(self, ref: str) -> OutboxEntry:
        """One outbox entry with its recipients and attempt history.

        :param ref: outbox id (or a unique prefix of it) or Message-ID.
        :raises mailplug.errors.FileError: ``outbox.not_found``.
        """
        entry = await (await self.outbox()).get(ref)
        if entry is None:
            raise self.runtime.localize(OUTBOX_NOT_FOUND.error(ref=ref))
        return entry

    async def counts(self, *, account: str | None = None) -> dict[str, int]:
        """Messages per status."""
        return await (await self.outbox()).counts(account=account)

    async def waiting(self, *, account: str | None = None) -> int:
        """How many messages wait to be sent (the host's "mail waiting" indicator)."""
        return await (await self.outbox()).waiting(account=account)

    async def query(self, filter: Filter | None = None, **criteria: Any) -> list[OutboxEntry]:
        """Outbox entries: ``query(statuses=[Status.FAILED], recipient="jan@")``
        (keywords of :class:`mailplug.outbox.Filter`)."""
        flt = filter or Filter()
        if criteria:
            if "statuses" in criteria:
                criteria["statuses"] = tuple(Status(s) for s in criteria["statuses"])
            flt = flt.but(**criteria)
        return await (await self.outbox()).query(flt)

    async def find_sent(
        self,
        text: str | None = None,
        *,
        recipient: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[OutboxEntry]:
        """Mail sent earlier (fully or partly), newest first, by subject/From text,
        recipient and date."""
        return await self.query(
            statuses=(Status.SENT, Status.PARTIAL),
            text=text,
            recipient=recipient,
            since=since,
            until=until,
            limit=limit,
        )

    async def paused_accounts(self) -> dict[str, AccountPause]:
        """Accounts whose mail waits: paused (until fixed) or held (until a time)."""
        now = _utcnow()
        pauses = await (await self.outbox()).paused_accounts()
        return {k: v for k, v in pauses.items() if v.active(now)}

    # -- people's actions -----------------------------------------------------------

    async def retry(self, *refs: str) -> int:
        """Send these entries again as soon as possible; returns how many were requeued."""
        changes = await (await self.outbox()).retry(list(refs), now=_utcnow())
        self.report(changes)
        if changes:
            self.runtime.new_mail.set()
        return len(changes)

    async def cancel(self, *refs: str) -> int:
        """Cancel waiting entries (not those being sent); returns how many."""
        changes = await (await self.outbox()).cancel(list(refs), now=_utcnow())
        self.report(changes)
        return len(changes)

    async def resume_account(self, name: str) -> bool:
        """Lift the pause of an account (after fixing its password or settings)."""
        resumed = await (await self.outbox()).resume_account(name)
        if resumed:
            self.runtime.new_mail.set()
        return resumed

    async def purge(
        self, *, older_than_days: float, statuses: Iterable[Status | str] = ("sent",)
    ) -> int:
        """Delete old entries (by default: sent mail) dated more than ``older_than_days`` ago."""
        before = _utcnow() - timedelta(days=older_than_days)
        wanted = [Status(s) for s in statuses]
        return await (await self.outbox()).purge(before=before, statuses=wanted)


def fill_changes(
    changes: Iterable[Change], known: Mapping[str, tuple[str, tuple[str, ...]]]
) -> list[Change]:
    """``changes`` with subject and recipients filled from ``known`` (id → both) where missing."""
    out = []
    for change in changes:
        found = known.get(change.id)
        if found is not None:
            change.subject = change.subject or found[0]
            change.recipients = change.recipients or found[1]
        out.append(change)
    return out
