"""Sending what waits in the outbox: the flush engine and the long-running worker.

:func:`flush` claims due entries in batches (a constant amount of memory
however long the queue), sends them over several connections per account,
decides each outcome with the :class:`~mailplug.retry.RetryPolicy` and
records the outcomes in batches (group commit).  While it holds entries it
keeps their leases fresh; if the process dies, the leases expire and the
entries go back to the queue — so nothing is lost, and duplicates are
bounded by the messages in flight at the crash.

Stopping: set ``stop`` (the CLI does on the first Ctrl-C) and the messages
being sent finish while the others go back to the queue; cancelling the task
does the same, waiting at most ``grace`` seconds for the messages in flight.

:func:`work` repeats flushes for hosts: it wakes on new mail (in the same
process at once, from other processes within ``poll_interval``) and on
retry times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from . import keys
from .client_headers import strip_client_headers
from .copying import CopyReport, request_copies, save_copies
from .errors import ErrorInfo, MailplugError, StorageError
from .outbox import AccountPause, Change, Claim, Outbox, Outcome, SendLimits
from .outbox_keys import OUTBOX_DAILY_LIMIT, OUTBOX_TRANSPORT_FAILED
from .queue import Queue
from .retry import Decision, RetryPolicy, fingerprint
from .status import Status
from .transport import RecipientsRefusedError, payload_for

if TYPE_CHECKING:
    from .models import Account
    from .runtime import Runtime
    from .transport import Envelope, SendResult, Transport

__all__ = ["FlushProgress", "FlushReport", "flush", "work"]

log = logging.getLogger("mailplug.dispatch")

Clock = Callable[[], datetime]
#: Seconds an entry stays reserved without a sign of life: a flusher renews its
#: leases every third of it, so a killed one's mail is free again this soon.
DEFAULT_LEASE = 30.0
DEFAULT_CONCURRENCY = 3
#: Entries claimed ahead per open connection: enough to keep each connection's
#: pipelined stream full (16 cost ~1.3x and 4 ~2x the CPU per message of the drain
#: in bench/compare_trees.py), well under a second of sending at pipelined speed,
#: so a killed flusher strands little, and only for one 30 s lease.
CLAIM_FACTOR = 64
#: Tries to record outcomes when the outbox refuses to write (disk full, damaged
#: page), and the pause before the first retry (doubled each time): then the flush
#: ends with the storage error instead of holding on to them forever.
RECORD_TRIES = 4
RECORD_BACKOFF = 0.25
#: Seconds outcomes may wait to be recorded together (group commit).
COMMIT_DELAY = 0.02
#: Seconds between tries for an account's connection slot taken by other workers.
SLOT_WAIT = 0.1
#: Entries a worker streams to its transport in one go (then it starts another
#: stream, so that others sending through the account's connections get a turn).
STREAM = 100


def _utcnow() -> datetime:
    return datetime.now(UTC)


def worker_id() -> str:
    """Who holds a lease: host, process and a random part (one per flush)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class FlushProgress:
    """Handed to the ``progress`` callback after every message.

    :ivar total: messages due when the flush started plus those claimed since.
    :ivar done: messages with an outcome so far.
    :ivar last: the last status change.
    :ivar started: when the flush started (``time.monotonic()``).
    """

    total: int
    done: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    last: Change | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        """Messages with an outcome per second so far."""
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        """Estimated seconds until every due message has an outcome (``None``: no estimate yet)."""
        rate = self.rate
        if not self.done or rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / rate)


@dataclass
class Unrecorded:
    """An entry whose outcome a flush could not save (the outbox refused to write).

    :ivar status: what the attempt led to (``sent``: delivered, but the outbox still
        says ``sending``); ``None``: it was given back untried.
    :ivar free_at: when its lease runs out and another flush may take it again.
    :ivar outcome: the decision itself, so a worker that lives on can record it
        once the outbox takes writes again (:func:`work` does).
    """

    id: str
    message_id: str
    account: str
    status: Status | None
    free_at: datetime
    error_key: str | None = None
    outcome: Outcome | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "account": self.account,
            "status": str(self.status) if self.status is not None else None,
            "free_at": self.free_at.isoformat(),
            "error": self.error_key,
        }


@dataclass
class FlushReport:
    """What a flush did.

    :ivar counts: outcomes per status (``sent``, ``partial``, ``deferred``,
        ``failed``, ``uncertain``; ``queued`` when the account got paused).
    :ivar released: entries given back to the queue untried (stop, paused account).
    :ivar errors: how often each error key occurred.
    :ivar paused: accounts paused or held during the flush, with the reason.
    :ivar problems: up to ``problem_limit`` changes that were not ``sent``.
    :ivar stopped: the flush was stopped (Ctrl-C, ``stop``, cancellation).
    :ivar unrecorded: entries whose outcome (or release) could not be saved because
        the outbox refused to write; they stay ``sending`` until their lease runs
        out (see :attr:`Unrecorded.free_at`), then they are sent again.
    :ivar error: the storage error that ended the flush, if one did.
    :ivar worker: the lease holder name this flush used.
    :ivar copies_wanted: sent messages that got a pending copy for the Sent folder.
    :ivar copies: what saving those copies did (after delivery; ``None``: not run).
    """

    started: datetime
    finished: datetime | None = None
    claimed: int = 0
    released: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    paused: dict[str, AccountPause] = field(default_factory=dict)
    problems: list[Change] = field(default_factory=list)
    stopped: bool = False
    problem_limit: int = 1000
    unrecorded: list[Unrecorded] = field(default_factory=list)
    error: StorageError | None = None
    worker: str = ""
    copies_wanted: int = 0
    copies: CopyReport | None = None

    @property
    def sent(self) -> int:
        return self.counts.get(str(Status.SENT), 0)

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def elapsed(self) -> float:
        end = self.finished or _utcnow()
        return (end - self.started).total_seconds()

    def add(self, change: Change) -> None:
        key = str(change.status)
        self.counts[key] = self.counts.get(key, 0) + 1
        if change.error_key:
            self.errors[change.error_key] = self.errors.get(change.error_key, 0) + 1
        if change.status is not Status.SENT and len(self.problems) < self.problem_limit:
            self.problems.append(change)

    def merge(self, other: FlushReport) -> None:
        self.claimed += other.claimed
        self.released += other.released
        for k, v in other.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        for k, v in other.errors.items():
            self.errors[k] = self.errors.get(k, 0) + v
        self.paused.update(other.paused)
        room = self.problem_limit - len(self.problems)
        self.problems += other.problems[: max(0, room)]
        self.stopped = self.stopped or other.stopped
        self.finished = other.finished
        self.unrecorded = other.unrecorded or self.unrecorded
        self.error = other.error
        self.copies_wanted += other.copies_wanted
        if other.copies is not None:
            mine = self.copies = self.copies or CopyReport()
            mine.saved += other.copies.saved
            mine.retrying += other.copies.retrying
            mine.failed += other.copies.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat() if self.finished else None,
            "elapsed": round(self.elapsed, 3),
            "claimed": self.claimed,
            "released": self.released,
            "counts": dict(self.counts),
            "errors": dict(self.errors),
            "paused": {k: v.to_dict() for k, v in self.paused.items()},
            "problems": [
                {
                    "id": c.id,
                    "message_id": c.message_id,
                    "account": c.account,
                    "status": str(c.status),
                    "error": c.error_key,
                    "next_attempt_at": c.next_attempt_at.isoformat() if c.next_attempt_at else None,
                }
                for c in self.problems
            ],
            "stopped": self.stopped,
            "error": self.error.key if self.error is not None else None,
            "unrecorded": [u.to_dict() for u in self.unrecorded],
            "sent_copies": self.copies.to_dict() if self.copies is not None else None,
        }


ProgressCallback = Callable[[FlushProgress], Any]


class _Lane:
    """One account: its claimed entries waiting for a connection, and the workers
    (one per connection) that drain them."""

    def __init__(self, name: str, account: Account | None, size: int) -> None:
        self.name = name
        self.account = account
        self.size = size
        self.queue: deque[Claim] = deque()
        self.workers: set[asyncio.Task[None]] = set()
        self.transport: Transport | None = None
        #: Connection slots of a shared outbox this flush holds for the account, and the
        #: ones no worker uses now (its session idles in the transport's pool).
        self.held: set[int] = set()
        self.free: list[int] = []
        #: The account's messages a minute and a day, kept through the outbox's send slots.
        self.limits: SendLimits | None = None


class _Flush:
    """One flush: a claimer, a lane of workers per account, a recorder and a lease keeper."""

    def __init__(
        self,
        runtime: Runtime,
        outbox: Outbox,
        *,
        accounts: Sequence[str] | None,
        concurrency: int | None,
        limit: int | None,
        batch: int,
        lease: float,
        policy: RetryPolicy,
        progress: ProgressCallback | None,
        stop: asyncio.Event | None,
        clock: Clock,
        rng: random.Random,
        grace: float,
    ) -> None:
        self.runtime = runtime
        self.queue = Queue(runtime)
        self.outbox = outbox
        self.accounts = list(accounts) if accounts is not None else None
        self.concurrency = concurrency
        self.limit = limit
        self.batch = max(1, batch)
        self.lease = lease
        self.policy = policy
        self.progress_cb = progress
        # Our own event: stopping this flush must not set the caller's (a worker's) event.
        self.stop = asyncio.Event()
        self.requested = stop
        self.clock = clock
        self.rng = rng
        self.grace = grace
        self.worker = worker_id()
        self.report = FlushReport(started=clock())
        self.progress = FlushProgress(total=0, counts=self.report.counts)
        self.held: dict[str, Claim] = {}  # claimed and not yet recorded (leases to renew)
        self.pending = 0  # claimed and not yet decided or given back
        self.lanes: dict[str, _Lane] = {}
        self.sending: set[asyncio.Task[None]] = set()  # workers in the middle of an attempt
        self.blocked: set[str] = set()  # accounts paused or held during this flush
        self.outcomes: list[Outcome] = []
        self.releases: list[str] = []
        self.record_wake = asyncio.Event()
        self.room = asyncio.Event()
        self.finished_claiming = False
        self.storage_error: StorageError | None = None
        #: Set when the flush ends: the lease keeper stops.
        self.leases_done = asyncio.Event()
        self.renewed_until: datetime | None = None  # the leases' end as last renewed
        self.wants_copy: dict[str, bool] = {}  # account → a copy in its Sent folder

    # -- the loop ---------------------------------------------------------------

    async def run(self) -> FlushReport:
        try:
            await _unpause_changed(self.runtime, self.outbox, self.clock())
            self.progress.total = await self._due_count()
        except StorageError as exc:
            self._fail(exc)
        self.report.worker = self.worker
        recorder = asyncio.create_task(self._recorder(), name="mailplug-recorder")
        keeper = asyncio.create_task(self._keep_leases(), name="mailplug-leases")
        watcher: asyncio.Task[Any] | None = None
        if self.requested is not None:
            if self.requested.is_set():
                self.stop.set()
            watcher = asyncio.create_task(self.requested.wait())
            watcher.add_done_callback(lambda _: self.stop.set())
        cancelled = False
        try:
            await self._claim_loop()
            while self.pending and not self.stop.is_set():
                await self._wait_room()
        except asyncio.CancelledError:
            cancelled = True
            self.report.stopped = True
        except StorageError as exc:  # claiming failed
            self.storage_error = self.storage_error or exc
        finally:
            self.finished_claiming = True
            if watcher is not None:
                watcher.cancel()
            await _shielded(self._shutdown(recorder, keeper))
        self.report.finished = self.clock()
        if self.storage_error is not None:
            self._fail(self.storage_error)
        if cancelled:
            raise asyncio.CancelledError
        return self.report

    def _fail(self, error: StorageError) -> NoReturn:
        """End with ``error``, carrying the report: what was done, what could not be saved."""
        self.report.finished = self.report.finished or self.clock()
        self.report.error = error
        error.report = self.report
        raise error

    async def _due_count(self) -> int:
        return await self.outbox.due_count(now=self.clock(), accounts=self.accounts)

    async def _claim_loop(self) -> None:
        claimed = 0
        while not self.stop.is_set() and self.storage_error is None:
            if self.limit is not None and claimed >= self.limit:
                break
            # Hold only what the open connections can send soon (a killed flusher
            # strands no more), and claim once half of that is free: fewer, larger
            # transactions (and fewer wake-ups of the database thread).
            window = self._window()
            room = window - self.pending
            if room < max(1, window // 2):
                await self._wait_room()
                continue
            want = min(self.batch, room)
            if self.limit is not None:
                want = min(want, self.limit - claimed)
            claims = await self.outbox.claim(
                self.worker,
                limit=want,
                lease=self.lease,
                now=self.clock(),
                accounts=self.accounts,
            )
            if not claims:
                if not self.pending:
                    break
                await self._wait_room()
                continue
            claimed += len(claims)
            self.report.claimed += len(claims)
            self.progress.total = max(self.progress.total, self.report.claimed)
            now = self.clock()
            self.queue.report(
                Change(
                    c.id,
                    c.message_id,
                    c.account,
                    Status.SENDING,
                    c.previous,
                    at=now,
                    subject=c.subject,
                    recipients=c.envelope.recipients,
                )
                for c in claims
            )
            touched: dict[str, _Lane] = {}
            for c in claims:
                # The one door out of the outbox: a mail program's own headers (FCC holds
                # an IMAP login) never leave, whoever stored the message.
                c.data = strip_client_headers(c.data)
                self.held[c.id] = c
                self.pending += 1
                lane = self.lanes.get(c.account) or await self._lane(c.account)
                lane.queue.append(c)
                touched[lane.name] = lane
            for lane in touched.values():
                self._spawn(lane)
        if self.stop.is_set():
            self.report.stopped = True
        self.finished_claiming = True

    def _window(self) -> int:
        """How many entries this flush may hold: :data:`CLAIM_FACTOR` per connection."""
        connections = sum(lane.size for lane in self.lanes.values())
        if not connections:
            connections = self.concurrency or DEFAULT_CONCURRENCY
        return max(1, connections * CLAIM_FACTOR)

    async def _wait_room(self) -> None:
        self.room.clear()
        stopper = asyncio.ensure_future(self.stop.wait())
        roomer = asyncio.ensure_future(self.room.wait())
        try:
            await asyncio.wait({stopper, roomer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            roomer.cancel()

    # -- lanes and workers --------------------------------------------------------

    async def _lane(self, name: str) -> _Lane:
        """The account's lane; its width is ``concurrency``, else the transport's
        ``max_connections``, else 3."""
        account = self.runtime.accounts.get(name)
        transport: Transport | None = None
        if account is not None:
            try:
                transport = await self.runtime.transport_for(account)
            except MailplugError:
                transport = None  # the attempt reports the error
        n = self.concurrency or _max_connections(transport)
        lane = self.lanes.setdefault(name, _Lane(name, account, max(1, n)))
        lane.transport = lane.transport or transport
        if lane.transport is not None and lane.limits is None:
            lane.limits = lane.transport.send_limits() or None
        return lane

    def _spawn(self, lane: _Lane) -> None:
        while len(lane.workers) < min(lane.size, len(lane.queue)):
            task = asyncio.create_task(self._work(lane), name=f"mailplug-send-{lane.name}")
            lane.workers.add(task)

    async def _work(self, lane: _Lane) -> None:
        """One connection's worth of sending: stream the lane's entries to its transport."""
        task = asyncio.current_task()
        assert task is not None
        slot: int | None = None
        try:
            slot = await self._take_connection(lane)
            while slot is not None and self._may_take(lane):
                transport = lane.transport
                if (
                    transport is None
                    or lane.account is None
                    or not lane.queue[0].envelope.recipients
                ):
                    # One by one: its error (no account, no transport, no recipient)
                    # is the outcome.
                    await self._one(lane.queue.popleft(), lane, task)
                elif lane.limits:
                    # A limited account: one message per send slot, whichever process
                    # of the outbox takes the next one.
                    if await self._send_slot(lane) and self._may_take(lane):
                        await self._one(lane.queue.popleft(), lane, task)
                elif not await self._stream(lane, transport, task) and self._may_take(lane):
                    # A transport whose send_many() took nothing: one by one, so its
                    # failure is each message's outcome rather than a busy loop.
                    await self._one(lane.queue.popleft(), lane, task)
        finally:
            lane.workers.discard(task)
            if self.stop.is_set() or lane.name in self.blocked:
                while lane.queue:
                    self._give_back(lane.queue.popleft())
            if slot is not None and self.outbox.shares_connections:
                # Kept for the lane (its session stays open for the next stream) until
                # the flush ends: see _give_connections.
                lane.free.append(slot)

    async def _take_connection(self, lane: _Lane) -> int | None:
        """A connection slot of the lane's account shared with every other worker, or
        ``None``: this process already sends on another connection of the account,
        which drains the lane, while the other slots are taken elsewhere."""
        if not self.outbox.shares_connections:
            return 0  # one process: the lane's width is the limit
        if lane.free:
            return lane.free.pop()
        while self._may_take(lane):
            try:
                slot = await self.outbox.take_connection(lane.name, limit=lane.size)
            except StorageError as exc:
                log.warning("connection slots of %s unavailable: %s", lane.name, exc)
                return 0  # the per-process limit still holds
            if slot is not None:
                lane.held.add(slot)
                return slot
            if lane.free:  # a worker of this lane finished meanwhile
                return lane.free.pop()
            if len(lane.workers) > 1:
                return None
            # The lane's last worker waits for a slot to free (its claims stay leased).
            await asyncio.sleep(SLOT_WAIT)
        return None

    async def _give_connections(self, lane: _Lane) -> None:
        """Give the lane's connection slots back at the end of the flush."""
        if not lane.held:
            return
        # The sessions close first: the slots' next holders (maybe in other processes)
        # open their own, never one too many.
        if lane.transport is not None:
            await lane.transport.close_idle()
        for slot in sorted(lane.held):
            try:
                await self.outbox.give_connection(lane.name, slot)
            except StorageError as exc:
                log.warning("could not free a connection slot of %s: %s", lane.name, exc)
        lane.held.clear()
        lane.free.clear()

    async def _send_slot(self, lane: _Lane) -> bool:
        """Wait for the send slot of the lane's next message (its account's
        ``rate_limit_per_minute`` and ``daily_limit``, counted by the outbox across
        every worker sharing it).

        :returns: ``False`` when no message may start: the daily limit is used up
            (the account is then held until the day ends, in the outbox, so every
            worker stops), the slots cannot be counted, or the flush stops.
        """
        assert lane.limits is not None
        now = self.clock()
        try:
            slot = await self.outbox.take_send_slot(
                lane.name, lane.limits, now=now, day_end=self.policy.quota_resets_at(now)
            )
        except StorageError as exc:
            # Without the count the limit cannot be kept: send nothing more.
            self.storage_error = self.storage_error or exc
            self.stop.set()
            return False
        if not slot.granted:
            info = ErrorInfo(OUTBOX_DAILY_LIMIT.key, params={"per_day": lane.limits.per_day})
            log.info("account %s: daily limit reached; held until %s", lane.name, slot.at)
            await self._hold(lane.name, AccountPause(lane.name, now, slot.at, error=info))
            return False
        delay = (slot.at - now).total_seconds()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), delay)
        return self._may_take(lane)

    def _may_take(self, lane: _Lane) -> bool:
        return bool(lane.queue) and not self.stop.is_set() and lane.name not in self.blocked

    async def _one(self, claim: Claim, lane: _Lane, task: asyncio.Task[None]) -> None:
        # From here on the message may reach the server: a stop lets it finish.
        self.sending.add(task)
        try:
            decision = await self._attempt(claim, lane)
        except asyncio.CancelledError:
            self._give_back(claim)
            raise
        finally:
            self.sending.discard(task)
        await self._decided(claim, decision)

    async def _stream(self, lane: _Lane, transport: Transport, task: asyncio.Task[None]) -> int:
        """Up to :data:`STREAM` entries through ``transport.send_many``: the transport
        takes each one when it is ready to start it (with SMTP pipelining, while the
        previous one ends), so a stop or a paused account ends the stream at once.

        :returns: how many entries the transport took.
        """
        taken: deque[tuple[Claim, float]] = deque()
        unreadable: list[tuple[Claim, MailplugError]] = []
        count = 0

        def feed() -> Iterator[tuple[Envelope, bytes]]:
            for _ in range(STREAM):
                if not self._may_take(lane) or not lane.queue[0].envelope.recipients:
                    return
                claim = lane.queue.popleft()
                try:
                    data = payload_for(transport, claim.data, claim.message_id)
                except MailplugError as error:  # its stored file is gone: decided below
                    unreadable.append((claim, error))
                    continue
                # From here on the message may reach the server: a stop lets it finish.
                taken.append((claim, time.monotonic()))
                nonlocal count
                count += 1
                yield claim.envelope, data

        self.sending.add(task)
        try:
            async with contextlib.aclosing(transport.send_many(feed())) as outcomes:
                async for outcome in outcomes:
                    claim, started = taken.popleft()
                    await self._decided(claim, self._decide(claim, lane, outcome, started))
        except asyncio.CancelledError:
            while taken:
                self._give_back(taken.popleft()[0])
            for claim, _ in unreadable:
                self._give_back(claim)
            raise
        except Exception as exc:  # a bug in a transport plugin: retry later, log it
            log.exception("transport for account %s failed", lane.name)
            while taken:
                claim, started = taken.popleft()
                await self._decided(claim, self._bug(claim, lane, exc, started))
        finally:
            self.sending.discard(task)
        for claim, error in unreadable:
            await self._decided(claim, self._decide(claim, lane, error, time.monotonic()))
        if taken:  # taken and never answered: a transport bug, like an exception
            problem = RuntimeError("send_many() gave no outcome for a message it took")
            log.error("transport for account %s: %s", lane.name, problem)
            while taken:
                claim, started = taken.popleft()
                await self._decided(claim, self._bug(claim, lane, problem, started))
        return count

    async def _decided(self, claim: Claim, decision: Decision) -> None:
        # The outcome is queued for recording before anything else can be awaited.
        self.outcomes.append(decision.outcome)
        self.record_wake.set()
        self.pending -= 1
        self.room.set()
        if decision.pause is not None or decision.hold is not None:
            await self._block(claim, decision)

    def _decide(
        self, claim: Claim, lane: _Lane, outcome: SendResult | MailplugError, started: float
    ) -> Decision:
        if isinstance(outcome, RecipientsRefusedError):
            outcome = self.runtime.refused_error(outcome, account=lane.account)
        if isinstance(outcome, MailplugError):
            return self.policy.after_error(
                claim,
                outcome,
                now=self.clock(),
                duration=time.monotonic() - started,
                fingerprint=fingerprint(lane.account),
                worker=self.worker,
                rng=self.rng,
            )
        outcome.duration = outcome.duration or time.monotonic() - started
        if outcome.refused:
            self.runtime.classify_refusals(
                outcome.recipients, host=outcome.host, account=lane.account
            )
        return self.policy.after_result(
            claim, outcome, now=self.clock(), worker=self.worker, rng=self.rng
        )

    def _bug(self, claim: Claim, lane: _Lane, exc: Exception, started: float) -> Decision:
        account = lane.account
        error = OUTBOX_TRANSPORT_FAILED.error(
            transport=account.transport if account else "?",
            problem=f"{type(exc).__name__}: {exc}",
            cause=exc,
        )
        return self.policy.after_error(
            claim,
            error,
            now=self.clock(),
            duration=time.monotonic() - started,
            worker=self.worker,
            rng=self.rng,
        )

    async def _attempt(self, claim: Claim, lane: _Lane) -> Decision:
        started = time.monotonic()
        account = lane.account
        try:
            if account is None:
                raise keys.ACCOUNT_NOT_CONFIGURED.error(address=claim.account)
            if not claim.envelope.recipients:
                raise keys.MESSAGE_NO_RECIPIENTS.error()
            transport = lane.transport
            if transport is None:
                transport = lane.transport = await self.runtime.transport_for(account)
            data = payload_for(transport, claim.data, claim.message_id)
            result = await transport.send(claim.envelope, data)
        except MailplugError as exc:
            return self._decide(claim, lane, exc, started)
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # a bug in a transport plugin: retry later, log it
            log.exception("transport for account %s failed", claim.account)
            return self._bug(claim, lane, exc, started)
        return self._decide(claim, lane, result, started)

    async def _block(self, claim: Claim, decision: Decision) -> None:
        block = decision.pause or decision.hold
        if block is not None:
            await self._hold(claim.account, block)

    async def _hold(self, account: str, block: AccountPause) -> None:
        """Stop sending from ``account`` in this flush, and pause it in the outbox."""
        self.blocked.add(account)
        self.report.paused[account] = block
        try:
            await self.outbox.pause_account(block)
        except StorageError as exc:
            self.storage_error = self.storage_error or exc
            self.stop.set()

    def _give_back(self, claim: Claim) -> None:
        self.releases.append(claim.id)
        self.pending -= 1
        self.room.set()
        self.record_wake.set()

    # -- recording ----------------------------------------------------------------

    async def _recorder(self) -> None:
        while True:
            await self.record_wake.wait()
            self.record_wake.clear()
            if len(self.outcomes) < self.batch and self.pending and not self.stop.is_set():
                # Group commit: let a few more outcomes join this transaction.
                await asyncio.sleep(COMMIT_DELAY)
            if not await self._record_with_retries():
                return  # the outbox refuses writes: the flush ends with that error
            idle = not (self.pending or self.outcomes or self.releases)
            if self.finished_claiming and idle:
                return

    async def _record_with_retries(self) -> bool:
        """Record what waits, trying :data:`RECORD_TRIES` times with a growing pause.

        :returns: ``False`` when every try failed (:attr:`storage_error` says why).
        """
        delay = RECORD_BACKOFF
        for attempt in range(1, RECORD_TRIES + 1):
            error = await self._record_pending()
            if error is None:
                return True
            # Send nothing more whose outcome could not be saved.
            self.storage_error = self.storage_error or error
            self.stop.set()
            if attempt == RECORD_TRIES:
                log.error("could not record sending results (%d tries): %s", attempt, error)
                return False
            log.warning("could not record sending results (try %d): %s", attempt, error)
            await asyncio.sleep(delay)
            delay *= 2
        return False  # pragma: no cover - the loop returns

    async def _record_pending(self) -> StorageError | None:
        """One try to save the waiting outcomes and releases; what fails stays waiting."""
        outcomes, self.outcomes = self.outcomes, []
        releases, self.releases = self.releases, []
        try:
            if outcomes:
                changes = await self.outbox.complete(self.worker, outcomes)
                self._after(changes, outcomes)
                for o in outcomes:
                    self.held.pop(o.id, None)
                outcomes = []
                # After the outcome is recorded, never before: the Sent-folder copy
                # waits for delivery, and a failure to note it is only logged.
                self.report.copies_wanted += await request_copies(
                    self.runtime, self.outbox, changes, now=self.clock(), cache=self.wants_copy
                )
            if releases:
                changes = await self.outbox.release(self.worker, releases, now=self.clock())
                self.queue.report(self._known(changes))
                self.report.released += len(changes)
                for entry_id in releases:
                    self.held.pop(entry_id, None)
                releases = []
        except StorageError as exc:
            self.outcomes[:0] = outcomes
            self.releases[:0] = releases
            return exc
        return None

    def _unrecorded(self) -> list[Unrecorded]:
        """The outcomes and releases still unsaved when the flush ends."""
        found: list[Unrecorded] = []
        for outcome in self.outcomes:
            found.append(self._unrecorded_one(outcome.id, outcome))
        for entry_id in self.releases:
            found.append(self._unrecorded_one(entry_id, None))
        return found

    def _unrecorded_one(self, entry_id: str, outcome: Outcome | None) -> Unrecorded:
        claim = self.held.get(entry_id)
        free_at = claim.lease_until if claim is not None else self.clock()
        if self.renewed_until is not None and claim is not None:
            free_at = max(free_at, self.renewed_until)
        return Unrecorded(
            id=entry_id,
            message_id=claim.message_id if claim is not None else "",
            account=claim.account if claim is not None else "",
            status=outcome.status if outcome is not None else None,
            free_at=free_at,
            error_key=outcome.error.key if outcome is not None and outcome.error else None,
            outcome=outcome,
        )

    def _known(self, changes: list[Change]) -> list[Change]:
        """``changes`` with the subject and recipients of the claims this flush holds."""
        for change in changes:
            claim = self.held.get(change.id)
            if claim is not None:
                change.subject = change.subject or claim.subject
                change.recipients = change.recipients or claim.envelope.recipients
        return changes

    def _after(self, changes: list[Change], outcomes: list[Outcome]) -> None:
        decided = {o.id: o for o in outcomes}
        for change in self._known(changes):
            outcome = decided.get(change.id)
            if outcome is not None and change.error is None:
                change.error = outcome.error
        self.queue.report(changes)
        for change in changes:
            self.report.add(change)
            self.progress.done += 1
            self.progress.last = change
            if self.progress_cb is not None:
                try:
                    self.progress_cb(self.progress)
                except Exception:
                    log.exception("progress callback failed")

    async def _keep_leases(self) -> None:
        interval = max(0.05, self.lease / 3)
        while not self.leases_done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.leases_done.wait(), interval)
            if self.leases_done.is_set():
                return
            ids = list(self.held)
            if ids:
                until = self.clock() + timedelta(seconds=self.lease)
                try:
                    await self.outbox.renew(self.worker, ids, until=until)
                    self.renewed_until = until
                except StorageError as exc:
                    log.warning("could not renew leases: %s", exc)

    # -- stopping -----------------------------------------------------------------

    async def _shutdown(self, recorder: asyncio.Task[None], keeper: asyncio.Task[None]) -> None:
        self.stop.set()
        workers = {w for lane in self.lanes.values() for w in lane.workers}
        if workers:
            # Messages on the wire get ``grace`` seconds to finish; idle workers stop
            # at once and their lanes' entries go back to the queue.
            _, late = await asyncio.wait(workers, timeout=self.grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        for lane in self.lanes.values():
            while lane.queue:
                self._give_back(lane.queue.popleft())
            await self._give_connections(lane)
        self.record_wake.set()
        with contextlib.suppress(asyncio.CancelledError):
            await recorder
        # Whatever is still unrecorded (the recorder gave up, or workers finished
        # after it did) gets one more try; what still fails is listed in the report.
        if self.outcomes or self.releases:
            error = await self._record_pending()
            self.storage_error = self.storage_error or error
            self.report.unrecorded = self._unrecorded()
        # The event ends the keeper even when a renewal under way swallows the
        # cancellation (Python 3.11's wait_for can, inside the storage's pool): a
        # keeper that went on renewing would hold the flush open for good.
        self.leases_done.set()
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper


def _max_connections(transport: Transport | None) -> int:
    """How many connections a transport wants at once (``max_connections``)."""
    for holder in (transport, getattr(transport, "settings", None)):
        n = getattr(holder, "max_connections", None)
        if isinstance(n, int) and n > 0:
            return n
    return DEFAULT_CONCURRENCY


async def _shielded(coro: Any) -> None:
    task = asyncio.ensure_future(coro)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        # Cancelled again while shutting down: let the shutdown finish anyway.
        await task
        raise


async def _unpause_changed(runtime: Runtime, outbox: Outbox, now: datetime) -> None:
    """Lift pauses of accounts whose settings changed since, and holds that ran out."""
    for name, pause in (await outbox.paused_accounts()).items():
        if pause.until is not None:
            if pause.until <= now:
                await outbox.resume_account(name)
            continue
        if name not in runtime.accounts:
            continue  # another process's account: only a process that knows it may resume it
        current = fingerprint(runtime.accounts.get(name))
        if pause.fingerprint is not None and current != pause.fingerprint:
            log.info("settings of account %s changed: sending resumes", name)
            await outbox.resume_account(name)


async def flush(
    runtime: Runtime,
    *,
    account: str | None = None,
    accounts: Sequence[str] | None = None,
    concurrency: int | None = None,
    limit: int | None = None,
    batch: int = 64,
    lease: float = DEFAULT_LEASE,
    policy: RetryPolicy | None = None,
    progress: ProgressCallback | None = None,
    stop: asyncio.Event | None = None,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    grace: float = 30.0,
    sent_copies: bool = True,
) -> FlushReport:
    """Send everything due in the outbox, then return.

    :param account: only this account (or ``accounts``: only these).
    :param concurrency: connections per account (default: the transport's
        ``max_connections``, else 3).
    :param limit: send at most this many messages.
    :param batch: at most this many entries claimed per round trip to the outbox
        (fewer when the connections have enough to send: :data:`CLAIM_FACTOR`).
    :param lease: seconds an entry stays reserved without a sign of life (the
        flush renews its leases every third of it while it runs).
    :param policy: the retry policy (default: the accounts file's ``[retry]``).
    :param progress: called with a :class:`FlushProgress` after every message.
    :param stop: set it to stop: messages being sent finish, the rest stay queued.
    :param clock: returns the current UTC time (tests inject one).
    :param rng: random source of the backoff jitter (tests seed one).
    :param grace: seconds in-flight messages get to finish when stopped.
    :param sent_copies: then, once every outcome is recorded, save the due copies of
        sent mail in the accounts' Sent folders (:mod:`mailplug.copying`); their
        failures are recorded on the copies, never on the flush.
    :raises mailplug.errors.StorageError: the outbox could not be read or written.
    """
    outbox: Outbox = await runtime.outbox()
    names = [account] if account is not None else accounts
    # A worker never takes mail of an account it does not know: it would have to
    # fail or pause it, while the process that does know it (a host that passed the
    # account in code) sends it fine.  That mail is left for such a process.
    names = [n for n in (names if names is not None else runtime.accounts) if n in runtime.accounts]
    engine = _Flush(
        runtime,
        outbox,
        accounts=names,
        concurrency=concurrency,
        limit=limit,
        batch=batch,
        lease=lease,
        policy=runtime.retry_policy(policy),
        progress=progress,
        stop=stop,
        clock=clock or _utcnow,
        rng=rng or random.Random(),
        grace=grace,
    )
    report = await engine.run()
    if sent_copies and not report.stopped and not (stop is not None and stop.is_set()):
        try:
            report.copies = await save_copies(runtime, accounts=names, clock=clock)
        except Exception:  # delivery is done and recorded: the copy never undoes that
            log.exception("saving Sent-folder copies failed")
    return report


async def work(
    runtime: Runtime,
    *,
    stop: asyncio.Event | None = None,
    wake: asyncio.Event | None = None,
    poll_interval: float = 2.0,
    on_flush: Callable[[FlushReport], Any] | None = None,
    on_error: Callable[[StorageError, float], Any] | None = None,
    error_backoff: float = 1.0,
    max_error_backoff: float = 60.0,
    clock: Clock | None = None,
    **flush_options: Any,
) -> FlushReport:
    """Keep sending until ``stop`` is set: flush, then sleep until new mail or a retry time.

    When the outbox refuses to write (disk full, damaged file), the pass ends with
    the storage error: ``on_error`` is called with it (else it is logged), the
    worker waits ``error_backoff`` seconds (doubling up to ``max_error_backoff``)
    and tries again; the outcomes it could not save are saved first once the
    outbox takes writes again, so delivered mail is not sent twice.

    :param wake: set when mail is queued in this process (``runtime.new_mail``), so
        new mail goes out at once; mail queued by other processes wakes it
        through :meth:`~mailplug.outbox.Outbox.watch` when the storage can tell
        (PostgreSQL's ``NOTIFY``), else is noticed within ``poll_interval`` seconds.
    :param on_flush: called with each pass's report that did something.
    :param on_error: called with the storage error that ended a pass and the
        seconds until the next try.
    :returns: the sum of every pass.
    """
    stop = stop or asyncio.Event()
    clock = clock or _utcnow
    total = FlushReport(started=clock())
    outbox: Outbox = await runtime.outbox()
    names = flush_options.get("accounts")
    if flush_options.get("account") is not None:
        names = [flush_options["account"]]
    # Mail queued or retried by other processes (other machines) wakes us too.
    wake = wake or asyncio.Event()
    unwatch = outbox.watch(wake)
    # Copies for the Sent folder are saved by a task of their own: a slow or
    # unreachable IMAP server never holds up the next message.
    copies_wake = asyncio.Event()
    copier = asyncio.create_task(
        _copy_loop(runtime, names, stop, copies_wake, clock), name="mailplug-sent-copies"
    )
    flush_options = {**flush_options, "sent_copies": False}
    try:
        return await _work(
            runtime,
            outbox,
            names,
            stop,
            wake,
            poll_interval,
            on_flush,
            on_error,
            (error_backoff, max_error_backoff),
            clock,
            total,
            flush_options,
            copies_wake,
        )
    finally:
        unwatch()
        copier.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await copier


#: Seconds the copy task sleeps at most between looks for due copies.
COPY_POLL = 60.0


async def _copy_loop(
    runtime: Runtime,
    names: Sequence[str] | None,
    stop: asyncio.Event,
    wake: asyncio.Event,
    clock: Clock,
) -> None:
    """Save due Sent-folder copies whenever sending asked for some, or a retry is due."""
    outbox: Outbox = await runtime.outbox()
    while not stop.is_set():
        wake.clear()
        now = clock()
        try:
            await save_copies(runtime, accounts=names, clock=clock)
            now = clock()
            due = await outbox.next_sent_copy_due(now=now, accounts=names)
        except StorageError as exc:  # save_copies logs its own; this is next_sent_copy_due
            log.warning("Sent-folder copies: the outbox refused: %s", exc)
            due = None
        except Exception:  # a bug must not end the task: sending goes on, copies wait
            log.exception("saving Sent-folder copies failed")
            due = None
        timeout = COPY_POLL
        if due is not None:
            timeout = min(COPY_POLL, max(0.05, (due - now).total_seconds()))
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()


async def _work(
    runtime: Runtime,
    outbox: Outbox,
    names: Any,
    stop: asyncio.Event,
    wake: asyncio.Event,
    poll_interval: float,
    on_flush: Callable[[FlushReport], Any] | None,
    on_error: Callable[[StorageError, float], Any] | None,
    backoffs: tuple[float, float],
    clock: Clock,
    total: FlushReport,
    flush_options: dict[str, Any],
    copies_wake: asyncio.Event,
) -> FlushReport:
    error_backoff, max_error_backoff = backoffs
    unsaved: list[tuple[str, list[Unrecorded]]] = []
    backoff = error_backoff
    while not stop.is_set():
        # Only mail this runtime can send wakes it (see flush); read every pass, as
        # a host may add accounts while the worker runs.
        known = [
            n for n in (names if names is not None else runtime.accounts) if n in runtime.accounts
        ]
        wake.clear()
        try:
            await _save_unrecorded(runtime, outbox, unsaved, clock())
            report = await flush(runtime, stop=stop, clock=clock, **flush_options)
        except StorageError as exc:
            failed = exc.report if isinstance(exc.report, FlushReport) else None
            if failed is not None:
                total.merge(failed)
                if failed.unrecorded:
                    unsaved.append((failed.worker, failed.unrecorded))
            if on_error is not None:
                on_error(exc, backoff)
            else:
                log.error("sending paused for %.0f s: %s", backoff, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)
            backoff = min(max_error_backoff, backoff * 2)
            continue
        backoff = error_backoff
        if report.copies_wanted:
            copies_wake.set()
        total.merge(report)
        if on_flush is not None and report.claimed:
            on_flush(report)
        if stop.is_set():
            break
        now = clock()
        due = await outbox.next_due(now=now, accounts=known)
        timeout = poll_interval
        if due is not None:
            timeout = min(poll_interval, max(0.0, (due - now).total_seconds()))
            if timeout == 0.0:
                continue
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
    total.finished = clock()
    total.stopped = True
    return total


async def _save_unrecorded(
    runtime: Runtime, outbox: Outbox, unsaved: list[tuple[str, list[Unrecorded]]], now: datetime
) -> None:
    """Save the outcomes earlier passes could not (oldest first).

    The history gets the attempt in any case; the status changes only if the
    entry is still leased to that pass (:meth:`Outbox.complete`), so an entry
    another flusher took meanwhile is left to it.

    :raises StorageError: the outbox still refuses writes (``unsaved`` is kept).
    """
    queue = Queue(runtime)
    while unsaved:
        worker, entries = unsaved[0]
        outcomes = [u.outcome for u in entries if u.outcome is not None]
        untried = [u.id for u in entries if u.outcome is None]
        if outcomes:
            queue.report(await outbox.complete(worker, outcomes))
            # Saved: a failing release below must not append these attempts twice.
            unsaved[0] = (worker, [u for u in entries if u.outcome is None])
        if untried:
            queue.report(await outbox.release(worker, untried, now=now))
        unsaved.pop(0)
