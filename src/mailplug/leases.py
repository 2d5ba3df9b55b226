"""Who holds outbox entries, whether that flusher still lives, and freeing a dead one's mail.

A flush names itself ``host:pid:random`` (:func:`mailplug.dispatch.worker_id`)
and leases what it claims; it renews the leases while it runs.  When it dies
(kill -9, power cut) its entries come back by themselves when the leases run
out.  :func:`release` lets an operator free them at once — but only when that
flusher is known to be dead: on this host its process must be gone; on another
host nobody here can tell, so the operator must say ``force``.

Releasing ends the leases; the next flush takes the entries as interrupted
sends (history: "interrupted", sent again with the same Message-ID), exactly
as after a lease ran out.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .outbox import Filter, utcnow
from .outbox_keys import OUTBOX_WORKER_ALIVE, OUTBOX_WORKER_ELSEWHERE, OUTBOX_WORKER_UNKNOWN
from .status import Status

if TYPE_CHECKING:
    from .outbox import Outbox

__all__ = ["Holder", "alive", "holders", "release", "release_dead"]

#: Entries read per query while collecting the holders.
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Holder:
    """One flusher holding entries.

    :ivar alive: ``True``/``False`` for a flusher on this host (its process runs or
        not); ``None`` for one on another host (cannot be told from here).
    :ivar until: the latest lease end among its entries.
    """

    worker: str
    host: str
    pid: int | None
    entries: tuple[str, ...]
    until: datetime | None
    alive: bool | None


def _split(worker: str) -> tuple[str, int | None]:
    host, _, rest = worker.partition(":")
    pid_text = rest.split(":", 1)[0]
    return host, int(pid_text) if pid_text.isdigit() else None


def alive(worker: str) -> bool | None:
    """Whether the flusher named ``worker`` still runs (``None``: on another host)."""
    host, pid = _split(worker)
    if host != socket.gethostname() or pid is None:
        return None
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process with that number: alive
        return True
    return True


async def holders(outbox: Outbox, *, now: datetime | None = None) -> list[Holder]:
    """Every flusher holding ``sending`` entries under a lease not yet run out at ``now``
    (an entry whose lease ran out is free: the next flush takes it)."""
    now = now or utcnow()
    held: dict[str, list[tuple[str, datetime | None]]] = {}
    offset = 0
    while True:
        page = await outbox.query(
            Filter(statuses=(Status.SENDING,), limit=_PAGE, offset=offset, newest_first=False)
        )
        for entry in page:
            if entry.lease_owner and (entry.lease_until is None or entry.lease_until > now):
                held.setdefault(entry.lease_owner, []).append((entry.id, entry.lease_until))
        if len(page) < _PAGE:
            break
        offset += _PAGE
    found = []
    for worker, entries in sorted(held.items()):
        host, pid = _split(worker)
        ends = [until for _, until in entries if until is not None]
        found.append(
            Holder(
                worker=worker,
                host=host,
                pid=pid,
                entries=tuple(entry_id for entry_id, _ in entries),
                until=max(ends) if ends else None,
                alive=alive(worker),
            )
        )
    return found


def _matches(worker: str, ref: str) -> bool:
    # ``host:pid`` names every flush that process ran; the full name one flush.
    return worker == ref or worker.startswith(ref + ":")


async def release(
    outbox: Outbox, worker: str, *, now: datetime, force: bool = False
) -> list[Holder]:
    """End the leases of the flusher(s) named ``worker`` (a full name or ``host:pid``).

    :param force: release even when the flusher runs on another host (whether it
        lives cannot be checked from here).
    :returns: the holders released.
    :raises mailplug.errors.FileError: ``outbox.worker_unknown``: it holds nothing.
    :raises mailplug.errors.MailplugError: ``outbox.worker_alive`` (its process still
        runs: it would send the same mail as the next flush) or
        ``outbox.worker_elsewhere`` (another host, and no ``force``).
    """
    chosen = [h for h in await holders(outbox, now=now) if _matches(h.worker, worker)]
    if not chosen:
        raise OUTBOX_WORKER_UNKNOWN.error(worker=worker)
    for holder in chosen:
        if holder.alive:
            raise OUTBOX_WORKER_ALIVE.error(worker=holder.worker, pid=holder.pid)
        if holder.alive is None and not force:
            raise OUTBOX_WORKER_ELSEWHERE.error(worker=holder.worker, host=holder.host)
    await _end(outbox, chosen, now)
    return chosen


async def release_dead(outbox: Outbox, *, now: datetime, force: bool = False) -> list[Holder]:
    """End the leases of every flusher on this host whose process is gone (with
    ``force``, also of every flusher on other hosts)."""
    chosen = [
        h for h in await holders(outbox, now=now) if h.alive is False or (force and h.alive is None)
    ]
    await _end(outbox, chosen, now)
    return chosen


async def _end(outbox: Outbox, chosen: Sequence[Holder], now: datetime) -> None:
    # A lease ending now is one that ran out: the next claim takes the entries and
    # records the interrupted attempt, as after any dead flusher.
    for holder in chosen:
        await outbox.renew(holder.worker, holder.entries, until=now)
