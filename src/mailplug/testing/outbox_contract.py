"""The outbox contract as a test suite: what every storage plugin must do, in pytest.

A storage plugin (an :class:`~mailplug.outbox.Outbox` registered through
``mailplug_register_storage``) runs the suite by subclassing
:class:`OutboxContract` in one of its test modules and saying how to open
its outbox::

    from mailplug.testing.outbox_contract import OutboxContract
    from my_storage_plugin import open_postgres_outbox

    class TestPostgresOutbox(OutboxContract):
        async def open_outbox(self, tmp_path, services):
            return await open_postgres_outbox(POSTGRES_URL, services=services)

        # Optional: a second handle on the same storage (what another process
        # would open) runs the claim-exclusivity test across handles too.
        async def open_second_handle(self, tmp_path, services):
            return await open_postgres_outbox(POSTGRES_URL, services=services)

Each test gets a fresh outbox from :meth:`OutboxContract.open_outbox` (use
``tmp_path`` for files, or empty your database there) and closes it with
:meth:`~OutboxContract.close_outbox` (``aclose()`` by default).

The tests drive the abstract methods of :class:`~mailplug.outbox.Outbox` only
(``insert``, ``claim``, ``renew``, ``complete``, ``release``, ``next_due``,
``due_count``, the account pauses, ``get``, ``query``, ``counts``, ``retry``,
``cancel``, ``purge``) with the records of :mod:`mailplug.outbox`; they never
sleep: every time is an explicit ``now=`` around a fixed instant
(:data:`T0`).  The :mod:`mailplug.outbox` docstrings are the specification;
each test's docstring says which promise it checks.

**Requirements**: pytest and pytest-asyncio (strict or auto mode: the class
carries ``pytest.mark.asyncio`` and its async fixture is a
``pytest_asyncio.fixture``).  Nothing here imports a storage plugin.

**Marks and parameters**: the class is marked ``pytest.mark.asyncio``; your
subclass takes any further mark (``@pytest.mark.slow``, ``@pytest.mark.skipif``
for a missing database server) and can be parametrized like any pytest class,
e.g. to run the whole contract against several configurations.  A parameter
reaches :meth:`~OutboxContract.open_outbox` through an autouse fixture that
stores it on the test instance::

    @pytest.mark.parametrize("synchronous", ["normal", "full"])
    class TestSqliteOutbox(OutboxContract):
        @pytest.fixture(autouse=True)
        def _synchronous(self, synchronous):
            self.synchronous = synchronous

        async def open_outbox(self, tmp_path, services):
            url = f"sqlite://{tmp_path}/o.sqlite3?synchronous={self.synchronous}"
            return await open_outbox(url, services=services)

Select or skip single promises with ``-k`` (``-k "not lease"``);
override a test method in your subclass to skip it with a reason when your
storage deliberately differs.

**Services**: :meth:`~OutboxContract.make_services` builds the
:class:`~mailplug.services.Services` a mailer would hand your factory (its
``data_dir`` under ``tmp_path``); override it to add what your plugin needs.

The helpers :func:`make_entry` and :func:`make_outcome` build the records
the core would, for further tests of your own.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

import pytest
import pytest_asyncio

from ..body import STREAM_THRESHOLD, Body, Spool, as_bytes, size_of
from ..errors import MailplugError
from ..outbox import (
    WAITING_STATUSES,
    AccountPause,
    Attempt,
    Change,
    Claim,
    CopyOutcome,
    CopyStatus,
    Delivery,
    ErrorInfo,
    Filter,
    NewEntry,
    Outbox,
    Outcome,
    RecipientState,
    RecipientStatus,
    SendLimits,
    SendSlot,
    entries_for,
    new_id,
)
from ..storage import Status
from ..transport import Envelope

if TYPE_CHECKING:
    from pathlib import Path

    from ..services import Services

__all__ = ["T0", "OutboxContract", "make_entry", "make_outcome"]

#: The instant every contract test counts from (whole seconds: storages may keep floats).
T0 = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)

ACCOUNT = "biuro"
OTHER = "sklep"
SENDER = "biuro@firma.example"


def _at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def make_entry(
    n: int = 0,
    *,
    account: str = ACCOUNT,
    to: Sequence[str] | None = None,
    subject: str | None = None,
    sender: str = SENDER,
    priority: int = 3,
    created_at: datetime = T0,
    send_at: datetime | None = None,
    status: Status = Status.QUEUED,
    sent_at: datetime | None = None,
    dedupe_key: str | None = None,
    message_id: str | None = None,
    entry_id: str | None = None,
    metadata: dict[str, str] | None = None,
) -> NewEntry:
    """A :class:`~mailplug.outbox.NewEntry` as the core builds one (rendered bytes included)."""
    recipients = tuple(to) if to is not None else (f"odbiorca{n}@example.com",)
    entry_id = entry_id or new_id()
    message_id = message_id or f"<{n}.{entry_id}@contract.example>"
    subject = subject if subject is not None else f"Faktura {n}"
    data = (
        f"From: {sender}\r\nTo: {', '.join(recipients)}\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n'
        f"\r\nTreść wiadomości {n}.\r\n"
    ).encode()
    return NewEntry(
        id=entry_id,
        message_id=message_id,
        account=account,
        envelope=Envelope(sender, recipients, message_id),
        data=data,
        subject=subject,
        sender=sender,
        to=recipients,
        priority=priority,
        created_at=created_at,
        send_at=send_at,
        status=status,
        sent_at=sent_at,
        dedupe_key=dedupe_key,
        metadata=dict(metadata or {}),
    )


def make_outcome(
    claim: Claim,
    status: Status,
    *,
    at: datetime,
    worker: str,
    next_attempt_at: datetime | None = None,
    recipients: Sequence[RecipientState] | None = None,
    error: ErrorInfo | None = None,
    counted: bool = True,
    text: str = "",
) -> Outcome:
    """The core's decision after an attempt on ``claim``.

    ``recipients`` defaults to every pending recipient marked sent (for
    ``sent``) or left pending with ``error`` (otherwise).
    """
    if recipients is None:
        rstatus = RecipientStatus.SENT if status is Status.SENT else RecipientStatus.PENDING
        recipients = tuple(
            RecipientState(
                address,
                rstatus,
                None if status is Status.SENT else error,
                at,
            )
            for address in claim.envelope.recipients
        )
    code = 250 if status is Status.SENT else (error.code if error else None)
    return Outcome(
        id=claim.id,
        status=status,
        attempt=Attempt(
            at=at,
            account=claim.account,
            outcome=status,
            host="smtp.contract.example",
            code=code,
            text=text,
            error=error,
            duration=0.25,
            counted=counted,
            recipients=tuple(recipients),
            worker=worker,
        ),
        recipients=tuple(recipients),
        next_attempt_at=next_attempt_at,
        error=error,
        sent_at=at if status in (Status.SENT, Status.PARTIAL) else None,
    )


_BUSY = ErrorInfo(
    key="smtp.mailbox.busy",
    code=451,
    enhanced="4.2.0",
    text="Mailbox busy, try later",
    host="smtp.contract.example",
    params={"port": 587, "tls": True},
)
_UNKNOWN = ErrorInfo(
    key="smtp.recipient.unknown",
    code=550,
    enhanced="5.1.1",
    text="No such user",
    host="smtp.contract.example",
    recipient="nikt@example.com",
)


class OutboxContract(abc.ABC):
    """Subclass as ``Test…`` and implement :meth:`open_outbox` to run the contract.

    Tests are ``async``; each receives a fresh outbox (the ``outbox`` fixture).
    """

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.asyncio]

    # -- what a plugin provides --------------------------------------------------

    @abc.abstractmethod
    async def open_outbox(self, tmp_path: Path, services: Services) -> Outbox:
        """A fresh, empty outbox (called once per test; ``tmp_path`` is the test's own)."""

    async def open_second_handle(self, tmp_path: Path, services: Services) -> Outbox | None:
        """A second handle on the storage :meth:`open_outbox` opened (what another
        process would open), or ``None`` (the default) to skip the test across handles."""
        return None

    async def close_outbox(self, outbox: Outbox) -> None:
        """Close an outbox this suite opened."""
        await outbox.aclose()

    def make_services(self, tmp_path: Path) -> Services:
        """The services a mailer hands a storage factory (``data_dir`` is ``tmp_path/"data"``)."""
        from ..mailer import AsyncMailer

        mailer = AsyncMailer((), data_dir=tmp_path / "data", outbox=None, entry_points=False)
        return mailer.services

    @pytest_asyncio.fixture
    async def outbox(self, tmp_path: Path) -> AsyncIterator[Outbox]:
        box = await self.open_outbox(tmp_path, self.make_services(tmp_path))
        try:
            yield box
        finally:
            await self.close_outbox(box)

    # -- helpers -----------------------------------------------------------------

    @staticmethod
    async def _insert(outbox: Outbox, *entries: NewEntry) -> list[str]:
        added = await outbox.insert(entries)
        assert [a.created for a in added] == [True] * len(entries)
        return [a.id for a in added]

    @staticmethod
    async def _claim_one(
        outbox: Outbox, worker: str = "w1", *, now: datetime = T0, lease: float = 60
    ) -> Claim:
        claims = await outbox.claim(worker, limit=10, lease=lease, now=now)
        assert len(claims) == 1, [c.id for c in claims]
        return claims[0]

    @staticmethod
    async def _status(outbox: Outbox, entry_id: str) -> Status:
        entry = await outbox.get(entry_id)
        assert entry is not None, entry_id
        return entry.status

    async def _finish(
        self,
        outbox: Outbox,
        entry_id: str,
        status: Status,
        *,
        now: datetime = T0,
        error: ErrorInfo | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Claim ``entry_id`` (the first due at ``now``) and complete it with ``status``."""
        (claim,) = await outbox.claim("w1", limit=1, lease=60, now=now)
        assert claim.id == entry_id
        outcome = make_outcome(
            claim, status, at=now, worker="w1", error=error, next_attempt_at=next_attempt_at
        )
        (change,) = await outbox.complete("w1", [outcome])
        assert change.status is status

    # -- adding ------------------------------------------------------------------

    async def test_insert_stores_the_entry_as_given(self, outbox: Outbox) -> None:
        """``insert`` keeps every field; ``get`` returns it with pending recipients and
        no history; the ``Added`` row reports the new ``queued`` status."""
        entry = make_entry(
            1,
            to=["jan@example.com", "ala@example.com"],
            subject="Zażółć gęślą jaźń",
            priority=2,
            created_at=_at(minutes=-5),
            metadata={"order": "1/2031"},
        )
        (added,) = await outbox.insert([entry])
        assert (added.id, added.created) == (entry.id, True)
        assert added.change is not None
        assert (added.change.id, added.change.status) == (entry.id, Status.QUEUED)
        assert added.change.previous is None
        assert added.change.message_id == entry.message_id
        assert added.change.account == ACCOUNT

        got = await outbox.get(entry.id)
        assert got is not None
        assert (got.id, got.message_id, got.account) == (entry.id, entry.message_id, ACCOUNT)
        assert got.status is Status.QUEUED
        assert (got.subject, got.sender, got.to) == (entry.subject, SENDER, entry.to)
        assert got.priority == 2
        assert got.created_at == _at(minutes=-5)
        assert got.created_at.utcoffset() == timedelta(0)
        assert got.send_at is None and got.sent_at is None
        assert got.metadata == {"order": "1/2031"}
        assert got.size == len(entry.data)
        assert got.attempts == 0 and got.error is None and got.history == ()
        assert [(r.address, r.status) for r in got.recipients] == [
            ("jan@example.com", RecipientStatus.PENDING),
            ("ala@example.com", RecipientStatus.PENDING),
        ]

    async def test_insert_of_nothing_stores_nothing(self, outbox: Outbox) -> None:
        """An empty batch is allowed and changes no count."""
        assert await outbox.insert([]) == []
        assert sum((await outbox.counts()).values()) == 0

    async def test_insert_dedupes_by_message_id(self, outbox: Outbox) -> None:
        """A second entry with a stored Message-ID is not added; its ``Added`` names the first."""
        first = make_entry(1)
        (entry_id,) = await self._insert(outbox, first)
        again = replace(make_entry(2), message_id=first.message_id)
        (added,) = await outbox.insert([again])
        assert (added.id, added.created, added.change) == (entry_id, False, None)
        assert await outbox.get(again.id) is None
        assert (await outbox.counts())["queued"] == 1

    async def test_insert_dedupes_by_dedupe_key(self, outbox: Outbox) -> None:
        """A second entry with a stored ``dedupe_key`` (another Message-ID) is not added."""
        (entry_id,) = await self._insert(outbox, make_entry(1, dedupe_key="legacy:1"))
        (added,) = await outbox.insert([make_entry(2, dedupe_key="legacy:1")])
        assert (added.id, added.created) == (entry_id, False)
        (other,) = await outbox.insert([make_entry(3, dedupe_key="legacy:2")])
        assert other.created
        assert (await outbox.counts())["queued"] == 2

    async def test_insert_dedupes_within_one_batch(self, outbox: Outbox) -> None:
        """A repeat inside one batch points at the first of the batch."""
        first = make_entry(1)
        twin = replace(make_entry(2), message_id=first.message_id)
        keyed = make_entry(3, dedupe_key="k")
        keyed_twin = make_entry(4, dedupe_key="k")
        added = await outbox.insert([first, twin, keyed, keyed_twin])
        assert [(a.id, a.created) for a in added] == [
            (first.id, True),
            (first.id, False),
            (keyed.id, True),
            (keyed.id, False),
        ]
        assert (await outbox.counts())["queued"] == 2

    async def test_inserted_sent_history_is_never_claimed(self, outbox: Outbox) -> None:
        """An entry stored as ``sent`` (imported history) counts as sent, its recipients
        are sent, and nothing ever claims it."""
        sent = make_entry(1, status=Status.SENT, created_at=_at(days=-3), sent_at=_at(days=-3))
        (entry_id,) = await self._insert(outbox, sent)
        got = await outbox.get(entry_id)
        assert got is not None
        assert got.status is Status.SENT and got.sent_at == _at(days=-3)
        assert [r.status for r in got.recipients] == [RecipientStatus.SENT]
        assert await outbox.claim("w1", limit=10, lease=60, now=_at(days=1)) == []
        assert await outbox.due_count(now=_at(days=1)) == 0
        assert await outbox.next_due(now=T0) is None
        counts = await outbox.counts()
        assert counts["sent"] == 1 and counts["queued"] == 0

    # -- big messages --------------------------------------------------------------

    async def test_big_message_comes_back_byte_for_byte(
        self, outbox: Outbox, tmp_path: Path
    ) -> None:
        """A big message (a :class:`~mailplug.body.Body`, as composition spools one) is
        stored as the outbox takes it (:func:`~mailplug.outbox.entries_for`) and claimed
        back whole after its spool file is gone, with its size in the listing."""
        entry = make_entry(1)
        spool = Spool(tmp_path)
        pattern = bytes(range(256)).replace(b"\r", b"").replace(b"\n", b"")
        spool.write(as_bytes(entry.data))
        for _ in range(3 * STREAM_THRESHOLD // len(pattern) + 1):
            spool.write(pattern + b"\r\n")
        body = spool.body()
        assert isinstance(body, Body)
        expected = body.read()
        big = replace(entry, data=body)
        await self._insert(outbox, *entries_for(outbox, [big]))
        body.discard()
        claim = await self._claim_one(outbox)
        assert size_of(claim.data) == len(expected)
        assert as_bytes(claim.data) == expected
        got = await outbox.get(entry.id)
        assert got is not None and got.size == len(expected)

    async def test_big_and_small_messages_in_one_batch(
        self, outbox: Outbox, tmp_path: Path
    ) -> None:
        """A batch mixing big and small messages stores each as it came."""
        spool = Spool(tmp_path)
        spool.write(b"Subject: big\r\n\r\n" + b"x" * 76 * 2 + b"\r\n" * STREAM_THRESHOLD)
        body = spool.body()
        small, big = make_entry(1), replace(make_entry(2), data=body)
        expected = {small.id: as_bytes(small.data), big.id: as_bytes(body)}
        await self._insert(outbox, *entries_for(outbox, [small, big]))
        claims = await outbox.claim("w1", limit=10, lease=60, now=T0)
        assert {c.id: as_bytes(c.data) for c in claims} == expected

    # -- claiming ----------------------------------------------------------------

    async def test_claim_hands_out_a_due_entry_under_a_lease(self, outbox: Outbox) -> None:
        """A claim carries the stored bytes, the envelope, the recipients and the lease;
        the entry becomes ``sending`` held by the worker."""
        entry = make_entry(1, to=["jan@example.com", "żaneta@example.com"], priority=2)
        entry = replace(entry, envelope=replace(entry.envelope, smtputf8=True))
        await self._insert(outbox, entry)
        claim = await self._claim_one(outbox, "w1", now=T0, lease=30)
        assert (claim.id, claim.message_id, claim.account) == (
            entry.id,
            entry.message_id,
            ACCOUNT,
        )
        assert claim.data == entry.data
        assert claim.envelope.sender == SENDER
        assert claim.envelope.recipients == ("jan@example.com", "żaneta@example.com")
        assert claim.envelope.message_id == entry.message_id
        assert claim.envelope.smtputf8 is True
        assert [r.status for r in claim.recipients] == [RecipientStatus.PENDING] * 2
        assert claim.attempts == 0
        assert claim.previous is Status.QUEUED
        assert claim.lease_until == _at(seconds=30)
        assert claim.created_at == T0 and claim.age_from == T0
        assert claim.priority == 2
        got = await outbox.get(entry.id)
        assert got is not None and got.status is Status.SENDING
        assert got.lease_owner == "w1"

    async def test_two_workers_never_get_the_same_entry(self, outbox: Outbox) -> None:
        """Claimed entries are not claimed again while the lease holds; ``limit`` is kept."""
        ids = await self._insert(outbox, *(make_entry(i) for i in range(5)))
        first = await outbox.claim("w1", limit=3, lease=60, now=T0)
        assert len(first) == 3
        second = await outbox.claim("w2", limit=3, lease=60, now=_at(seconds=10))
        assert len(second) == 2
        assert {c.id for c in first}.isdisjoint(c.id for c in second)
        assert {c.id for c in first} | {c.id for c in second} == set(ids)
        assert await outbox.claim("w3", limit=3, lease=60, now=_at(seconds=59)) == []

    async def test_concurrent_claims_from_two_tasks_never_overlap(self, outbox: Outbox) -> None:
        """Claims running at once (two tasks) split the due entries between them."""
        ids = await self._insert(outbox, *(make_entry(i) for i in range(40)))
        taken: dict[str, list[str]] = {"w1": [], "w2": []}

        async def worker(name: str) -> None:
            for _ in range(40):  # bounded: at most one round per entry
                claims = await outbox.claim(name, limit=3, lease=60, now=T0)
                if not claims:
                    return
                taken[name] += [c.id for c in claims]
                await asyncio.sleep(0)

        await asyncio.gather(worker("w1"), worker("w2"))
        both = taken["w1"] + taken["w2"]
        assert sorted(both) == sorted(ids)  # every entry once, none twice
        assert len(set(both)) == len(both)

    async def test_second_handle_never_claims_what_the_first_holds(
        self, tmp_path: Path, outbox: Outbox
    ) -> None:
        """Two handles on one storage (two processes) claiming at once never share an entry."""
        other = await self.open_second_handle(tmp_path, self.make_services(tmp_path))
        if other is None:
            pytest.skip("open_second_handle() is not implemented for this storage")
        try:
            ids = await self._insert(outbox, *(make_entry(i) for i in range(30)))
            taken: list[list[str]] = [[], []]

            async def worker(box: Outbox, name: str, out: list[str]) -> None:
                for _ in range(30):
                    claims = await box.claim(name, limit=2, lease=60, now=T0)
                    if not claims:
                        return
                    out += [c.id for c in claims]

            await asyncio.gather(
                worker(outbox, "w1", taken[0]),
                worker(other, "w2", taken[1]),
            )
            assert sorted(taken[0] + taken[1]) == sorted(ids)
            assert (await other.get(ids[0])) is not None
        finally:
            await self.close_outbox(other)

    async def test_claim_takes_higher_priority_first_then_the_earliest_due(
        self, outbox: Outbox
    ) -> None:
        """Priority 1 before 3 before 5; within a priority, the earliest due first."""
        low = make_entry(1, priority=5, created_at=_at(minutes=-30))
        late = make_entry(2, priority=3, created_at=_at(minutes=-1))
        early = make_entry(3, priority=3, created_at=_at(minutes=-20))
        scheduled = make_entry(4, priority=3, created_at=_at(hours=-2), send_at=_at(minutes=-10))
        high = make_entry(5, priority=1, created_at=_at(minutes=-2))
        await self._insert(outbox, low, late, early, scheduled, high)
        order = []
        for _ in range(6):
            claims = await outbox.claim("w1", limit=1, lease=60, now=T0)
            if not claims:
                break
            order.append(claims[0].id)
        assert order == [high.id, early.id, scheduled.id, late.id, low.id]

    async def test_claim_limit_and_account_filter(self, outbox: Outbox) -> None:
        """``accounts`` restricts a claim (an empty list claims nothing); ``limit`` caps it."""
        await self._insert(outbox, *(make_entry(i) for i in range(3)))
        shop = await self._insert(outbox, *(make_entry(i, account=OTHER) for i in range(10, 13)))
        assert await outbox.claim("w1", limit=5, lease=60, now=T0, accounts=[]) == []
        claims = await outbox.claim("w1", limit=2, lease=60, now=T0, accounts=[OTHER])
        assert len(claims) == 2 and {c.id for c in claims} <= set(shop)
        assert await outbox.due_count(now=T0, accounts=[OTHER]) == 1
        assert await outbox.due_count(now=T0, accounts=[ACCOUNT]) == 3

    async def test_scheduled_entry_waits_for_its_send_time(self, outbox: Outbox) -> None:
        """An entry with ``send_at`` ahead is not due before it; ``next_due`` names the time."""
        (entry_id,) = await self._insert(outbox, make_entry(1, send_at=_at(hours=2)))
        assert await outbox.claim("w1", limit=5, lease=60, now=_at(hours=1)) == []
        assert await outbox.due_count(now=_at(hours=1)) == 0
        assert await outbox.next_due(now=T0) == _at(hours=2)
        got = await outbox.get(entry_id)
        assert got is not None and got.send_at == _at(hours=2)
        claim = await self._claim_one(outbox, now=_at(hours=2))
        assert claim.id == entry_id and claim.send_at == _at(hours=2)

    async def test_expired_lease_makes_the_entry_claimable_again(self, outbox: Outbox) -> None:
        """A ``sending`` entry whose lease ran out (its worker died) is claimed again,
        with ``previous`` = ``sending``; the dead worker's lease is gone."""
        (entry_id,) = await self._insert(outbox, make_entry(1))
        await self._claim_one(outbox, "w1", now=T0, lease=30)
        assert await outbox.claim("w2", limit=5, lease=30, now=_at(seconds=29)) == []
        again = await self._claim_one(outbox, "w2", now=_at(seconds=31), lease=30)
        assert again.id == entry_id
        assert again.previous is Status.SENDING
        assert again.lease_until == _at(seconds=61)
        assert await outbox.renew("w1", [entry_id], until=_at(seconds=120)) == 0
        got = await outbox.get(entry_id)
        assert got is not None and got.status is Status.SENDING and got.lease_owner == "w2"

    async def test_renew_extends_only_the_workers_own_leases(self, outbox: Outbox) -> None:
        """``renew`` extends the leases the worker holds and counts them; others' are untouched."""
        ids = await self._insert(outbox, make_entry(1), make_entry(2))
        claims = await outbox.claim("w1", limit=1, lease=30, now=T0)
        (other,) = await outbox.claim("w2", limit=1, lease=30, now=T0)
        held = claims[0].id
        assert {held, other.id} == set(ids)
        assert (
            await outbox.renew("w1", [held, other.id, "0000000000000000"], until=_at(seconds=90))
            == 1
        )
        assert await outbox.renew("w1", [], until=_at(seconds=90)) == 0
        # w2's lease ran out at +30 s; w1's now lasts until +90 s.
        (stolen,) = await outbox.claim("w3", limit=5, lease=600, now=_at(seconds=45))
        assert stolen.id == other.id
        assert await outbox.claim("w3", limit=5, lease=30, now=_at(seconds=89)) == []
        (late,) = await outbox.claim("w3", limit=5, lease=30, now=_at(seconds=91))
        assert late.id == held

    # -- completing and releasing ------------------------------------------------

    async def test_complete_applies_the_outcome(self, outbox: Outbox) -> None:
        """A ``sent`` outcome: the change (sending → sent), the status, the sent time,
        the recipients, one counted attempt in the history; the lease is gone."""
        (entry_id,) = await self._insert(outbox, make_entry(1, to=["a@example.com"]))
        claim = await self._claim_one(outbox, "w1", now=T0)
        outcome = make_outcome(claim, Status.SENT, at=_at(seconds=2), worker="w1", text="2.0.0 OK")
        changes = await outbox.complete("w1", [outcome])
        assert [(c.id, c.previous, c.status) for c in changes] == [
            (entry_id, Status.SENDING, Status.SENT)
        ]
        got = await outbox.get(entry_id)
        assert got is not None
        assert got.status is Status.SENT
        assert got.sent_at == _at(seconds=2)
        assert got.attempts == 1
        assert got.lease_owner is None
        assert [(r.address, r.status) for r in got.recipients] == [
            ("a@example.com", RecipientStatus.SENT)
        ]
        (attempt,) = got.history
        assert attempt.outcome is Status.SENT and attempt.worker == "w1"
        assert attempt.at == _at(seconds=2) and attempt.code == 250 and attempt.counted
        assert attempt.host == "smtp.contract.example" and attempt.text == "2.0.0 OK"
        assert await outbox.claim("w2", limit=5, lease=60, now=_at(hours=1)) == []
        assert await outbox.next_due(now=_at(hours=1)) is None

    async def test_deferred_entry_is_due_at_its_next_attempt(self, outbox: Outbox) -> None:
        """A ``deferred`` outcome keeps its error and is claimable again at ``next_attempt_at``
        (``previous`` = ``deferred``, one attempt counted)."""
        (entry_id,) = await self._insert(outbox, make_entry(1))
        await self._finish(
            outbox, entry_id, Status.DEFERRED, error=_BUSY, next_attempt_at=_at(minutes=10)
        )
        got = await outbox.get(entry_id)
        assert got is not None
        assert got.status is Status.DEFERRED
        assert got.next_attempt_at == _at(minutes=10)
        assert got.error == _BUSY
        assert got.history[-1].error == _BUSY
        assert [(r.address, r.status) for r in got.history[-1].recipients] == [
            (got.recipients[0].address, RecipientStatus.PENDING)
        ]
        assert got.recipients[0].error == _BUSY
        assert await outbox.claim("w1", limit=5, lease=60, now=_at(minutes=9)) == []
        assert await outbox.next_due(now=_at(minutes=1)) == _at(minutes=10)
        claim = await self._claim_one(outbox, "w2", now=_at(minutes=10))
        assert (claim.id, claim.previous, claim.attempts) == (entry_id, Status.DEFERRED, 1)

    async def test_recipients_already_sent_are_not_sent_again(self, outbox: Outbox) -> None:
        """After a partial attempt, the next claim's envelope holds only pending recipients;
        ``recipients`` still lists every one with its state."""
        (entry_id,) = await self._insert(
            outbox, make_entry(1, to=["jan@example.com", "ala@example.com"])
        )
        claim = await self._claim_one(outbox, "w1", now=T0)
        states = (
            RecipientState("jan@example.com", RecipientStatus.SENT, None, T0),
            RecipientState("ala@example.com", RecipientStatus.PENDING, _BUSY, T0),
        )
        outcome = make_outcome(
            claim,
            Status.DEFERRED,
            at=T0,
            worker="w1",
            recipients=states,
            error=_BUSY,
            next_attempt_at=_at(minutes=5),
        )
        await outbox.complete("w1", [outcome])
        again = await self._claim_one(outbox, "w1", now=_at(minutes=5))
        assert again.id == entry_id
        assert again.envelope.recipients == ("ala@example.com",)
        assert [(r.address, r.status) for r in again.recipients] == [
            ("jan@example.com", RecipientStatus.SENT),
            ("ala@example.com", RecipientStatus.PENDING),
        ]

    async def test_uncounted_attempt_burns_no_retry(self, outbox: Outbox) -> None:
        """An attempt with ``counted=False`` (the account was paused) is in the history
        but not in ``attempts``."""
        (entry_id,) = await self._insert(outbox, make_entry(1))
        claim = await self._claim_one(outbox, "w1", now=T0)
        outcome = make_outcome(
            claim,
            Status.DEFERRED,
            at=T0,
            worker="w1",
            counted=False,
            next_attempt_at=_at(minutes=1),
        )
        await outbox.complete("w1", [outcome])
        got = await outbox.get(entry_id)
        assert got is not None
        assert got.attempts == 0
        assert [a.counted for a in got.history] == [False]
        claim = await self._claim_one(outbox, "w1", now=_at(minutes=1))
        assert claim.attempts == 0

    async def test_complete_after_a_lost_lease_only_appends_history(self, outbox: Outbox) -> None:
        """A late result from a worker whose lease was taken over is kept in the history,
        changes no status and returns no change; the new holder's result counts."""
        (entry_id,) = await self._insert(outbox, make_entry(1))
        stale = await self._claim_one(outbox, "w1", now=T0, lease=30)
        fresh = await self._claim_one(outbox, "w2", now=_at(seconds=31), lease=30)
        late = make_outcome(stale, Status.SENT, at=_at(seconds=32), worker="w1", text="late")
        assert await outbox.complete("w1", [late]) == []
        got = await outbox.get(entry_id)
        assert got is not None
        assert got.status is Status.SENDING and got.lease_owner == "w2"
        assert got.sent_at is None
        assert [a.text for a in got.history if a.worker == "w1" and a.text == "late"] == ["late"]
        (change,) = await outbox.complete(
            "w2", [make_outcome(fresh, Status.SENT, at=_at(seconds=33), worker="w2")]
        )
        assert (change.previous, change.status) == (Status.SENDING, Status.SENT)
        got = await outbox.get(entry_id)
        assert got is not None and got.status is Status.SENT and got.sent_at == _at(seconds=33)
        assert {a.worker for a in got.history if a.outcome is Status.SENT} == {"w1", "w2"}

    async def test_complete_in_a_batch(self, outbox: Outbox) -> None:
        """Several outcomes in one call each get their change."""
        ids = await self._insert(outbox, *(make_entry(i) for i in range(3)))
        claims = {c.id: c for c in await outbox.claim("w1", limit=3, lease=60, now=T0)}
        outcomes = [
            make_outcome(claims[ids[0]], Status.SENT, at=T0, worker="w1"),
            make_outcome(
                claims[ids[1]],
                Status.FAILED,
                at=T0,
                worker="w1",
                error=_UNKNOWN,
                recipients=[
                    RecipientState(
                        claims[ids[1]].envelope.recipients[0], RecipientStatus.FAILED, _UNKNOWN, T0
                    )
                ],
            ),
            make_outcome(
                claims[ids[2]],
                Status.UNCERTAIN,
                at=T0,
                worker="w1",
                next_attempt_at=_at(hours=1),
            ),
        ]
        changes = await outbox.complete("w1", outcomes)
        assert {c.id: c.status for c in changes} == {
            ids[0]: Status.SENT,
            ids[1]: Status.FAILED,
            ids[2]: Status.UNCERTAIN,
        }
        assert [await self._status(outbox, i) for i in ids] == [
            Status.SENT,
            Status.FAILED,
            Status.UNCERTAIN,
        ]
        failed = await outbox.get(ids[1])
        assert failed is not None and failed.error == _UNKNOWN
        assert failed.recipients[0].status is RecipientStatus.FAILED

    async def test_release_returns_the_entry_to_its_previous_status(self, outbox: Outbox) -> None:
        """``release`` gives a claimed entry back untouched: its previous status, due at
        once, no attempt recorded; only the holder can release it, once."""
        (entry_id,) = await self._insert(outbox, make_entry(1))
        await self._finish(
            outbox, entry_id, Status.DEFERRED, error=_BUSY, next_attempt_at=_at(minutes=10)
        )
        claim = await self._claim_one(outbox, "w1", now=_at(minutes=10))
        assert await outbox.release("w2", [claim.id], now=_at(minutes=11)) == []
        changes = await outbox.release("w1", [claim.id], now=_at(minutes=11))
        assert [(c.id, c.previous, c.status) for c in changes] == [
            (entry_id, Status.SENDING, Status.DEFERRED)
        ]
        got = await outbox.get(entry_id)
        assert got is not None
        assert got.status is Status.DEFERRED and got.lease_owner is None
        assert got.attempts == 1 and len(got.history) == 1
        assert await outbox.release("w1", [claim.id], now=_at(minutes=11)) == []
        assert await outbox.release("w1", [], now=_at(minutes=11)) == []
        again = await self._claim_one(outbox, "w2", now=_at(minutes=11))
        assert (again.id, again.previous) == (entry_id, Status.DEFERRED)

    async def test_released_queued_entry_is_queued_and_due_now(self, outbox: Outbox) -> None:
        """A released entry that was queued is ``queued`` again and claimable at ``now``."""
        (entry_id,) = await self._insert(outbox, make_entry(1))
        claim = await self._claim_one(outbox, "w1", now=T0)
        (change,) = await outbox.release("w1", [claim.id], now=_at(seconds=5))
        assert (change.previous, change.status) == (Status.SENDING, Status.QUEUED)
        assert await self._status(outbox, entry_id) is Status.QUEUED
        assert await outbox.due_count(now=_at(seconds=5)) == 1
        again = await self._claim_one(outbox, "w2", now=_at(seconds=5))
        assert again.previous is Status.QUEUED and again.attempts == 0

    # -- next_due and due_count ----------------------------------------------------

    async def test_next_due_names_the_earliest_claimable_time(self, outbox: Outbox) -> None:
        """``None`` when nothing waits; the due time of due mail (not later than ``now``);
        a scheduled send; a lease expiry."""
        assert await outbox.next_due(now=T0) is None
        await self._insert(outbox, make_entry(1, send_at=_at(hours=3)))
        assert await outbox.next_due(now=T0) == _at(hours=3)
        (due_id,) = await self._insert(outbox, make_entry(2, created_at=_at(minutes=-1)))
        due = await outbox.next_due(now=T0)
        assert due is not None and due <= T0
        claim = await self._claim_one(outbox, "w1", now=T0, lease=60)
        assert claim.id == due_id
        assert await outbox.next_due(now=T0) == _at(seconds=60)  # the lease, before +3 h
        assert await outbox.next_due(now=T0, accounts=[OTHER]) is None

    async def test_claimable_at_the_time_next_due_names(self, outbox: Outbox) -> None:
        """At the time ``next_due`` returns, ``claim`` takes the entry: a scheduled send,
        a retry time and the end of a hold alike."""
        (scheduled,) = await self._insert(outbox, make_entry(1, send_at=_at(minutes=5)))
        when = await outbox.next_due(now=T0)
        assert when == _at(minutes=5)
        await self._finish(
            outbox, scheduled, Status.DEFERRED, now=when, next_attempt_at=_at(minutes=20)
        )
        when = await outbox.next_due(now=_at(minutes=5))
        assert when == _at(minutes=20)
        await outbox.pause_account(AccountPause(ACCOUNT, since=T0, until=_at(minutes=30)))
        when = await outbox.next_due(now=_at(minutes=20))
        assert when == _at(minutes=30)
        claim = await self._claim_one(outbox, "w1", now=when)
        assert (claim.id, claim.previous) == (scheduled, Status.DEFERRED)

    async def test_expired_lease_is_claimable_at_the_time_next_due_names(
        self, outbox: Outbox
    ) -> None:
        """``next_due`` names a lease expiry; at that time the entry can be claimed again."""
        (entry_id,) = await self._insert(outbox, make_entry(1))
        await self._claim_one(outbox, "w1", now=T0, lease=30)
        when = await outbox.next_due(now=T0)
        assert when == _at(seconds=30)
        assert await outbox.due_count(now=when) == 1
        claim = await self._claim_one(outbox, "w2", now=when)
        assert (claim.id, claim.previous) == (entry_id, Status.SENDING)

    async def test_due_count_is_what_a_claim_would_take(self, outbox: Outbox) -> None:
        """``due_count`` counts exactly the claimable entries: due ones and expired leases,
        not scheduled, leased or paused ones."""
        await self._insert(
            outbox,
            make_entry(1),
            make_entry(2),
            make_entry(3, send_at=_at(hours=1)),
            make_entry(4, account=OTHER),
        )
        await outbox.pause_account(AccountPause(OTHER, since=T0))
        assert await outbox.due_count(now=T0) == 2
        await outbox.claim("w1", limit=1, lease=30, now=T0)
        assert await outbox.due_count(now=T0) == 1
        now = _at(seconds=45)  # the lease has run out
        assert await outbox.due_count(now=now) == 2
        assert len(await outbox.claim("w2", limit=10, lease=30, now=now)) == 2
        assert await outbox.due_count(now=now) == 0

    # -- accounts ------------------------------------------------------------------

    async def test_paused_account_is_skipped_until_resumed(self, outbox: Outbox) -> None:
        """A pause keeps an account's mail queued and out of claims (and of ``next_due``)
        until ``resume_account``; the pause is listed with what it was given."""
        (held,) = await self._insert(outbox, make_entry(1))
        (free,) = await self._insert(outbox, make_entry(2, account=OTHER))
        pause = AccountPause(ACCOUNT, since=_at(minutes=-1), fingerprint="f1", error=_UNKNOWN)
        await outbox.pause_account(pause)
        assert await outbox.paused_accounts() == {ACCOUNT: pause}
        claim = await self._claim_one(outbox, "w1", now=_at(days=30))
        assert claim.id == free
        assert await outbox.claim("w1", limit=5, lease=60, now=_at(days=30)) == []
        assert await self._status(outbox, held) is Status.QUEUED
        assert await outbox.next_due(now=T0, accounts=[ACCOUNT]) is None
        assert await outbox.resume_account(ACCOUNT) is True
        assert await outbox.resume_account(ACCOUNT) is False
        assert await outbox.paused_accounts() == {}
        claim = await self._claim_one(outbox, "w1", now=T0)
        assert claim.id == held

    async def test_hold_until_a_time(self, outbox: Outbox) -> None:
        """A hold (``until``) skips the account until then; ``next_due`` names its end; an
        expired hold is still listed by ``paused_accounts``."""
        (entry_id,) = await self._insert(outbox, make_entry(1))
        hold = AccountPause(ACCOUNT, since=T0, until=_at(hours=1), error=_BUSY)
        await outbox.pause_account(hold)
        assert hold.active(T0) and not hold.active(_at(hours=1))
        assert await outbox.claim("w1", limit=5, lease=60, now=_at(minutes=59)) == []
        assert await outbox.due_count(now=_at(minutes=59)) == 0
        assert await outbox.next_due(now=T0) == _at(hours=1)
        claim = await self._claim_one(outbox, "w1", now=_at(hours=1))
        assert claim.id == entry_id
        assert await outbox.paused_accounts() == {ACCOUNT: hold}

    async def test_pausing_again_replaces_a_hold(self, outbox: Outbox) -> None:
        """Pausing an account that is held stores the newer pause (one per account)."""
        await outbox.pause_account(AccountPause(ACCOUNT, since=T0, until=_at(hours=1)))
        longer = AccountPause(ACCOUNT, since=_at(minutes=5), until=_at(hours=2))
        await outbox.pause_account(longer)
        assert await outbox.paused_accounts() == {ACCOUNT: longer}

    # -- send slots ------------------------------------------------------------------

    async def test_send_slots_space_messages_after_a_burst(self, outbox: Outbox) -> None:
        """``take_send_slot``: ``burst`` slots at once, then one every ``60 / per_minute``
        seconds; another account has its own slots."""
        limits = SendLimits(per_minute=60, burst=2)
        end = _at(hours=24)
        slots = [
            await outbox.take_send_slot(ACCOUNT, limits, now=T0, day_end=end) for _ in range(4)
        ]
        assert all(s.granted for s in slots)
        assert [s.at for s in slots] == [T0, T0, _at(seconds=1), _at(seconds=2)]
        other = await outbox.take_send_slot("inne@example.com", limits, now=T0, day_end=end)
        assert other == SendSlot(True, T0)
        # Time passing refills the bucket: after a quiet minute, a burst again.
        later = _at(minutes=1)
        assert (await outbox.take_send_slot(ACCOUNT, limits, now=later, day_end=end)).at == later

    async def test_send_slots_stop_at_the_daily_limit_until_the_day_ends(
        self, outbox: Outbox
    ) -> None:
        """``per_day`` slots until the day's end, then refusals naming that end (a refusal
        uses nothing); a new day counts from zero."""
        limits = SendLimits(per_day=2)
        end = _at(hours=10)
        got = [
            await outbox.take_send_slot(ACCOUNT, limits, now=_at(minutes=i), day_end=end)
            for i in range(4)
        ]
        assert [s.granted for s in got] == [True, True, False, False]
        assert got[2] == SendSlot(False, end)
        next_day = await outbox.take_send_slot(ACCOUNT, limits, now=end, day_end=_at(hours=34))
        assert next_day == SendSlot(True, end)

    async def test_send_slots_are_counted_across_handles_when_shared(
        self, tmp_path: Path, outbox: Outbox
    ) -> None:
        """With :attr:`~mailplug.outbox.Outbox.shares_send_limits`, a second handle (another
        process) draws from the same daily count and the same spacing."""
        if not outbox.shares_send_limits:
            pytest.skip("this storage counts send slots per process")
        other = await self.open_second_handle(tmp_path, self.make_services(tmp_path))
        if other is None:
            pytest.skip("open_second_handle() is not implemented for this storage")
        try:
            limits = SendLimits(per_minute=30, burst=1, per_day=3)
            end = _at(hours=10)
            boxes = [outbox, other, outbox, other]
            got = await asyncio.gather(
                *(box.take_send_slot(ACCOUNT, limits, now=T0, day_end=end) for box in boxes)
            )
            assert sorted(s.at for s in got if s.granted) == [
                T0,
                _at(seconds=2),
                _at(seconds=4),
            ]
            assert [s for s in got if not s.granted] == [SendSlot(False, end)]
        finally:
            await self.close_outbox(other)

    # -- queries -------------------------------------------------------------------

    async def test_counts_cover_every_status_and_each_account(self, outbox: Outbox) -> None:
        """``counts`` has a key for every status (zeros included), per account on request;
        ``waiting`` adds up the waiting statuses."""
        await self._insert(
            outbox,
            make_entry(1),
            make_entry(2),
            make_entry(3, account=OTHER),
            make_entry(4, status=Status.SENT, sent_at=T0),
        )
        await outbox.claim("w1", limit=1, lease=60, now=T0, accounts=[ACCOUNT])
        counts = await outbox.counts()
        assert set(counts) == {str(s) for s in Status}
        assert (counts["queued"], counts["sending"], counts["sent"]) == (2, 1, 1)
        assert counts["failed"] == counts["cancelled"] == 0
        shop = await outbox.counts(account=OTHER)
        assert shop["queued"] == 1 and sum(shop.values()) == 1
        assert sum(counts[str(s)] for s in WAITING_STATUSES) == 3
        assert await outbox.waiting() == 3
        assert await outbox.waiting(account=OTHER) == 1

    async def test_query_by_status_and_account(self, outbox: Outbox) -> None:
        """``statuses`` and ``account`` select; list queries carry recipients, not history."""
        a, b, c = await self._insert(
            outbox, make_entry(1), make_entry(2), make_entry(3, account=OTHER)
        )
        claim = (await outbox.claim("w1", limit=1, lease=60, now=T0, accounts=[ACCOUNT]))[0]
        await outbox.complete("w1", [make_outcome(claim, Status.SENT, at=T0, worker="w1")])
        sent = claim.id
        found = await outbox.query(Filter(statuses=(Status.SENT,)))
        assert [e.id for e in found] == [sent]
        assert found[0].history == ()
        assert [r.status for r in found[0].recipients] == [RecipientStatus.SENT]
        queued = await outbox.query(Filter(statuses=(Status.QUEUED, Status.DEFERRED)))
        assert {e.id for e in queued} == {a, b, c} - {sent}
        assert [e.id for e in await outbox.query(Filter(account=OTHER))] == [c]
        assert await outbox.query(Filter(statuses=(Status.FAILED,))) == []

    async def test_query_by_recipient_and_text_ignores_case(self, outbox: Outbox) -> None:
        """``recipient`` matches part of an envelope recipient, ``text`` part of the subject
        or From, both case-insensitively (Unicode too)."""
        jan, zolw, bcc = await self._insert(
            outbox,
            make_entry(1, to=["Jan.Kowalski@Example.PL"], subject="Faktura VAT 1/2031"),
            make_entry(2, to=["ala@example.com"], subject="ZAŻÓŁĆ gęślą jaźń"),
            make_entry(3, to=["ola@example.com", "ukryta@example.com"], sender="sklep@x.example"),
        )
        assert [e.id for e in await outbox.query(Filter(recipient="jan.kowalski@"))] == [jan]
        assert [e.id for e in await outbox.query(Filter(recipient="UKRYTA"))] == [bcc]
        assert [e.id for e in await outbox.query(Filter(text="faktura vat"))] == [jan]
        assert [e.id for e in await outbox.query(Filter(text="zażółć"))] == [zolw]
        assert [e.id for e in await outbox.query(Filter(text="SKLEP@"))] == [bcc]
        assert await outbox.query(Filter(text="nothing like this")) == []

    async def test_query_since_and_until_use_the_sent_or_queued_time(self, outbox: Outbox) -> None:
        """An entry is dated when it was sent, else when it was queued; ``since`` is
        inclusive, ``until`` exclusive."""
        old_sent_recently = make_entry(
            1, status=Status.SENT, created_at=_at(days=-10), sent_at=_at(days=-1)
        )
        old_queued = make_entry(2, created_at=_at(days=-5))
        new_queued = make_entry(3, created_at=T0)
        a, b, c = await self._insert(outbox, old_sent_recently, old_queued, new_queued)

        async def ids(*, since: datetime | None = None, until: datetime | None = None) -> set[str]:
            return {e.id for e in await outbox.query(Filter(since=since, until=until))}

        assert await ids(since=_at(days=-2)) == {a, c}
        assert await ids(until=_at(days=-2)) == {b}
        assert await ids(since=_at(days=-5), until=_at(days=-1)) == {b}
        assert await ids(since=T0) == {c}
        assert await ids(until=T0) == {a, b}

    async def test_query_order_limit_and_offset(self, outbox: Outbox) -> None:
        """Newest queued first (or oldest with ``newest_first=False``); ``limit`` and
        ``offset`` page through."""
        ids = await self._insert(
            outbox, *(make_entry(i, created_at=_at(minutes=i)) for i in range(5))
        )
        newest = await outbox.query(Filter())
        assert [e.id for e in newest] == ids[::-1]
        oldest = await outbox.query(Filter(newest_first=False, limit=2))
        assert [e.id for e in oldest] == ids[:2]
        page = await outbox.query(Filter(newest_first=False, limit=2, offset=2))
        assert [e.id for e in page] == ids[2:4]
        assert await outbox.query(Filter(offset=5)) == []
        assert len(await outbox.query(Filter(limit=3))) == 3

    async def test_query_orders_by_queue_time_not_by_insertion(self, outbox: Outbox) -> None:
        """Order is by queue time even when older mail is stored later (an import)."""
        recent = make_entry(1, created_at=T0)
        imported = make_entry(
            2, status=Status.SENT, created_at=_at(days=-30), sent_at=_at(days=-30)
        )
        await self._insert(outbox, recent)
        await self._insert(outbox, imported)
        assert [e.id for e in await outbox.query(Filter())] == [recent.id, imported.id]
        assert [e.id for e in await outbox.query(Filter(newest_first=False))] == [
            imported.id,
            recent.id,
        ]

    async def test_get_by_id_prefix_or_message_id(self, outbox: Outbox) -> None:
        """``get`` finds an entry by its id, a unique id prefix of 4 or more characters,
        or its Message-ID with or without angle brackets; else ``None``."""
        entry = make_entry(1, entry_id="5eed0a1b2c3d4e5f")
        await self._insert(outbox, entry, make_entry(2, entry_id="77aa0a1b2c3d4e5f"))
        for ref in (entry.id, entry.id[:6], entry.id[:4], entry.message_id):
            got = await outbox.get(ref)
            assert got is not None and got.id == entry.id, ref
        got = await outbox.get(entry.message_id.strip("<>"))
        assert got is not None and got.id == entry.id
        assert await outbox.get("0000000000000000") is None
        assert await outbox.get("<nobody@contract.example>") is None
        assert await outbox.get("5ee") is None  # too short to be a prefix

    async def test_ambiguous_prefix_finds_no_entry(self, outbox: Outbox) -> None:
        """A prefix shared by two ids never picks one of them (``None`` or a MailplugError)."""
        await self._insert(
            outbox,
            make_entry(1, entry_id="abcd000000000001"),
            make_entry(2, entry_id="abcd000000000002"),
        )
        try:
            found = await outbox.get("abcd0000")
        except MailplugError as exc:
            assert exc.key
        else:
            assert found is None
        got = await outbox.get("abcd000000000002")
        assert got is not None and got.id == "abcd000000000002"

    # -- people's actions ------------------------------------------------------------

    async def test_retry_makes_a_failed_entry_due_with_its_recipients_pending(
        self, outbox: Outbox
    ) -> None:
        """A failed entry retried is ``queued``, due now, its failed recipients pending
        again, and its age counts from the retry."""
        (entry_id,) = await self._insert(outbox, make_entry(1, to=["nikt@example.com"]))
        claim = await self._claim_one(outbox, "w1", now=T0)
        failed = RecipientState("nikt@example.com", RecipientStatus.FAILED, _UNKNOWN, T0)
        await outbox.complete(
            "w1",
            [
                make_outcome(
                    claim, Status.FAILED, at=T0, worker="w1", error=_UNKNOWN, recipients=[failed]
                )
            ],
        )
        assert await outbox.claim("w1", limit=5, lease=60, now=_at(days=1)) == []
        changes = await outbox.retry([entry_id], now=_at(days=1))
        assert [(c.id, c.previous, c.status) for c in changes] == [
            (entry_id, Status.FAILED, Status.QUEUED)
        ]
        got = await outbox.get(entry_id)
        assert got is not None and got.status is Status.QUEUED
        assert [r.status for r in got.recipients] == [RecipientStatus.PENDING]
        again = await self._claim_one(outbox, "w1", now=_at(days=1))
        assert again.envelope.recipients == ("nikt@example.com",)
        assert again.age_from == _at(days=1)

    async def test_retry_of_a_partial_entry_resends_only_the_failed(self, outbox: Outbox) -> None:
        """Retrying ``partial`` mail makes only its failed recipients pending."""
        (entry_id,) = await self._insert(
            outbox, make_entry(1, to=["jan@example.com", "nikt@example.com"])
        )
        claim = await self._claim_one(outbox, "w1", now=T0)
        states = [
            RecipientState("jan@example.com", RecipientStatus.SENT, None, T0),
            RecipientState("nikt@example.com", RecipientStatus.FAILED, _UNKNOWN, T0),
        ]
        await outbox.complete(
            "w1",
            [
                make_outcome(
                    claim, Status.PARTIAL, at=T0, worker="w1", error=_UNKNOWN, recipients=states
                )
            ],
        )
        assert await self._status(outbox, entry_id) is Status.PARTIAL
        (change,) = await outbox.retry([entry_id], now=_at(hours=1))
        assert (change.previous, change.status) == (Status.PARTIAL, Status.QUEUED)
        again = await self._claim_one(outbox, "w1", now=_at(hours=1))
        assert again.envelope.recipients == ("nikt@example.com",)

    async def test_retry_makes_waiting_mail_due_now(self, outbox: Outbox) -> None:
        """Deferred, uncertain and scheduled entries retried are claimable at once."""
        deferred, uncertain, scheduled = await self._insert(
            outbox,
            make_entry(1, created_at=_at(seconds=-3)),
            make_entry(2, created_at=_at(seconds=-2)),
            make_entry(3, send_at=_at(days=2)),
        )
        await self._finish(
            outbox, deferred, Status.DEFERRED, error=_BUSY, next_attempt_at=_at(hours=5)
        )
        await self._finish(outbox, uncertain, Status.UNCERTAIN, next_attempt_at=_at(hours=6))
        assert await outbox.claim("w1", limit=5, lease=60, now=_at(minutes=1)) == []
        changes = await outbox.retry([deferred, uncertain, scheduled], now=_at(minutes=1))
        assert {c.id: c.status for c in changes} == {
            deferred: Status.QUEUED,
            uncertain: Status.QUEUED,
            scheduled: Status.QUEUED,
        }
        assert {c.id: c.previous for c in changes if c.id != scheduled} == {
            deferred: Status.DEFERRED,
            uncertain: Status.UNCERTAIN,
        }
        claims = await outbox.claim("w1", limit=5, lease=60, now=_at(minutes=1))
        assert {c.id for c in claims} == {deferred, uncertain, scheduled}

    async def test_retry_leaves_sent_cancelled_and_sending_alone(self, outbox: Outbox) -> None:
        """Sent, cancelled and entries being sent are not retried (no change returned)."""
        sent, cancelled, sending = await self._insert(
            outbox,
            make_entry(1, status=Status.SENT, sent_at=T0),
            make_entry(2),
            make_entry(3),
        )
        await outbox.cancel([cancelled], now=T0)
        claim = await self._claim_one(outbox, "w1", now=T0)
        assert claim.id == sending
        assert await outbox.retry([sent, cancelled, sending], now=_at(minutes=1)) == []
        assert [await self._status(outbox, i) for i in (sent, cancelled, sending)] == [
            Status.SENT,
            Status.CANCELLED,
            Status.SENDING,
        ]
        assert await outbox.retry(["0000000000000000"], now=T0) == []

    async def test_cancel_only_waiting_mail(self, outbox: Outbox) -> None:
        """Queued, deferred and uncertain mail is cancelled (never claimed again, no
        recipient left pending); mail being sent or final is left alone."""
        queued, deferred, sending, failed = await self._insert(
            outbox,
            make_entry(1, send_at=_at(hours=1)),
            make_entry(2, created_at=_at(seconds=-2)),
            make_entry(3, created_at=_at(seconds=-1)),
            make_entry(4, created_at=_at(seconds=0)),
        )
        await self._finish(
            outbox, deferred, Status.DEFERRED, error=_BUSY, next_attempt_at=_at(hours=1)
        )
        (claim,) = await outbox.claim("w1", limit=1, lease=600, now=T0)
        assert claim.id == sending
        claim_failed = await self._claim_one(outbox, "w1", now=T0)
        assert claim_failed.id == failed
        await outbox.complete(
            "w1", [make_outcome(claim_failed, Status.FAILED, at=T0, worker="w1", error=_UNKNOWN)]
        )
        changes = await outbox.cancel([queued, deferred, sending, failed], now=_at(minutes=1))
        assert {c.id: (c.previous, c.status) for c in changes} == {
            queued: (Status.QUEUED, Status.CANCELLED),
            deferred: (Status.DEFERRED, Status.CANCELLED),
        }
        assert [await self._status(outbox, i) for i in (queued, deferred, sending, failed)] == [
            Status.CANCELLED,
            Status.CANCELLED,
            Status.SENDING,
            Status.FAILED,
        ]
        got = await outbox.get(queued)
        assert got is not None
        assert RecipientStatus.PENDING not in {r.status for r in got.recipients}
        # A day later only the entry whose lease ran out is claimable.
        claims = await outbox.claim("w2", limit=5, lease=60, now=_at(days=1))
        assert [c.id for c in claims] == [sending]
        assert await outbox.cancel([queued], now=_at(minutes=2)) == []

    async def test_purge_deletes_old_entries_in_the_given_statuses(self, outbox: Outbox) -> None:
        """``purge`` deletes entries in ``statuses`` dated (sent, else queued) before
        ``before``, returns how many, and leaves everything else."""
        old_sent, new_sent, old_queued, sent_late = await self._insert(
            outbox,
            make_entry(1, status=Status.SENT, created_at=_at(days=-40), sent_at=_at(days=-40)),
            make_entry(2, status=Status.SENT, created_at=_at(days=-2), sent_at=_at(days=-2)),
            make_entry(3, created_at=_at(days=-40)),
            make_entry(4, status=Status.SENT, created_at=_at(days=-60), sent_at=_at(days=-10)),
        )
        assert await outbox.purge(before=_at(days=-30), statuses=[]) == 0
        assert await outbox.purge(before=_at(days=-30), statuses=[Status.SENT]) == 1
        assert await outbox.get(old_sent) is None
        assert await outbox.query(Filter(statuses=(Status.SENT,))) != []
        for kept in (new_sent, old_queued, sent_late):
            assert await outbox.get(kept) is not None
        assert await outbox.purge(before=T0, statuses=[Status.SENT, Status.CANCELLED]) == 2
        assert (await outbox.counts())["queued"] == 1
        # A purged Message-ID may be stored again.
        again = replace(make_entry(9), message_id=make_entry(1).message_id)
        assert (await outbox.insert([again]))[0].created

    # -- events --------------------------------------------------------------------

    async def test_storage_never_emits_events_itself(self, tmp_path: Path) -> None:
        """Status changes come back as ``Change`` rows; the core reports them, the
        storage never calls ``services.emit``."""
        emitted: list[object] = []
        services = replace(self.make_services(tmp_path), emit=emitted.append)
        box = await self.open_outbox(tmp_path, services)
        try:
            ids = await self._insert(box, make_entry(1), make_entry(2), make_entry(3))
            claims = await box.claim("w1", limit=3, lease=60, now=T0)
            await box.complete("w1", [make_outcome(claims[0], Status.SENT, at=T0, worker="w1")])
            await box.release("w1", [c.id for c in claims[1:]], now=T0)
            await box.retry(ids, now=T0)
            await box.cancel(ids, now=T0)
            await box.pause_account(AccountPause(ACCOUNT, since=T0))
            await box.resume_account(ACCOUNT)
            await box.purge(before=_at(days=1), statuses=list(Status))
            assert emitted == []
            assert await box.get(ids[0]) is None
        finally:
            await self.close_outbox(box)

    # -- delivery reports (optional: record_deliveries) ----------------------------

    async def _deliver(
        self, outbox: Outbox, ref: str, *deliveries: Delivery, now: datetime
    ) -> list[Change]:
        try:
            return await outbox.record_deliveries(ref, list(deliveries), now=now)
        except MailplugError as exc:
            if exc.key == "outbox.reports_unsupported":
                pytest.skip("this outbox does not record delivery reports (optional)")
            raise

    async def test_bounce_after_acceptance_moves_recipient_and_entry(self, outbox: Outbox) -> None:
        """A bounce of one of two accepted recipients: that recipient ``bounced`` with its
        error and time, the entry ``partially-bounced``, one change naming the recipient;
        the same report again changes nothing; the other one bouncing makes it ``bounced``."""
        to = ["a@example.com", "b@example.com"]
        (entry_id,) = await self._insert(outbox, make_entry(1, to=to))
        await self._finish(outbox, entry_id, Status.SENT)
        entry = await outbox.get(entry_id)
        assert entry is not None
        bounce = Delivery("A@example.com", RecipientStatus.BOUNCED, _at(hours=1), _UNKNOWN, "mx")
        (change,) = await self._deliver(outbox, entry.message_id, bounce, now=_at(hours=1))
        assert (change.id, change.previous, change.status) == (
            entry_id,
            Status.SENT,
            Status.PARTIALLY_BOUNCED,
        )
        assert change.recipients == ("a@example.com",) and change.error == _UNKNOWN
        assert change.details["recipient_status"] == "bounced"
        got = await outbox.get(entry_id)
        assert got is not None and got.status is Status.PARTIALLY_BOUNCED
        states = {r.address: r for r in got.recipients}
        assert states["a@example.com"].status is RecipientStatus.BOUNCED
        assert states["a@example.com"].error == _UNKNOWN
        assert states["a@example.com"].updated_at == _at(hours=1)
        assert states["b@example.com"].status is RecipientStatus.SENT
        assert await self._deliver(outbox, entry_id, bounce, now=_at(hours=2)) == []
        other = Delivery("b@example.com", RecipientStatus.BOUNCED, _at(hours=3), _UNKNOWN)
        (change,) = await self._deliver(outbox, entry_id, other, now=_at(hours=3))
        assert change.status is Status.BOUNCED
        assert (await outbox.counts())[str(Status.BOUNCED)] == 1

    async def test_reports_never_undo_a_stronger_state(self, outbox: Outbox) -> None:
        """A delay after a read receipt, or any report about a refused recipient or an
        address the message was not sent to, changes nothing."""
        (entry_id,) = await self._insert(outbox, make_entry(1, to=["a@example.com"]))
        await self._finish(outbox, entry_id, Status.SENT)
        read = Delivery("a@example.com", RecipientStatus.READ, _at(hours=1))
        (change,) = await self._deliver(outbox, entry_id, read, now=_at(hours=1))
        assert change.status is Status.SENT and change.details["recipient_status"] == "read"
        late = Delivery("a@example.com", RecipientStatus.DELAYED, _at(hours=2), _UNKNOWN)
        stranger = Delivery("z@example.com", RecipientStatus.BOUNCED, _at(hours=2), _UNKNOWN)
        assert await self._deliver(outbox, entry_id, late, stranger, now=_at(hours=2)) == []
        got = await outbox.get(entry_id)
        assert got is not None and got.recipients[0].status is RecipientStatus.READ
        assert await self._deliver(outbox, "<never@sent.example>", read, now=_at(hours=3)) == []

    # -- copies for the Sent folder (optional: keeps_sent_copies) ----------------------

    def _copies(self, outbox: Outbox) -> None:
        if not outbox.keeps_sent_copies:
            pytest.skip("this outbox keeps no Sent-folder copies (optional)")

    async def test_sent_copy_of_a_big_message_carries_its_whole_body(
        self, outbox: Outbox, tmp_path: Path
    ) -> None:
        """A big message (stored apart from its row) is handed to the Sent-folder copier
        whole, byte for byte, after its spool file is gone."""
        self._copies(outbox)
        entry = make_entry(1)
        spool = Spool(tmp_path)
        spool.write(as_bytes(entry.data))
        spool.write(b"y" * 76 * 2 + b"\r\n" * STREAM_THRESHOLD)
        body = spool.body()
        assert isinstance(body, Body)
        expected = body.read()
        await self._insert(outbox, *entries_for(outbox, [replace(entry, data=body)]))
        body.discard()
        await self._finish(outbox, entry.id, Status.SENT, now=_at(minutes=1))
        await outbox.want_sent_copies([entry.id], now=_at(minutes=2))
        (claim,) = await outbox.claim_sent_copies("w1", limit=5, lease=60, now=_at(minutes=3))
        assert size_of(claim.data) == len(expected)
        assert as_bytes(claim.data) == expected

    async def test_sent_copy_is_claimed_once_and_saved_once(self, outbox: Outbox) -> None:
        """A sent entry asked for (twice) gets one pending copy; one worker claims it with
        the stored bytes and the send time, another gets nothing meanwhile; once saved it
        shows in ``get`` and ``query`` and is never handed out again; the entry stays sent."""
        self._copies(outbox)
        entry_id, other_id = await self._insert(outbox, make_entry(1), make_entry(2))
        await self._finish(outbox, entry_id, Status.SENT, now=_at(minutes=1))
        assert await outbox.next_sent_copy_due(now=_at(minutes=1)) is None
        await outbox.want_sent_copies([entry_id], now=_at(minutes=2))
        await outbox.want_sent_copies([entry_id], now=_at(minutes=3))
        got = await outbox.get(entry_id)
        assert got is not None and got.sent_copy is not None
        assert got.sent_copy.status is CopyStatus.PENDING and got.sent_copy.attempts == 0
        other = await outbox.get(other_id)
        assert other is not None and other.sent_copy is None
        assert await outbox.next_sent_copy_due(now=_at(minutes=2)) == _at(minutes=2)
        assert await outbox.claim_sent_copies("w1", limit=5, lease=60, now=_at(minutes=1)) == []
        (claim,) = await outbox.claim_sent_copies("w1", limit=5, lease=60, now=_at(minutes=4))
        assert (claim.id, claim.attempts, claim.sent_at) == (entry_id, 0, _at(minutes=1))
        data = as_bytes(claim.data)
        assert data.startswith(b"From: ") and got.message_id.encode() in data
        assert claim.message_id == got.message_id and claim.account == ACCOUNT
        assert await outbox.claim_sent_copies("w2", limit=5, lease=60, now=_at(minutes=4)) == []
        assert (
            await outbox.claim_sent_copies(
                "w2", limit=5, lease=60, now=_at(minutes=4), accounts=[OTHER]
            )
            == []
        )
        saved = CopyOutcome(entry_id, CopyStatus.SAVED, _at(minutes=5), folder="Sent")
        await outbox.finish_sent_copies("w1", [saved])
        got = await outbox.get(entry_id)
        assert got is not None and got.sent_copy is not None and got.status is Status.SENT
        assert (got.sent_copy.status, got.sent_copy.folder, got.sent_copy.attempts) == (
            CopyStatus.SAVED,
            "Sent",
            1,
        )
        assert got.sent_copy.saved_at == _at(minutes=5)
        (listed,) = await outbox.query(Filter(statuses=(Status.SENT,)))
        assert listed.sent_copy is not None and listed.sent_copy.status is CopyStatus.SAVED
        assert await outbox.claim_sent_copies("w2", limit=5, lease=60, now=_at(days=9)) == []
        assert await outbox.next_sent_copy_due(now=_at(days=9)) is None

    async def test_failed_copy_waits_for_its_retry_then_is_given_up(self, outbox: Outbox) -> None:
        """A failed try keeps the error and makes the copy due at its retry time; giving up
        leaves it ``failed`` with the error, never claimed again; the entry stays sent."""
        self._copies(outbox)
        (entry_id,) = await self._insert(outbox, make_entry(1))
        await self._finish(outbox, entry_id, Status.SENT)
        await outbox.want_sent_copies([entry_id], now=T0)
        (claim,) = await outbox.claim_sent_copies("w1", limit=5, lease=60, now=T0)
        retry = CopyOutcome(
            entry_id, CopyStatus.PENDING, T0, error=_BUSY, next_attempt_at=_at(hours=1)
        )
        await outbox.finish_sent_copies("w1", [retry])
        got = await outbox.get(entry_id)
        assert got is not None and got.sent_copy is not None
        assert (got.sent_copy.status, got.sent_copy.error, got.sent_copy.attempts) == (
            CopyStatus.PENDING,
            _BUSY,
            1,
        )
        assert got.sent_copy.next_attempt_at == _at(hours=1)
        assert await outbox.next_sent_copy_due(now=T0) == _at(hours=1)
        assert await outbox.claim_sent_copies("w1", limit=5, lease=60, now=_at(minutes=59)) == []
        (claim,) = await outbox.claim_sent_copies("w2", limit=5, lease=60, now=_at(hours=1))
        assert claim.attempts == 1
        await outbox.finish_sent_copies(
            "w2", [CopyOutcome(entry_id, CopyStatus.FAILED, _at(hours=1), error=_UNKNOWN)]
        )
        got = await outbox.get(entry_id)
        assert got is not None and got.sent_copy is not None and got.status is Status.SENT
        assert (got.sent_copy.status, got.sent_copy.error) == (CopyStatus.FAILED, _UNKNOWN)
        assert await outbox.claim_sent_copies("w1", limit=5, lease=60, now=_at(days=9)) == []
        assert await outbox.next_sent_copy_due(now=_at(days=9)) is None

    async def test_copy_of_a_dead_worker_is_claimed_again(self, outbox: Outbox) -> None:
        """A copy whose lease ran out goes to the next worker; the late answer of the first
        changes nothing."""
        self._copies(outbox)
        (entry_id,) = await self._insert(outbox, make_entry(1))
        await self._finish(outbox, entry_id, Status.SENT)
        await outbox.want_sent_copies([entry_id], now=T0)
        await outbox.claim_sent_copies("w1", limit=5, lease=30, now=T0)
        assert await outbox.next_sent_copy_due(now=T0) == _at(seconds=30)
        assert await outbox.claim_sent_copies("w2", limit=5, lease=30, now=_at(seconds=29)) == []
        (again,) = await outbox.claim_sent_copies("w2", limit=5, lease=30, now=_at(seconds=30))
        assert again.id == entry_id and again.attempts == 0
        late = CopyOutcome(entry_id, CopyStatus.SAVED, _at(seconds=31), folder="Sent")
        await outbox.finish_sent_copies("w1", [late])
        got = await outbox.get(entry_id)
        assert got is not None and got.sent_copy is not None
        assert got.sent_copy.status is CopyStatus.PENDING
        await outbox.finish_sent_copies("w2", [replace(late, at=_at(seconds=32))])
        got = await outbox.get(entry_id)
        assert got is not None and got.sent_copy is not None
        assert got.sent_copy.status is CopyStatus.SAVED
