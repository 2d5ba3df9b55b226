"""``daily_limit`` and ``rate_limit_per_minute`` kept by the flush engine through the
outbox's send slots, on the SQLite outbox: across runs and across processes sharing
the file (the PostgreSQL side: tests/test_postgres_send_limits.py)."""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.outbox_support import mailer, message
from tests.test_postgres_send_limits import run_workers

from mailplug.storage import Status


async def test_daily_limit_holds_the_account_until_midnight_across_runs(
    tmp_path: Path, smtp_server: Any
) -> None:
    """A limit of 2 a day, 5 queued: 2 go out, the account is held until midnight with
    the daily-limit reason; a later run (another process) sends nothing more, even after
    the operator lifts the hold, as the day's count is kept in the outbox file."""
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl", daily_limit=2)
    async with mailer(tmp_path, [account]) as m:
        ids = await m.enqueue_many([message(i) for i in range(5)])
        report = await m.flush()
        assert report.sent == 2
        hold = report.paused["biuro"]
        assert hold.error is not None and hold.error.key == "outbox.daily_limit"
        assert hold.until is not None and hold.until > datetime.now().astimezone()
        assert hold.until.astimezone().strftime("%H:%M:%S") == "00:00:00"
        text = m.reason(hold.error).message("pl")
        assert text == "Wyczerpano dzienny limit tego konta (2 wiadomości na dzień)."
        statuses = [(await m.status(i)).status for i in ids]
        assert sorted(statuses) == sorted([Status.QUEUED] * 3 + [Status.SENT] * 2)
    async with mailer(tmp_path, [account]) as m:
        assert (await m.flush()).sent == 0
        assert await m.resume_account("biuro")
        again = await m.flush()
        assert again.sent == 0
        assert again.paused["biuro"].error is not None
    assert len(srv.messages) == 2


async def test_rate_limit_spaces_one_runs_messages(tmp_path: Path, smtp_server: Any) -> None:
    """120 a minute, no burst: four messages of one flush reach the server at least half
    a second apart (a quarter of a second of margin for a loaded machine)."""
    srv = smtp_server()
    account = srv.account(
        name="biuro", email="biuro@firma.pl", rate_limit_per_minute=120, max_connections=2
    )
    async with mailer(tmp_path, [account]) as m:
        await m.enqueue_many([message(i) for i in range(4)])
        assert (await m.flush()).sent == 4
    arrivals = sorted(r.at for r in srv.messages)
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(gaps) == 3 and all(g >= 0.25 for g in gaps), gaps


async def test_daily_limit_holds_across_processes_sharing_the_file(
    tmp_path: Path, smtp_server: Any
) -> None:
    """Three processes on one SQLite outbox taking turns: exactly the day's 4 messages."""
    from tests.smtp_server import Script

    srv = smtp_server(script=Script(delays={"data": 0.2}))
    account = srv.account(name="biuro", email="biuro@firma.pl", daily_limit=4)
    path = tmp_path / "shared.sqlite3"
    async with mailer(tmp_path, [account], outbox_path=path) as m:
        await m.enqueue_many([message(i) for i in range(10)])
    started = time.monotonic()
    per_worker = await run_workers(tmp_path, account, str(path), 4.0)
    assert time.monotonic() - started < 60
    assert sum(per_worker) == len(srv.messages) == 4
    async with mailer(tmp_path, [account], outbox_path=path) as m:
        counts = await m.counts()
        assert counts[str(Status.SENT)] == 4 and counts[str(Status.QUEUED)] == 6
