"""The outbox contract: what a storage plugin implements, and the records it deals in.

An outbox keeps mail waiting to be sent (the rendered bytes, composed once
at enqueue), its per-recipient state and the full history of attempts.  A
storage plugin registers a factory through
:func:`~mailplug.hookspecs.mailplug_register_storage`::

    @hookimpl
    def mailplug_register_storage(register):
        register("postgres", open_postgres_outbox)   # factory(path_or_url, *, services)

The split of work keeps a shared outbox (several machines, row claims with
``SELECT … FOR UPDATE SKIP LOCKED``) "just another plugin":

* the **outbox** stores and claims: :meth:`Outbox.claim` hands out due entries
  under a lease (an expired lease puts the entry back in play), and every
  state transition is one atomic method (:meth:`~Outbox.complete`,
  :meth:`~Outbox.release`, :meth:`~Outbox.retry`, :meth:`~Outbox.cancel` …);
* the **core** decides: the retry policy (:mod:`mailplug.retry`) and the flush
  loop (:mod:`mailplug.dispatch`) never touch SQL.

State-changing methods return :class:`Change` rows; the core's queue
(:class:`mailplug.queue.Queue`) turns them into
:class:`~mailplug.events.StatusEvent` — the one place events come from.  A
storage plugin never emits events itself.

Times are timezone-aware UTC :class:`~datetime.datetime` values.  The
records are plain dataclasses: treat them as read-only.  (The ones made for
every message sent are not ``frozen``: frozen dataclasses are several times
slower to build, which shows when a flush drains tens of thousands.)
"""

from __future__ import annotations

import abc
import asyncio
import enum
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from .body import Body, Data, as_bytes
from .errors import ErrorInfo
from .events import StatusEvent
from .status import Status
from .transport import Envelope, SendLimits

if TYPE_CHECKING:
    from .compose import Composed
    from .models import Account, Message
    from .services import Services

__all__ = [
    "WAITING_STATUSES",
    "AccountPause",
    "Added",
    "Attempt",
    "Change",
    "Claim",
    "CopyClaim",
    "CopyOutcome",
    "CopyStatus",
    "Delivery",
    "ErrorInfo",  # (defined in mailplug.errors; kept importable from here)
    "Filter",
    "NewEntry",
    "Outbox",
    "OutboxEntry",
    "OutboxFactory",
    "Outcome",
    "RecipientState",
    "RecipientStatus",
    "SendLimitState",
    "SendLimits",  # (defined in mailplug.transport; kept importable from here)
    "SendSlot",
    "SentCopy",
    "apply_delivery",
    "entries_for",
    "new_id",
    "status_after_deliveries",
    "take_send_slot",
    "utcnow",
]

#: Statuses that count as "mail waiting to be sent" (the host's indicator).
WAITING_STATUSES: tuple[Status, ...] = (
    Status.QUEUED,
    Status.SENDING,
    Status.DEFERRED,
    Status.UNCERTAIN,
)


def entries_for(outbox: Outbox, entries: Sequence[NewEntry]) -> Sequence[NewEntry]:
    """``entries`` as ``outbox`` takes them: big bodies read into bytes unless it
    :attr:`~Outbox.stores_bodies`."""
    if outbox.stores_bodies or not any(isinstance(e.data, Body) for e in entries):
        return entries
    return [replace(e, data=as_bytes(e.data)) for e in entries]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh outbox entry id: 16 hex digits (:meth:`Outbox.get` accepts unique prefixes)."""
    return uuid.uuid4().hex[:16]


class RecipientStatus(enum.StrEnum):
    """Where one envelope recipient stands."""

    PENDING = "pending"  # still to be delivered (maybe refused for now: see its error)
    SENT = "sent"  # the server accepted it
    FAILED = "failed"  # refused for good, or given up
    CANCELLED = "cancelled"
    # Set by delivery reports after the server accepted the message (see Delivery):
    DELAYED = "delayed"  # a server further on is still trying
    BOUNCED = "bounced"  # a server further on gave up: the bounce's classified reason
    READ = "read"  # a read receipt: displayed
    DELETED_UNREAD = "deleted-unread"  # a read receipt: deleted without being displayed


@dataclass(slots=True)
class RecipientState:
    """One envelope recipient and the server's last word about it."""

    address: str
    status: RecipientStatus = RecipientStatus.PENDING
    error: ErrorInfo | None = None
    updated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "status": str(self.status),
            "error": self.error.to_dict() if self.error else None,
            "updated_at": _iso(self.updated_at),
        }


@dataclass(slots=True)
class Attempt:
    """One delivery attempt, as kept in the history.

    :ivar outcome: the status the attempt led to.
    :ivar counted: ``False`` when it burnt no retry (the account was paused).
    :ivar recipients: what the server said about each recipient this time.
    """

    at: datetime
    account: str
    outcome: Status
    host: str | None = None
    code: int | None = None
    enhanced: str | None = None
    text: str = ""
    error: ErrorInfo | None = None
    duration: float = 0.0
    counted: bool = True
    recipients: tuple[RecipientState, ...] = ()
    worker: str | None = None

    @property
    def error_key(self) -> str | None:
        return self.error.key if self.error else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": _iso(self.at),
            "account": self.account,
            "outcome": str(self.outcome),
            "host": self.host,
            "code": self.code,
            "enhanced": self.enhanced,
            "text": self.text,
            "error": self.error.to_dict() if self.error else None,
            "duration": round(self.duration, 6),
            "counted": self.counted,
            "recipients": [r.to_dict() for r in self.recipients],
            "worker": self.worker,
        }


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A message to store: the composed bytes and the metadata shown in lists.

    Built by the core (:meth:`from_message`) or for an importer (:meth:`raw`).

    :ivar data: the message: bytes, or a :class:`~mailplug.body.Body` (a big one)
        for an outbox that :attr:`~Outbox.stores_bodies`.
    """

    id: str
    message_id: str
    account: str
    envelope: Envelope
    data: Data
    subject: str = ""
    sender: str = ""
    to: tuple[str, ...] = ()
    priority: int = 3
    created_at: datetime = field(default_factory=utcnow)
    send_at: datetime | None = None
    status: Status = Status.QUEUED
    sent_at: datetime | None = None
    dedupe_key: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_message(
        cls, message: Message, account: Account, composed: Composed, *, now: datetime | None = None
    ) -> NewEntry:
        sender = message.sender or account.from_address
        entry_id = new_id()
        envelope = composed.envelope
        if account.bounce_address:
            # VERP: the envelope sender carries the outbox id (mailplug.tracking matches it).
            envelope = replace(envelope, sender=account.bounce_address.replace("{id}", entry_id))
        return cls(
            id=entry_id,
            # The Message-ID on the wire (the composer may have filled in the domain).
            message_id=composed.envelope.message_id,
            account=account.name,
            envelope=envelope,
            data=composed.data,
            subject=message.subject,
            sender=str(sender),
            to=tuple(str(a) for a in (*message.to, *message.cc)),
            priority=int(message.priority),
            created_at=now or utcnow(),
            send_at=message.send_at,
            metadata=dict(message.metadata),
        )

    @classmethod
    def raw(
        cls,
        *,
        account: str,
        envelope: Envelope,
        data: Data,
        subject: str,
        sender: str,
        status: Status,
        created_at: datetime,
        sent_at: datetime | None = None,
        dedupe_key: str,
        to: Sequence[str] | None = None,
        priority: int = 3,
        metadata: Mapping[str, str] | None = None,
    ) -> NewEntry:
        """An already-rendered message stored as it is (the legacy importer's door).

        :param status: :attr:`Status.QUEUED` (to be sent) or :attr:`Status.SENT` (history).
        :param dedupe_key: a stable key of the source record; storing twice adds nothing.
        """
        if status not in (Status.QUEUED, Status.SENT):
            raise ValueError(f"a raw entry is queued or sent mail, not {status}")
        if created_at.tzinfo is None:
            created_at = created_at.astimezone()
        if sent_at is not None and sent_at.tzinfo is None:
            sent_at = sent_at.astimezone()
        return cls(
            id=new_id(),
            message_id=envelope.message_id,
            account=account,
            envelope=envelope,
            data=data,
            subject=subject,
            sender=sender,
            to=tuple(to) if to is not None else envelope.recipients,
            priority=priority,
            created_at=created_at.astimezone(UTC),
            status=status,
            sent_at=(sent_at or created_at).astimezone(UTC) if status is Status.SENT else None,
            dedupe_key=dedupe_key,
            metadata=dict(metadata or {}),
        )

    @property
    def due_at(self) -> datetime | None:
        """When it may first be sent (``None``: not to be sent, e.g. imported as sent)."""
        if self.status is not Status.QUEUED:
            return None
        if self.send_at is not None and self.send_at > self.created_at:
            return self.send_at
        return self.created_at


@dataclass(frozen=True, slots=True)
class Added:
    """What :meth:`Outbox.insert` did with one :class:`NewEntry`."""

    id: str
    created: bool  # False: an entry with that dedupe key or Message-ID already existed
    change: Change | None = None


@dataclass(slots=True)
class Claim:
    """An entry handed to one worker under a lease, ready to send.

    :ivar envelope: only the recipients still pending.
    :ivar recipients: every recipient with its state (sent ones included).
    :ivar attempts: attempts counted so far (the retry exponent).
    :ivar previous: the status it had before the claim (``sending``: its worker died).
    :ivar data: the message: bytes, or a :class:`~mailplug.body.Body` (a big one, from
        an outbox that :attr:`~Outbox.stores_bodies`; read it in chunks).
    """

    id: str
    message_id: str
    account: str
    envelope: Envelope
    data: Data
    recipients: tuple[RecipientState, ...]
    attempts: int
    created_at: datetime
    send_at: datetime | None
    previous: Status
    lease_until: datetime
    #: Where the maximum age counts from: queued (or send-at, or last manual retry) time.
    age_from: datetime
    priority: int = 3
    #: The subject (for status events; a storage that does not keep it leaves it empty).
    subject: str = ""


@dataclass(slots=True)
class Outcome:
    """The core's decision after an attempt, applied atomically by :meth:`Outbox.complete`.

    :ivar status: the new status.
    :ivar next_attempt_at: when to try again (``None``: not by itself).
    :ivar recipients: the recipients whose state changed.
    :ivar attempt: the history row to append.
    :ivar error: the entry's latest error (``None`` clears it).
    """

    id: str
    status: Status
    attempt: Attempt
    recipients: tuple[RecipientState, ...] = ()
    next_attempt_at: datetime | None = None
    error: ErrorInfo | None = None
    sent_at: datetime | None = None


@dataclass(slots=True)
class Change:
    """One status change, as an outbox method reports it.

    ``error``, ``subject`` and ``recipients`` are optional: the core fills in
    what it knows (the outcome it decided, the claim it sent) before it turns
    the change into a :class:`~mailplug.events.StatusEvent`.
    """

    id: str
    message_id: str
    account: str
    status: Status
    previous: Status | None = None
    error_key: str | None = None
    next_attempt_at: datetime | None = None
    at: datetime | None = None
    error: ErrorInfo | None = None
    subject: str = ""
    recipients: tuple[str, ...] = ()
    #: Extra facts for listeners (a report's recipient state and reporting server).
    details: dict[str, Any] = field(default_factory=dict)

    def event(self) -> StatusEvent:
        error = self.error
        return StatusEvent(
            id=self.id,
            message_id=self.message_id,
            account=self.account,
            status=self.status,
            previous=self.previous,
            error_key=error.key if error is not None else self.error_key,
            at=self.at or utcnow(),
            next_attempt_at=self.next_attempt_at,
            error=error,
            subject=self.subject,
            recipients=self.recipients,
            details=dict(self.details),
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a delivery report says about one recipient of a stored entry.

    :ivar status: :attr:`RecipientStatus.BOUNCED`, ``DELAYED``, ``READ`` or
        ``DELETED_UNREAD``.
    :ivar at: when the report was written (else when it was read).
    :ivar error: the classified reason of a bounce or delay (its ``host`` is the
        reporting server).
    :ivar reporter: the server (or mail program) that wrote the report.
    """

    address: str
    status: RecipientStatus
    at: datetime
    error: ErrorInfo | None = None
    reporter: str | None = None


#: What a report may overwrite: a bounce or a read receipt is not undone by a
#: later delay notice, and nothing a report says revives a refused recipient.
_REPORT_RANK = {
    RecipientStatus.PENDING: 0,
    RecipientStatus.SENT: 1,
    RecipientStatus.DELAYED: 2,
    RecipientStatus.READ: 3,
    RecipientStatus.DELETED_UNREAD: 3,
    RecipientStatus.BOUNCED: 4,
    RecipientStatus.FAILED: 5,
    RecipientStatus.CANCELLED: 5,
}


def apply_delivery(state: RecipientState, delivery: Delivery) -> RecipientState | None:
    """The recipient's state after ``delivery``, or ``None`` when it changes nothing.

    The same report applied twice changes nothing (idempotent); a weaker word
    never overwrites a stronger one (a delay after a bounce, a bounce of a
    recipient the server refused outright).  Storage plugins call this inside
    their transaction so every storage decides alike.
    """
    if state.status is delivery.status:
        return None
    if _REPORT_RANK[delivery.status] <= _REPORT_RANK[state.status] and not (
        delivery.status is RecipientStatus.BOUNCED and state.status is RecipientStatus.READ
    ):
        return None
    if state.status in (RecipientStatus.FAILED, RecipientStatus.CANCELLED):
        return None
    return RecipientState(state.address, delivery.status, delivery.error, delivery.at)


def status_after_deliveries(status: Status, recipients: Sequence[RecipientState]) -> Status:
    """The entry's status once reports are applied: ``bounced`` when every recipient
    the server took bounced, ``partially-bounced`` when some did, else unchanged."""
    bounced = [r for r in recipients if r.status is RecipientStatus.BOUNCED]
    if not bounced or status not in (Status.SENT, Status.PARTIAL, Status.PARTIALLY_BOUNCED):
        return status
    others = [
        r
        for r in recipients
        if r.status
        not in (RecipientStatus.BOUNCED, RecipientStatus.FAILED, RecipientStatus.CANCELLED)
    ]
    return Status.PARTIALLY_BOUNCED if others else Status.BOUNCED


class CopyStatus(enum.StrEnum):
    """Where the copy of a sent message in the account's Sent folder (over IMAP) stands."""

    PENDING = "pending"  # to be saved (again, after a failed try: see its error)
    SAVED = "saved"
    FAILED = "failed"  # given up after the last try


@dataclass(frozen=True, slots=True)
class SentCopy:
    """The copy of a sent message in the account's Sent folder.

    Saved after delivery, never before and never instead: its state never
    changes the entry's status.

    :ivar attempts: tries made so far.
    :ivar next_attempt_at: when a pending copy is tried next.
    :ivar error: why the last try failed (kept on a copy saved at a later try).
    :ivar folder: the folder it was saved in.
    """

    status: CopyStatus
    attempts: int = 0
    next_attempt_at: datetime | None = None
    error: ErrorInfo | None = None
    folder: str | None = None
    saved_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "error": self.error.to_dict() if self.error else None,
            "folder": self.folder,
            "saved_at": _iso(self.saved_at),
        }


@dataclass(frozen=True, slots=True)
class CopyClaim:
    """A Sent-folder copy handed to one worker under a lease (:meth:`Outbox.claim_sent_copies`).

    :ivar data: the message as stored (the core strips a mail program's headers,
        as for sending): bytes, or a :class:`~mailplug.body.Body` for a big message.
    :ivar sent_at: when it was sent (the copy's INTERNALDATE).
    :ivar attempts: tries made before this one.
    """

    id: str
    message_id: str
    account: str
    data: Data
    sent_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class CopyOutcome:
    """The core's decision after a try, applied by :meth:`Outbox.finish_sent_copies`.

    :ivar status: ``saved``; ``pending`` (tried again at ``next_attempt_at``) or
        ``failed`` (given up).
    """

    id: str
    status: CopyStatus
    at: datetime
    error: ErrorInfo | None = None
    folder: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccountPause:
    """An account whose mail waits.

    :ivar until: ``None``: paused until its settings change or someone resumes
        it (wrong password, bad settings); a time: held until then (daily
        quota, server unreachable).
    :ivar fingerprint: the account's settings fingerprint when it was paused;
        a different fingerprint unpauses it.
    """

    account: str
    since: datetime
    until: datetime | None = None
    fingerprint: str | None = None
    error: ErrorInfo | None = None

    def active(self, now: datetime) -> bool:
        return self.until is None or self.until > now

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "since": _iso(self.since),
            "until": _iso(self.until),
            "error": self.error.to_dict() if self.error else None,
        }


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One message in the outbox, as queries return it.

    ``history`` and ``recipients`` are filled by :meth:`Outbox.get`; list
    queries leave ``history`` empty.
    """

    id: str
    message_id: str
    account: str
    status: Status
    subject: str
    sender: str
    to: tuple[str, ...]
    priority: int
    created_at: datetime
    updated_at: datetime
    send_at: datetime | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    attempts: int = 0
    size: int = 0
    error: ErrorInfo | None = None
    recipients: tuple[RecipientState, ...] = ()
    history: tuple[Attempt, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    lease_owner: str | None = None
    lease_until: datetime | None = None
    dedupe_key: str | None = None
    #: The copy in the account's Sent folder (``None``: none was asked for).
    sent_copy: SentCopy | None = None

    @property
    def error_key(self) -> str | None:
        return self.error.key if self.error else None

    @property
    def waiting(self) -> bool:
        return self.status in WAITING_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "account": self.account,
            "status": str(self.status),
            "subject": self.subject,
            "from": self.sender,
            "to": list(self.to),
            "priority": self.priority,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "send_at": _iso(self.send_at),
            "next_attempt_at": _iso(self.next_attempt_at),
            "sent_at": _iso(self.sent_at),
            "attempts": self.attempts,
            "size": self.size,
            "error": self.error.to_dict() if self.error else None,
            "recipients": [r.to_dict() for r in self.recipients],
            "history": [a.to_dict() for a in self.history],
            "metadata": dict(self.metadata),
            "sent_copy": self.sent_copy.to_dict() if self.sent_copy else None,
        }


@dataclass(frozen=True, slots=True)
class Filter:
    """What :meth:`Outbox.query` returns.

    :ivar statuses: any of these (empty: all).
    :ivar recipient: an envelope recipient containing this text (case-insensitive).
    :ivar text: subject or From containing this text (case-insensitive).
    :ivar since: dated on/after (the date is when it was sent, else when queued).
    :ivar until: dated before.
    :ivar newest_first: order by queue time, newest first (else oldest first).
    """

    statuses: tuple[Status, ...] = ()
    account: str | None = None
    recipient: str | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0
    newest_first: bool = True

    def but(self, **changes: Any) -> Filter:
        return replace(self, **changes)


def _nothing() -> None:
    return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True, slots=True)
class SendSlot:
    """What :meth:`Outbox.take_send_slot` gave.

    :ivar granted: ``True``: the message may start at :attr:`at` (now or a little
        later); ``False``: the daily limit is used up until :attr:`at`.
    """

    granted: bool
    at: datetime


@dataclass(slots=True)
class SendLimitState:
    """One account's counters behind :func:`take_send_slot` (stored by shared outboxes).

    :ivar tat: when the next message may go, bursts aside (the "theoretical arrival
        time" of a GCRA token bucket); ``None``: no message yet.
    :ivar day_end: when the current day's count starts again.
    :ivar day_count: messages started in the current day.
    """

    tat: datetime | None = None
    day_end: datetime | None = None
    day_count: int = 0


def take_send_slot(
    state: SendLimitState, limits: SendLimits, *, now: datetime, day_end: datetime
) -> SendSlot:
    """Take the next slot of ``limits`` from ``state`` (changed in place).

    The one rule every storage applies (in its own transaction): at most
    ``per_day`` slots until the day's end, then none until it; slots spaced
    ``60 / per_minute`` seconds apart, ``burst`` of them back to back (the
    same GCRA token bucket as a transport's own limiter).  A refused slot
    uses nothing.
    """
    if limits.per_day is not None:
        if state.day_end is None or now >= state.day_end:
            state.day_end, state.day_count = day_end, 0
        if state.day_count >= limits.per_day:
            return SendSlot(False, state.day_end)
        state.day_count += 1
    at = now
    if limits.per_minute:
        interval = timedelta(seconds=60.0 / limits.per_minute)
        tat = now if state.tat is None else max(state.tat, now)
        at = max(now, tat - interval * (max(1, limits.burst) - 1))
        state.tat = tat + interval
    return SendSlot(True, at)


class Outbox(abc.ABC):
    """Where mail waits to be sent, and its history.  Implemented by storage plugins.

    Every method is a coroutine; blocking I/O happens off the event loop.
    Methods that change statuses return the :class:`Change` rows; the core's
    queue turns them into status events (a storage plugin never emits one).
    :mod:`mailplug.testing.outbox_contract` checks an implementation against
    this contract.  Entries are addressed by their
    outbox id (a unique prefix of at least 4 characters is accepted where a
    person types it) or by Message-ID.
    """

    #: Name the plugin registered it under.
    name: str = ""
    #: Whether workers in several processes share it and it hands out connection slots
    #: (:meth:`take_connection`): the flush engine then asks for one per connection.
    shares_connections: bool = False
    #: Whether :meth:`insert` takes big messages as a :class:`~mailplug.body.Body` (and
    #: stores them without reading them whole); otherwise the core hands it bytes.
    #: Its claims may then carry a :class:`~mailplug.body.Body` too.
    stores_bodies: bool = False

    #: Whether :meth:`take_send_slot` counts the sends of every process using this outbox
    #: (the default counts this process's only).
    shares_send_limits: bool = False

    def __init__(self, *, services: Services) -> None:
        self.services = services
        self._send_limits: dict[str, SendLimitState] = {}

    # -- adding -------------------------------------------------------------

    @abc.abstractmethod
    async def insert(self, entries: Sequence[NewEntry]) -> list[Added]:
        """Store ``entries`` durably in one transaction.

        An entry whose ``dedupe_key`` or ``message_id`` is already stored is
        not added again (``Added.created`` is ``False``, ``id`` the existing one).

        :raises mailplug.errors.StorageError: nothing of the batch was stored.
        """

    async def insert_within(self, connection: Any, entries: Sequence[NewEntry]) -> list[Added]:
        """Store ``entries`` inside the host's own open database transaction.

        The transactional-outbox pattern: the mail exists if and only if the
        host's transaction commits.  ``connection`` is the host's database
        connection (for the PostgreSQL outbox a psycopg connection); the
        storage writes through it and never commits it.  Storages that cannot
        join a host's transaction keep this default.

        :raises mailplug.errors.StorageError: ``outbox.no_host_transaction``.
        """
        from .outbox_keys import OUTBOX_NO_HOST_TRANSACTION

        raise OUTBOX_NO_HOST_TRANSACTION.error(storage=self.name or type(self).__name__)

    # -- sending (the core's flush engine) ----------------------------------

    def watch(self, wake: asyncio.Event) -> Callable[[], None]:
        """Set ``wake`` whenever another process queues mail or makes some due again.

        Lets workers on several machines sleep until there is work instead of
        polling.  The default watches nothing (workers then notice other
        processes' mail by polling).  Returns a function that stops watching.
        """
        return _nothing

    @abc.abstractmethod
    async def claim(
        self,
        worker_id: str,
        *,
        limit: int,
        lease: float,
        now: datetime,
        accounts: Sequence[str] | None = None,
    ) -> list[Claim]:
        """Atomically take up to ``limit`` due entries for ``worker_id``, leased ``lease`` seconds.

        Due: ``queued``/``deferred``/``uncertain`` whose next attempt time has
        come, or ``sending`` whose lease expired (its worker died).  Higher
        priority first, then the earliest due.  Accounts paused at ``now``
        are skipped; ``accounts`` restricts the claim to these.  Claimed
        entries become ``sending``.  Two workers never get the same entry.
        """

    @abc.abstractmethod
    async def renew(self, worker_id: str, ids: Sequence[str], *, until: datetime) -> int:
        """Extend the leases ``worker_id`` still holds; returns how many were extended."""

    @abc.abstractmethod
    async def complete(self, worker_id: str, outcomes: Sequence[Outcome]) -> list[Change]:
        """Apply the core's decisions in one transaction.

        The attempt is always appended to the history; the status changes only
        while ``worker_id`` still holds the entry's lease.
        """

    @abc.abstractmethod
    async def release(self, worker_id: str, ids: Sequence[str], *, now: datetime) -> list[Change]:
        """Give claimed entries back untouched (no attempt made): they return to their
        previous status and are due again at once."""

    @abc.abstractmethod
    async def next_due(
        self, *, now: datetime, accounts: Sequence[str] | None = None
    ) -> datetime | None:
        """When something next becomes claimable (a retry time, a scheduled send, a
        lease expiry, the end of an account hold), or ``None`` when nothing waits."""

    async def due_count(self, *, now: datetime, accounts: Sequence[str] | None = None) -> int:
        """How many entries are claimable at ``now`` (a flush's progress total).

        The default counts every waiting message; plugins answer exactly.
        """
        return await self.waiting()

    async def take_connection(self, account: str, *, limit: int) -> int | None:
        """Take one of ``account``'s ``limit`` connection slots, shared by every worker
        of this outbox (every process, every machine).

        Providers lock accounts that open too many connections at once, so
        ``max_connections`` must hold across all workers, not per process.
        Returns the slot taken, or ``None`` when all ``limit`` are in use by
        other workers.  A slot of a worker that dies is freed.  Asked only
        when :attr:`shares_connections` is set; the default always gives slot 0.
        """
        return 0

    async def give_connection(self, account: str, slot: int) -> None:  # noqa: B027 - optional
        """Give back a slot :meth:`take_connection` handed out."""

    async def take_send_slot(
        self, account: str, limits: SendLimits, *, now: datetime, day_end: datetime
    ) -> SendSlot:
        """Take the slot of ``account``'s next message under ``limits``, counted across
        every worker of this outbox when :attr:`shares_send_limits` is set.

        Providers count an account's messages whichever process sends them, so
        ``rate_limit_per_minute`` and ``daily_limit`` must hold across all
        workers.  Asked by the flush engine right before each message of a
        limited account starts; the slot counts even when the attempt then
        fails.  ``day_end`` is when the day that starts now ends (the next
        local midnight).  Implementations keep a :class:`SendLimitState` per
        account and apply :func:`take_send_slot` to it atomically; the default
        keeps it in this process's memory.
        """
        state = self._send_limits.setdefault(account, SendLimitState())
        return take_send_slot(state, limits, now=now, day_end=day_end)

    # -- accounts -----------------------------------------------------------

    @abc.abstractmethod
    async def pause_account(self, pause: AccountPause) -> None:
        """Pause (or hold until ``pause.until``) an account; its mail stays queued."""

    @abc.abstractmethod
    async def resume_account(self, account: str) -> bool:
        """Lift a pause or hold; returns whether there was one."""

    @abc.abstractmethod
    async def paused_accounts(self) -> dict[str, AccountPause]:
        """Every stored pause and hold (including holds whose time has passed)."""

    # -- queries ------------------------------------------------------------

    @abc.abstractmethod
    async def get(self, ref: str) -> OutboxEntry | None:
        """One entry with its recipients and history, by id, unique id prefix or Message-ID."""

    @abc.abstractmethod
    async def query(self, filter: Filter) -> list[OutboxEntry]:
        """Entries matching ``filter`` (without history), at most ``filter.limit``."""

    @abc.abstractmethod
    async def counts(self, *, account: str | None = None) -> dict[str, int]:
        """Number of entries per status (every :class:`Status` is a key)."""

    async def waiting(self, *, account: str | None = None) -> int:
        """How many messages wait to be sent (the host's "mail waiting" indicator)."""
        counts = await self.counts(account=account)
        return sum(counts.get(str(s), 0) for s in WAITING_STATUSES)

    # -- people's actions ---------------------------------------------------

    @abc.abstractmethod
    async def retry(self, ids: Sequence[str], *, now: datetime) -> list[Change]:
        """Make entries due now: deferred, uncertain, failed or partial ones (their
        failed recipients become pending again) and scheduled ones.  Sent,
        cancelled and entries being sent are left alone."""

    @abc.abstractmethod
    async def cancel(self, ids: Sequence[str], *, now: datetime) -> list[Change]:
        """Cancel entries that wait (not those being sent or already final)."""

    @abc.abstractmethod
    async def purge(self, *, before: datetime, statuses: Sequence[Status]) -> int:
        """Delete entries in ``statuses`` dated before ``before``; returns how many."""

    # -- delivery reports (bounces, delays, read receipts) ------------------

    async def record_deliveries(
        self, ref: str, deliveries: Sequence[Delivery], *, now: datetime
    ) -> list[Change]:
        """Apply what delivery reports say about entry ``ref`` (id or Message-ID), atomically.

        Each delivery whose address is one of the entry's recipients moves that
        recipient with :func:`apply_delivery` (a change that changes nothing is
        skipped, so applying a report twice is harmless); the entry's status
        becomes :func:`status_after_deliveries`.  Returns one :class:`Change`
        per recipient that changed (``status`` the entry's new status,
        ``recipients`` that address, ``error`` the reason, ``details`` with
        ``recipient_status`` and ``reporter``).

        Optional: the default raises ``outbox.reports_unsupported``; bounce
        tracking then lists reports without recording them.

        :raises mailplug.errors.StorageError: ``outbox.reports_unsupported``.
        """
        from .outbox_keys import OUTBOX_REPORTS_UNSUPPORTED

        raise OUTBOX_REPORTS_UNSUPPORTED.error(storage=self.name or type(self).__name__)

    # -- the copy in the Sent folder (optional) ------------------------------

    #: Whether this outbox keeps Sent-folder copies (the methods below).  The
    #: default keeps none: sent mail is then not copied to the Sent folder.
    keeps_sent_copies: bool = False

    async def want_sent_copies(  # noqa: B027 - optional
        self, ids: Sequence[str], *, now: datetime
    ) -> None:
        """Note that the sent entries ``ids`` are to be copied to their account's Sent
        folder: each gets a ``pending`` :class:`SentCopy` due at ``now`` (an entry that
        already has one keeps it, so asking twice copies once)."""

    async def claim_sent_copies(
        self,
        worker_id: str,
        *,
        limit: int,
        lease: float,
        now: datetime,
        accounts: Sequence[str] | None = None,
    ) -> list[CopyClaim]:
        """Take up to ``limit`` pending copies due at ``now``, leased to ``worker_id`` for
        ``lease`` seconds (an expired lease hands the copy out again; two workers never
        get the same copy at once), oldest first; ``accounts`` restricts them."""
        return []

    async def finish_sent_copies(  # noqa: B027 - optional
        self, worker_id: str, outcomes: Sequence[CopyOutcome]
    ) -> None:
        """Record tries of copies ``worker_id`` holds (one more attempt each) and free them;
        an outcome for a copy whose lease another worker took since is ignored."""

    async def next_sent_copy_due(
        self, *, now: datetime, accounts: Sequence[str] | None = None
    ) -> datetime | None:
        """When the next pending copy becomes due (``None``: none waits)."""
        return None

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Release files and connections."""


class OutboxFactory(Protocol):
    """``factory(path_or_url, *, services)``; may be a coroutine function."""

    def __call__(self, path: Any, *, services: Services) -> Any: ...
