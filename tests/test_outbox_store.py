"""The SQLite outbox on real files: schema, permissions, claims, leases, queries, failures."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import EventLog, mailer, message

from mailplug.plugin import (
    Added,
    Attempt,
    Envelope,
    ErrorInfo,
    Filter,
    NewEntry,
    Outbox,
    Outcome,
    RecipientResult,
    SendResult,
    Status,
    StorageError,
    VersionError,
)
from mailplug.retry import RetryPolicy
from mailplug.testing import memory_account
from mailplug_smtp import replies
from mailplug_sqlite import schema

ACCOUNT = memory_account("biuro", "biuro@firma.pl")


async def test_file_is_private_wal_and_versioned(tmp_path: Path) -> None:
    async with mailer(tmp_path, [ACCOUNT]) as m:
        await m.enqueue(message(1))
        path = tmp_path / "data" / "outbox.sqlite3"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        wal = path.with_name(path.name + "-wal")
        assert wal.exists()
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST


async def test_default_location_follows_mailplug_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILPLUG_DATA_DIR", str(tmp_path / "elsewhere"))
    from mailplug import AsyncMailer

    async with AsyncMailer([ACCOUNT], entry_points=False) as m:
        await m.enqueue(message(1))
        outbox = await m.outbox()
    assert (tmp_path / "elsewhere" / "outbox.sqlite3").exists()
    assert "elsewhere" in repr(outbox)


async def test_outbox_path_overrides_location(tmp_path: Path) -> None:
    target = tmp_path / "custom" / "poczta.db"
    async with mailer(tmp_path, [ACCOUNT], outbox_path=target) as m:
        await m.enqueue(message(1))
    assert target.exists()
    assert not (tmp_path / "data" / "outbox.sqlite3").exists()


async def test_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "outbox.sqlite3"
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {schema.LATEST + 5}")
    async with mailer(tmp_path, [ACCOUNT]) as m:
        with pytest.raises(VersionError) as info:
            await m.outbox()
    assert info.value.key == "version.too_new"
    assert str(schema.LATEST + 5) in info.value.message("en")


async def test_damaged_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "data" / "outbox.sqlite3"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database, just some bytes " * 200)
    async with mailer(tmp_path, [ACCOUNT]) as m:
        with pytest.raises(StorageError) as info:
            await m.outbox()
    assert info.value.key == "storage.corrupt"
    assert str(path) in info.value.message("pl")
    assert "uszkodzony" in info.value.message("pl")


async def insert_raw(outbox: Outbox, **fields: Any) -> Added:
    """Store one already-rendered message (the legacy importer's door)."""
    (added,) = await outbox.insert([NewEntry.raw(**fields)])
    return added


async def test_enqueue_is_idempotent_and_raw_entries_dedupe(tmp_path: Path) -> None:
    events = EventLog()
    async with mailer(tmp_path, [ACCOUNT], events=events) as m:
        msg = message(1)
        first = await m.enqueue(msg)
        assert await m.enqueue(msg) == first
        outbox = await m.outbox()
        envelope = Envelope("stary@firma.pl", ("jan@example.pl",), "<legacy-1@firma.pl>")
        raw = b"From: stary@firma.pl\r\nTo: jan@example.pl\r\nSubject: Stara\r\n\r\nTresc\r\n"
        when = datetime(2020, 5, 1, 10, 0, tzinfo=UTC)
        old: dict[str, Any] = {
            "account": "biuro",
            "envelope": envelope,
            "data": raw,
            "subject": "Stara",
            "sender": "stary@firma.pl",
            "created_at": when,
        }
        sent = await insert_raw(outbox, **old, status=Status.SENT, sent_at=when, dedupe_key="l:1")
        assert sent.created
        # The change row carries what a status event shows.
        assert sent.change is not None
        assert (sent.change.status, sent.change.previous) == (Status.SENT, None)
        assert sent.change.subject == "Stara"
        assert sent.change.recipients == ("jan@example.pl",)
        again = await insert_raw(outbox, **old, status=Status.SENT, sent_at=when, dedupe_key="l:1")
        assert (again.id, again.created, again.change) == (sent.id, False, None)
        # Same Message-ID under another dedupe key: still the same message.
        third = await insert_raw(outbox, **old, status=Status.QUEUED, dedupe_key="l:other")
        assert (third.id, third.created) == (sent.id, False)
        queued = await insert_raw(
            outbox,
            **{
                **old,
                "subject": "Do wysłania",
                "envelope": Envelope("stary@firma.pl", ("ala@example.pl",), "<legacy-2@firma.pl>"),
            },
            status=Status.QUEUED,
            dedupe_key="l:2",
        )
        assert queued.created
        counts = await m.counts()
        assert counts["queued"] == 2 and counts["sent"] == 1
        entry = await m.status(sent.id)
        assert entry.status is Status.SENT
        assert entry.sent_at == when
        assert [r.status for r in entry.recipients] == ["sent"]
        # Events come from the core's queue, not from the outbox.
        assert events.statuses(first) == [Status.QUEUED]
        assert events.statuses(sent.id) == []
        with pytest.raises(ValueError, match="queued or sent"):
            NewEntry.raw(**old, status=Status.FAILED, dedupe_key="l:3")


async def test_enqueue_many_stores_rendered_bytes_and_metadata(tmp_path: Path) -> None:
    async with mailer(tmp_path, [ACCOUNT]) as m:
        msgs = [
            message(i, cc=["kopia@example.com"], bcc=["ukryta@example.com"], metadata={"n": str(i)})
            for i in range(3)
        ]
        ids = await m.enqueue_many(msgs)
        assert len(set(ids)) == 3
        outbox = await m.outbox()
        claims = await outbox.claim("w", limit=10, lease=60, now=datetime.now(UTC))
        by_id = {c.id: c for c in claims}
        for msg, entry_id in zip(msgs, ids, strict=True):
            claim = by_id[entry_id]
            assert claim.message_id.split("@")[0] == msg.message_id.split("@")[0]
            assert f"Message-ID: {claim.message_id}".encode() in claim.data
            assert b"ukryta@example.com" not in claim.data  # Bcc stays in the envelope only
            assert set(claim.envelope.recipients) == {
                msg.to[0].email,
                "kopia@example.com",
                "ukryta@example.com",
            }
        await outbox.release("w", ids, now=datetime.now(UTC))
        entry = await m.status(ids[1])
        assert entry.metadata == {"n": "1"}
        assert entry.subject == "Faktura 1"
        assert entry.to == ("odbiorca1@example.com", "kopia@example.com")
        assert entry.size > 0
        assert entry.status is Status.QUEUED


async def test_claim_order_priority_and_schedule(tmp_path: Path) -> None:
    async with mailer(tmp_path, [ACCOUNT]) as m:
        low = await m.enqueue(message(1, priority=5))
        normal = await m.enqueue(message(2))
        high = await m.enqueue(message(3, priority=1))
        later = await m.enqueue(message(4, send_at=datetime.now(UTC) + timedelta(hours=2)))
        outbox = await m.outbox()
        now = datetime.now(UTC)
        assert await outbox.due_count(now=now) == 3
        claims = await outbox.claim("w", limit=10, lease=60, now=now)
        assert [c.id for c in claims] == [high, normal, low]
        assert await outbox.claim("w", limit=10, lease=60, now=now) == []
        due = await outbox.next_due(now=now)
        assert due is not None and due <= now + timedelta(seconds=61)
        await outbox.release("w", [c.id for c in claims], now=now)
        assert (await m.status(later)).send_at is not None
        claims = await outbox.claim("w", limit=10, lease=60, now=now + timedelta(hours=3))
        assert later in [c.id for c in claims]


async def test_claims_are_exclusive_and_expired_leases_return(tmp_path: Path) -> None:
    async with mailer(tmp_path, [ACCOUNT]) as m:
        entry_id = await m.enqueue(message(1))
        outbox = await m.outbox()
        t0 = datetime.now(UTC)
        (claim,) = await outbox.claim("worker-a", limit=5, lease=30, now=t0)
        assert claim.previous is Status.QUEUED
        assert (
            await outbox.claim("worker-b", limit=5, lease=30, now=t0 + timedelta(seconds=10)) == []
        )
        assert (await m.status(entry_id)).status is Status.SENDING
        # worker-a keeps it alive...
        assert await outbox.renew("worker-a", [entry_id], until=t0 + timedelta(seconds=60)) == 1
        assert (
            await outbox.claim("worker-b", limit=5, lease=30, now=t0 + timedelta(seconds=45)) == []
        )
        # ...then dies: the lease runs out and worker-b takes the entry over.
        (again,) = await outbox.claim("worker-b", limit=5, lease=30, now=t0 + timedelta(seconds=61))
        assert again.previous is Status.SENDING
        assert await outbox.renew("worker-a", [entry_id], until=t0 + timedelta(seconds=99)) == 0
        entry = await m.status(entry_id)
        assert [a.error_key for a in entry.history] == ["outbox.interrupted"]
        # A late result from the dead worker is kept in the history but changes nothing.
        policy = RetryPolicy()
        result = SendResult(
            claim.message_id,
            [RecipientResult(r, True, 250) for r in claim.envelope.recipients],
            host="smtp.test",
        )
        stale = policy.after_result(claim, result, now=t0 + timedelta(seconds=62)).outcome
        assert await outbox.complete("worker-a", [stale]) == []
        assert (await m.status(entry_id)).status is Status.SENDING
        fresh = policy.after_result(again, result, now=t0 + timedelta(seconds=63)).outcome
        (change,) = await outbox.complete("worker-b", [fresh])
        assert change.status is Status.SENT and change.previous is Status.SENDING
        entry = await m.status(entry_id)
        assert entry.status is Status.SENT
        assert len(entry.history) == 3
        assert entry.attempts == 1


async def test_release_gives_entries_back_untouched(tmp_path: Path) -> None:
    async with mailer(tmp_path, [ACCOUNT]) as m:
        entry_id = await m.enqueue(message(1))
        outbox = await m.outbox()
        now = datetime.now(UTC)
        (claim,) = await outbox.claim("w", limit=1, lease=60, now=now)
        (change,) = await outbox.release("w", [claim.id], now=now)
        assert (change.previous, change.status) == (Status.SENDING, Status.QUEUED)
        entry = await m.status(entry_id)
        assert entry.status is Status.QUEUED
        assert entry.history == ()
        assert entry.attempts == 0
        assert await outbox.release("w", [claim.id], now=now) == []


async def test_changes_carry_subject_recipients_and_the_stored_error(tmp_path: Path) -> None:
    async with mailer(tmp_path, [ACCOUNT]) as m:
        entry_id = await m.enqueue(message(1, cc=["kopia@example.com"]))
        recipients = ("odbiorca1@example.com", "kopia@example.com")
        outbox = await m.outbox()
        now = datetime.now(UTC)
        (claim,) = await outbox.claim("w", limit=1, lease=60, now=now)
        assert claim.subject == "Faktura 1"
        error = ErrorInfo("smtp.server_busy", code=421, text="Try later")
        attempt = Attempt(now, "biuro", Status.DEFERRED, error=error)
        (deferred,) = await outbox.complete(
            "w", [Outcome(entry_id, Status.DEFERRED, attempt, next_attempt_at=now, error=error)]
        )
        assert deferred.error == error
        # Given back untouched: the change names the error the entry still waits with.
        (claim,) = await outbox.claim("w", limit=1, lease=60, now=now)
        (released,) = await outbox.release("w", [claim.id], now=now)
        assert (released.previous, released.status) == (Status.SENDING, Status.DEFERRED)
        assert released.error == error and released.error_key == "smtp.server_busy"
        assert (released.subject, released.recipients) == ("Faktura 1", recipients)
        # An id and its Message-ID name one entry: one change.
        (retried,) = await outbox.retry([entry_id, claim.message_id], now=now)
        assert (retried.previous, retried.status) == (Status.DEFERRED, Status.QUEUED)
        assert (retried.subject, retried.recipients) == ("Faktura 1", recipients)
        (cancelled,) = await outbox.cancel([entry_id], now=now)
        assert (cancelled.previous, cancelled.status) == (Status.QUEUED, Status.CANCELLED)
        assert (cancelled.subject, cancelled.recipients) == ("Faktura 1", recipients)


async def test_retry_cancel_and_purge(tmp_path: Path) -> None:
    events = EventLog()
    async with mailer(tmp_path, [ACCOUNT], events=events) as m:
        a, b, c = await m.enqueue_many([message(i) for i in range(3)])
        outbox = await m.outbox()
        now = datetime.now(UTC)
        claims = {x.id: x for x in await outbox.claim("w", limit=3, lease=60, now=now)}
        policy = RetryPolicy()
        ok = SendResult(claims[a].message_id, [RecipientResult("odbiorca0@example.com", True)])
        refused = SendResult(
            claims[b].message_id,
            [
                RecipientResult(
                    "odbiorca1@example.com",
                    False,
                    550,
                    "5.1.1",
                    "No such user",
                    error=replies.RECIPIENT_UNKNOWN,
                )
            ],
        )
        await outbox.complete(
            "w",
            [
                policy.after_result(claims[a], ok, now=now).outcome,
                policy.after_result(claims[b], refused, now=now).outcome,
            ],
        )
        await outbox.release("w", [c], now=now)
        assert (await m.status(b)).status is Status.FAILED
        # Retry: the failed one goes back to the queue with its recipient pending again.
        assert await m.retry(a, b) == 1
        entry = await m.status(b)
        assert entry.status is Status.QUEUED
        assert [r.status for r in entry.recipients] == ["pending"]
        assert entry.attempts == 0
        # Cancel: only waiting mail.
        assert await m.cancel(a, b, c) == 2
        assert (await m.status(c)).status is Status.CANCELLED
        assert events.statuses(c)[-1] is Status.CANCELLED
        # Purge: old sent mail only.
        assert await m.purge(older_than_days=1) == 0
        later = datetime.now(UTC) + timedelta(days=40)
        assert await outbox.purge(before=later, statuses=[Status.SENT]) == 1
        with pytest.raises(Exception) as info:
            await m.status(a)
        assert getattr(info.value, "key", None) == "outbox.not_found"
        assert await outbox.get(b) is not None


async def test_queries_filters_and_counts(tmp_path: Path) -> None:
    other = memory_account("sklep", "sklep@firma.pl")
    async with mailer(tmp_path, [ACCOUNT, other]) as m:
        ids = await m.enqueue_many(
            [
                message(1, subject="Faktura VAT 1/2026", to="Jan.Kowalski@Example.PL"),
                message(2, subject="ZAŻÓŁĆ gęślą jaźń", to="ala@example.com"),
                message(3, subject="Przypomnienie", to="ola@example.com", account="sklep"),
            ]
        )
        outbox = await m.outbox()
        assert [e.id for e in await m.query(text="faktura")] == [ids[0]]
        assert [e.id for e in await m.query(text="zażółć")] == [ids[1]]
        assert [e.id for e in await m.query(recipient="jan.kowalski@")] == [ids[0]]
        assert [e.id for e in await m.query(account="sklep")] == [ids[2]]
        assert [e.id for e in await m.query(newest_first=False, limit=2)] == ids[:2]
        assert [e.id for e in await m.query(limit=1, offset=1)] == [ids[1]]
        future = datetime.now(UTC) + timedelta(days=1)
        assert await m.query(since=future) == []
        assert len(await m.query(until=future)) == 3
        assert await m.query(statuses=[Status.SENT]) == []
        assert await m.waiting() == 3
        assert await m.waiting(account="sklep") == 1
        counts = await m.counts()
        assert counts["queued"] == 3 and set(counts) == {str(s) for s in Status}
        # An entry is found by id, a unique prefix of it, or its Message-ID.
        entry = await m.status(ids[0][:6])
        assert entry.id == ids[0]
        assert (await m.status(entry.message_id)).id == ids[0]
        assert (await m.status(entry.message_id.strip("<>"))).id == ids[0]
        assert await outbox.query(Filter(statuses=(Status.QUEUED,), account="biuro", limit=1))


async def test_read_only_file_keeps_mail_and_explains(tmp_path: Path) -> None:
    async with mailer(tmp_path, [ACCOUNT]) as m:
        ids = await m.enqueue_many([message(1), message(2)])
    path = tmp_path / "data" / "outbox.sqlite3"
    os.chmod(path, 0o400)
    try:
        async with mailer(tmp_path, [ACCOUNT]) as m:
            assert await m.waiting() == 2
            assert {e.id for e in await m.query()} == set(ids)
            with pytest.raises(StorageError) as info:
                await m.enqueue(message(3))
            assert info.value.key == "storage.read_only"
            assert "tylko do odczytu" in info.value.message("pl")
            assert str(path) in info.value.message("en")
            with pytest.raises(StorageError):
                await m.flush()
    finally:
        os.chmod(path, 0o600)
    async with mailer(tmp_path, [ACCOUNT]) as m:
        assert {e.id for e in await m.query()} == set(ids)
        await m.enqueue(message(3))
        assert await m.waiting() == 3


async def test_disk_full_loses_nothing(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    path = tmp_path / "outbox.sqlite3"
    limited = f"sqlite:///{path}?max_size=200000"
    stored: list[str] = []
    async with mailer(tmp_path, [account], outbox_path=limited) as m:
        with pytest.raises(StorageError) as info:
            for i in range(200):
                stored += await m.enqueue_many([message(i, text="x" * 20_000)])
        assert info.value.key == "storage.disk_full"
        assert info.value.transient
        assert "miejsca" in info.value.message("pl")
        assert stored  # some fitted before the limit
        assert await m.waiting() == len(stored)
    async with mailer(tmp_path, [account], outbox_path=path) as m:
        assert {e.id for e in await m.query(limit=500)} == set(stored)
        report = await m.flush()
        assert report.sent == len(stored)
    delivered = srv.by_message_id()
    for entry_id in stored:
        assert len(delivered[(await _message_id(tmp_path, path, entry_id))]) == 1


async def _message_id(tmp_path: Path, path: Path, entry_id: str) -> str:
    async with mailer(tmp_path, [ACCOUNT], outbox_path=path) as m:
        return (await m.status(entry_id)).message_id


async def test_disk_full_while_flushing_loses_nothing(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    path = tmp_path / "outbox.sqlite3"
    stored: list[str] = []
    async with mailer(tmp_path, [account], outbox_path=f"sqlite:///{path}?max_size=300000") as m:
        with pytest.raises(StorageError):
            for i in range(300):
                stored += await m.enqueue_many([message(i, text="y" * 3_000)])
        with pytest.raises(StorageError) as info:
            await m.flush(lease=0.5)
        assert info.value.key == "storage.disk_full"
    await asyncio.sleep(0.6)  # leases of anything claimed run out
    async with mailer(tmp_path, [account], outbox_path=path) as m:
        await m.flush()
        entries = [await m.status(i) for i in stored]
    assert {e.status for e in entries} == {Status.SENT}
    counts = Counter(r.message_id for r in srv.messages)
    assert set(counts) == {e.message_id for e in entries}
