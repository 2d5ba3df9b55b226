"""Flushing the outbox through a real aiosmtpd server: states, retries, pauses, stop, worker."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.outbox_support import Clock, EventLog, mailer, message
from tests.smtp_server import Script

from mailplug.dispatch import FlushProgress
from mailplug.retry import RetryPolicy
from mailplug.storage import Status

POLICY = RetryPolicy(min_delay=60, max_delay=3600, jitter=0)


def _wait_for_first(srv: Any) -> None:
    deadline = time.monotonic() + 30
    while not srv.messages:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def delivered(srv: Any) -> Counter[str | None]:
    return Counter(r.message_id for r in srv.messages)


async def test_flush_delivers_everything_once_with_events_and_progress(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server()
    events = EventLog()
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=2)
    progress: list[tuple[int, int]] = []

    def on_progress(p: FlushProgress) -> None:
        progress.append((p.done, p.total))

    async with mailer(tmp_path, [account], events=events) as m:
        ids = await m.enqueue_many([message(i) for i in range(12)])
        assert await m.waiting() == 12
        report = await m.flush(progress=on_progress, batch=4)
        assert report.sent == 12 and report.claimed == 12
        assert await m.waiting() == 0
        entries = [await m.status(i) for i in ids]
    assert all(e.status is Status.SENT for e in entries)
    counts = delivered(srv)
    assert sorted(counts) == sorted(e.message_id for e in entries)
    assert set(counts.values()) == {1}
    assert srv.max_concurrent <= 2
    assert progress[-1] == (12, 12)
    assert [d for d, _ in progress] == list(range(1, 13))
    first = entries[0]
    assert first.sent_at is not None and first.attempts == 1
    (attempt,) = first.history
    assert attempt.host == srv.host and attempt.code == 250
    assert attempt.outcome is Status.SENT and attempt.duration > 0
    assert [r.status for r in first.recipients] == ["sent"]
    for entry_id in ids:
        assert events.statuses(entry_id) == [Status.QUEUED, Status.SENDING, Status.SENT]
    # The Message-ID stays the one stored at enqueue.
    received = {r.message_id: r for r in srv.messages}[first.message_id]
    assert received.envelope.rcpt_tos == ["odbiorca0@example.com"]


async def test_refused_recipients_fail_alone(tmp_path: Path, smtp_server: Any) -> None:
    script = Script(
        rcpt={
            "nikt@example.com": "550 5.1.1 No such user",
            "pelna@example.com": "452 4.2.2 Mailbox full, try later",
        }
    )
    srv = smtp_server(script=script)
    clock = Clock()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [account]) as m:
        entry_id = await m.enqueue(
            message(1, to=["jan@example.com", "nikt@example.com", "pelna@example.com"])
        )
        report = await m.flush(clock=clock, policy=POLICY)
        assert report.counts == {"deferred": 1}
        entry = await m.status(entry_id)
        assert entry.status is Status.DEFERRED
        assert entry.next_attempt_at == clock.now + timedelta(seconds=60)
        states = {r.address: r for r in entry.recipients}
        assert states["jan@example.com"].status == "sent"
        assert states["nikt@example.com"].status == "failed"
        assert states["pelna@example.com"].status == "pending"
        unknown = m.reason(states["nikt@example.com"].error)  # type: ignore[arg-type]
        assert unknown.key == "smtp.recipient.unknown"
        assert unknown.recipient == "nikt@example.com"
        assert "550" in "\n".join(unknown.details("pl"))
        assert unknown.message("pl")
        # Not due yet: nothing happens.
        assert (await m.flush(clock=clock, policy=POLICY)).claimed == 0
        # The mailbox got room; the retry goes to that recipient only.
        script.rcpt = {"nikt@example.com": "550 5.1.1 No such user"}
        clock.advance(seconds=61)
        report = await m.flush(clock=clock, policy=POLICY)
        assert report.counts == {"partial": 1}
        entry = await m.status(entry_id)
        assert entry.status is Status.PARTIAL
        assert [a.outcome for a in entry.history] == [Status.DEFERRED, Status.PARTIAL]
    assert [r.envelope.rcpt_tos for r in srv.messages] == [
        ["jan@example.com"],
        ["pelna@example.com"],
    ]


async def test_every_recipient_refused_each_for_its_own_reason(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server(
        script=Script(
            rcpt={
                "nikt@example.com": "550 5.1.1 No such user",
                "szary@example.com": "450 4.2.0 Greylisted, come back later",
            }
        )
    )
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [account]) as m:
        entry_id = await m.enqueue(message(1, to=["nikt@example.com", "szary@example.com"]))
        await m.flush(policy=POLICY)
        entry = await m.status(entry_id)
    assert entry.status is Status.DEFERRED
    states = {r.address: r for r in entry.recipients}
    assert states["nikt@example.com"].status == "failed"
    assert states["szary@example.com"].status == "pending"
    assert states["szary@example.com"].error is not None
    assert states["szary@example.com"].error.key == "smtp.rejected.greylisted"
    assert srv.messages == []


async def test_transient_failure_backs_off_then_expires(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(script=Script(data="451 4.3.0 Local problem, try again later"))
    clock = Clock()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [account]) as m:
        entry_id = await m.enqueue_many([message(1)])
        report = await m.flush(clock=clock, policy=POLICY)
        assert report.counts == {"deferred": 1}
        assert report.errors == {"smtp.server.error_temporary": 1}
        entry = await m.status(entry_id[0])
        assert entry.next_attempt_at == clock.now + timedelta(seconds=60)
        clock.advance(seconds=61)
        await m.flush(clock=clock, policy=POLICY)
        entry = await m.status(entry_id[0])
        assert entry.attempts == 2
        assert entry.next_attempt_at == clock.now + timedelta(seconds=120)
        clock.advance(days=5)
        report = await m.flush(clock=clock, policy=POLICY)
        assert report.counts == {"failed": 1}
        entry = await m.status(entry_id[0])
        assert entry.status is Status.FAILED
        assert entry.error is not None and entry.error.key == "outbox.expired"
        reason = m.reason(entry.error)
        assert "5" in reason.message("pl") and "451" in "\n".join(reason.details("en"))
        assert [a.code for a in entry.history] == [451, 451, 451]
    assert srv.messages == [] and len(srv.rejected) == 3


async def test_bad_password_pauses_the_account_until_its_settings_change(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server(tls="starttls", users={"biuro@firma.pl": "dobre-haslo"})
    wrong = srv.account(
        name="biuro", email="biuro@firma.pl", auth="password", auth_settings={"password": "złe"}
    )
    events = EventLog()
    async with mailer(tmp_path, [wrong], events=events) as m:
        ids = await m.enqueue_many([message(i) for i in range(3)])
        report = await m.flush()
        assert "biuro" in report.paused
        assert report.sent == 0
        paused = await m.paused_accounts()
        assert paused["biuro"].error is not None
        assert paused["biuro"].error.key == "smtp.auth.invalid_credentials"
        entries = [await m.status(i) for i in ids]
        assert {e.status for e in entries} == {Status.QUEUED}
        assert {e.attempts for e in entries} == {0}  # no retry burnt
        # Still paused: a new flush tries nothing.
        again = await m.flush()
        assert again.claimed == 0
        # Resuming by hand without fixing it: one more login, paused again.
        assert await m.resume_account("biuro")
        await m.flush()
        assert "biuro" in await m.paused_accounts()
    # The transport does not try refused credentials again until they change.
    assert [a.success for a in srv.auth_attempts] == [False]
    fixed = srv.account(
        name="biuro",
        email="biuro@firma.pl",
        auth="password",
        auth_settings={"password": "dobre-haslo"},
    )
    async with mailer(tmp_path, [fixed]) as m:
        report = await m.flush()
        assert report.sent == 3
        assert await m.paused_accounts() == {}
    assert len(delivered(srv)) == 3
    assert events.statuses(ids[0])[:3] == [Status.QUEUED, Status.SENDING, Status.QUEUED]


async def test_a_worker_leaves_mail_of_accounts_it_does_not_know(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server()
    other = srv.account(name="inne", email="inne@firma.pl")
    biuro = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [biuro]) as m:  # a host that passed its account in code
        entry_id = await m.enqueue(message(1))
    async with mailer(tmp_path, [other]) as m:  # a separate worker without that account
        report = await m.flush()
        assert report.claimed == 0 and report.paused == {}
        assert await m.paused_accounts() == {}
        assert (await m.status(entry_id)).status is Status.QUEUED
        stop = asyncio.Event()
        worker = asyncio.create_task(m.work(stop=stop, poll_interval=0.05))
        await asyncio.sleep(0.3)  # several passes: none claims the host's mail
        stop.set()
        assert (await asyncio.wait_for(worker, 10)).claimed == 0
    async with mailer(tmp_path, [other, biuro]) as m:
        assert (await m.flush()).sent == 1


async def test_daily_quota_holds_the_account_until_it_resets(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server(script=Script(data="550 5.4.5 Daily user sending quota exceeded"))
    clock = Clock()
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=1)
    async with mailer(tmp_path, [account]) as m:
        ids = await m.enqueue_many([message(i) for i in range(3)])
        report = await m.flush(clock=clock, concurrency=1)
        assert report.counts == {"deferred": 1}
        hold = report.paused["biuro"]
        assert hold.until is not None
        local = hold.until.astimezone()
        assert (local.hour, local.minute) == (0, 0)
        entries = [await m.status(i) for i in ids]
        assert sorted(e.status for e in entries) == [
            Status.DEFERRED,
            Status.QUEUED,
            Status.QUEUED,
        ]
        assert (await m.flush(clock=clock)).claimed == 0
        srv.script.data = None
        clock.now = hold.until + timedelta(seconds=1)
        assert (await m.flush(clock=clock)).sent == 3
    assert len(srv.rejected) == 1 and len(srv.messages) == 3


async def test_uncertain_outcome_is_retried_with_the_same_message_id(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server(script=Script(disconnect_after_data=True))
    clock = Clock()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [account]) as m:
        entry_id = await m.enqueue(message(1))
        report = await m.flush(clock=clock, policy=POLICY)
        assert report.counts == {"uncertain": 1}
        entry = await m.status(entry_id)
        assert entry.status is Status.UNCERTAIN
        assert entry.error is not None and entry.error.key == "smtp.uncertain"
        assert entry.waiting
        srv.script.disconnect_after_data = False
        clock.advance(minutes=2)
        assert (await m.flush(clock=clock, policy=POLICY)).sent == 1
        entry = await m.status(entry_id)
    copies = delivered(srv)
    assert copies == Counter({entry.message_id: 2})


async def test_uncertain_outcome_can_be_held_for_a_person(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(script=Script(disconnect_after_data=True))
    clock = Clock()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    hold = RetryPolicy(uncertain="hold")
    async with mailer(tmp_path, [account]) as m:
        entry_id = await m.enqueue(message(1))
        await m.flush(clock=clock, policy=hold)
        clock.advance(days=1)
        assert (await m.flush(clock=clock, policy=hold)).claimed == 0
        entry = await m.status(entry_id)
        assert entry.status is Status.UNCERTAIN and entry.next_attempt_at is None
        srv.script.disconnect_after_data = False
        assert await m.retry(entry_id) == 1
        assert (await m.flush(policy=hold)).sent == 1


async def test_priority_and_schedule_set_the_order(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    clock = Clock()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [account]) as m:
        msgs = [
            message(1, subject="niski", priority=5),
            message(2, subject="zwykły"),
            message(3, subject="pilny", priority=1),
            message(4, subject="jutro", send_at=clock.now + timedelta(days=1)),
        ]
        # Queued "now" from the clock's point of view.
        await m.enqueue_many(msgs)
        report = await m.flush(clock=lambda: clock.now + timedelta(days=400), concurrency=1)
        del report
    # (the clock above is past the schedule: every message goes, pilny first)
    subjects = [r.message["Subject"] for r in srv.messages]
    assert subjects[0] == "pilny"
    assert subjects.index("zwykły") < subjects.index("niski")

    srv2 = smtp_server()
    account2 = srv2.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path / "second", [account2]) as m:
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        later = await m.enqueue(message(5, subject="później", send_at=tomorrow))
        await m.enqueue(message(6, subject="teraz"))
        await m.flush(concurrency=1)
        assert [r.message["Subject"] for r in srv2.messages] == ["teraz"]
        entry = await m.status(later)
        assert entry.status is Status.QUEUED and entry.send_at is not None


async def test_stop_lets_messages_on_the_wire_finish(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(script=Script(delays={"data": 0.2}))
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=2)
    stop = asyncio.Event()

    def on_progress(p: FlushProgress) -> None:
        if p.done >= 1:
            stop.set()

    async with mailer(tmp_path, [account]) as m:
        ids = await m.enqueue_many([message(i) for i in range(10)])
        report = await asyncio.wait_for(m.flush(stop=stop, progress=on_progress), 30)
        assert report.stopped
        entries = [await m.status(i) for i in ids]
        sent = [e for e in entries if e.status is Status.SENT]
        assert {e.status for e in entries} <= {Status.SENT, Status.QUEUED}
        assert 1 <= len(sent) < 10
        assert report.sent == len(sent)
        assert report.released == 10 - len(sent)
        assert await m.waiting() == 10 - len(sent)
        assert (await m.flush()).sent == 10 - len(sent)
    counts = delivered(srv)
    assert len(counts) == 10 and set(counts.values()) == {1}


async def test_cancelling_the_flush_task_returns_the_rest(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(script=Script(delays={"data": 0.3}))
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=2)
    async with mailer(tmp_path, [account]) as m:
        ids = await m.enqueue_many([message(i) for i in range(8)])
        task = asyncio.create_task(m.flush())
        await asyncio.to_thread(_wait_for_first, srv)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        statuses = Counter([(await m.status(i)).status for i in ids])
        assert set(statuses) <= {Status.SENT, Status.QUEUED}
        assert statuses[Status.SENT] >= 1
        rest = await m.flush()
        assert rest.sent == statuses[Status.QUEUED]
    counts = delivered(srv)
    assert len(counts) == 8 and set(counts.values()) == {1}


async def test_worker_wakes_on_new_mail_and_stops(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [account]) as m:
        worker = m.start_worker(poll_interval=30)  # a long poll: only the wake-up can explain
        await asyncio.sleep(0.2)
        entry_id = await m.enqueue(message(1))
        for _ in range(200):
            if srv.messages:
                break
            await asyncio.sleep(0.02)
        assert len(srv.messages) == 1
        report = await asyncio.wait_for(m.stop_worker(), 10)
        assert report is not None and report.sent == 1
        assert worker.done()
        assert (await m.status(entry_id)).status is Status.SENT


async def test_worker_picks_up_retries_when_due(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(script=Script(data="451 4.3.0 Try again later"))
    account = srv.account(name="biuro", email="biuro@firma.pl")
    fast = RetryPolicy(min_delay=0.3, max_delay=0.3, jitter=0)
    async with mailer(tmp_path, [account]) as m:
        await m.enqueue(message(1))
        stop = asyncio.Event()
        task = asyncio.create_task(m.work(stop=stop, poll_interval=30, policy=fast))
        for _ in range(100):
            if srv.rejected:
                break
            await asyncio.sleep(0.02)
        srv.script.data = None
        for _ in range(200):
            if srv.messages:
                break
            await asyncio.sleep(0.02)
        stop.set()
        report = await asyncio.wait_for(task, 10)
    assert len(srv.messages) == 1
    assert report.counts.get("deferred", 0) >= 1 and report.sent == 1


async def test_jitter_uses_the_given_random_source(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(script=Script(data="451 4.3.0 Try again later"))
    clock = Clock()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    policy = RetryPolicy(min_delay=60, max_delay=3600, jitter=0.5)
    times = []
    for run in range(2):
        async with mailer(tmp_path / str(run), [account]) as m:
            entry_id = await m.enqueue(message(run))
            await m.flush(clock=clock, policy=policy, rng=random.Random(42))
            times.append((await m.status(entry_id)).next_attempt_at)
    assert times[0] == times[1]
    assert times[0] is not None
    assert clock.now + timedelta(seconds=60) <= times[0] <= clock.now + timedelta(seconds=90)
