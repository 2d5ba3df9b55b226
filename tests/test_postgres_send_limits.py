"""``rate_limit_per_minute`` and ``daily_limit`` held across worker processes sharing one
PostgreSQL outbox (its ``send_limits`` table), seen from a real aiosmtpd sink.

Each worker is a real subprocess; each test stays within about 20 seconds.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from tests.outbox_support import mailer, message
from tests.smtp_server import Script
from tests.test_cli_outbox import write_accounts
from tests.test_postgres_workers import counts

from mailplug.cli import main
from mailplug.errors import MailplugError
from mailplug_postgres.options import parse_location

#: A worker that says "ready" once its outbox is open, then sends from the "go" line
#: on stdin for ``seconds``.
TIMED_RUNNER = """
import asyncio, json, sys
from mailplug import AsyncMailer

cfg = json.loads(sys.argv[1])

async def main():
    async with AsyncMailer(
        [cfg["account"]], data_dir=cfg["data_dir"], outbox_path=cfg["url"], entry_points=False
    ) as m:
        await m.outbox()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(cfg["seconds"], stop.set)
        report = await m.work(stop=stop, poll_interval=0.5, **cfg["options"])
        print(json.dumps({"sent": report.sent}), flush=True)

asyncio.run(main())
"""


async def run_workers(
    tmp_path: Path, account: dict[str, Any], url: str, seconds: float
) -> list[int]:
    """Three worker processes sending together for ``seconds`` from the moment all are
    ready, two messages per pass (so they take turns); returns how many each sent."""
    workers = []
    for n in range(3):
        cfg = {
            "account": account,
            "data_dir": str(tmp_path / f"worker{n}"),
            "url": url,
            "seconds": seconds,
            "options": {"limit": 2, "batch": 2},
        }
        workers.append(
            subprocess.Popen(
                [sys.executable, "-c", TIMED_RUNNER, json.dumps(cfg)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    sent = []
    try:
        for proc in workers:  # every process started and connected: go at once
            assert proc.stdout is not None
            line = await asyncio.to_thread(proc.stdout.readline)
            assert line.strip() == "ready", line
        for proc in workers:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in workers:
            out, err = await asyncio.to_thread(proc.communicate, timeout=seconds + 30)
            assert proc.returncode == 0, err
            sent.append(json.loads(out.strip().splitlines()[-1])["sent"])
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    return sent


async def test_rate_limit_per_minute_holds_across_three_worker_processes(
    tmp_path: Path, smtp_server: Any, pg_outbox_url: str, postgres: str
) -> None:
    """12 a minute (one every 5 s), bursts of 2, three processes taking turns for 10 s:
    the sink gets the burst and then one message per 5 s, not three times that (each
    process alone would allow 2 at once and one per 5 s)."""
    per_minute, burst, seconds = 12, 2, 10.0
    interval = 60 / per_minute
    srv = smtp_server()
    account = srv.account(
        name="biuro",
        email="biuro@firma.pl",
        max_connections=3,
        rate_limit_per_minute=per_minute,
        rate_limit_burst=burst,
    )
    async with mailer(tmp_path, [account], outbox_path=pg_outbox_url) as m:
        await m.enqueue_many([message(i) for i in range(30)])
    per_worker = await run_workers(tmp_path, account, pg_outbox_url, seconds)
    sent = sum(per_worker)
    arrivals = sorted(r.at for r in srv.messages)
    delivered = Counter(r.message_id for r in srv.messages)
    assert set(delivered.values()) == {1}
    assert sent == len(arrivals)
    # Never more than the limit in a minute, and never more than the burst plus one per
    # interval in the run (a margin of one for a slot taken just before the stop).
    assert all(
        sum(1 for t in arrivals if first <= t < first + 60) <= per_minute for first in arrivals
    )
    assert burst <= len(arrivals) <= burst + int(seconds / interval) + 1
    # After the burst, each message waited for its own slot (a second of margin for the
    # time between a slot and the message reaching the sink on a loaded machine).
    gaps = [arrivals[i] - arrivals[i - burst] for i in range(burst, len(arrivals))]
    assert all(gap >= interval - 1.0 for gap in gaps), gaps
    # Nothing lost: what was not sent waits in the outbox.
    left = counts(pg_outbox_url, postgres)
    assert left.get("sent") == len(arrivals)
    assert sum(left.values()) == 30


async def test_daily_limit_holds_across_three_worker_processes(
    tmp_path: Path,
    smtp_server: Any,
    pg_outbox_url: str,
    postgres: str,
    capsys: Any,
) -> None:
    """A daily limit of 5, three processes taking turns, 12 messages: the sink gets
    exactly 5; the rest waits, the account held until the day ends, with the reason in
    the user's language."""
    srv = smtp_server(script=Script(delays={"data": 0.2}))
    account = srv.account(name="biuro", email="biuro@firma.pl", daily_limit=5)
    async with mailer(tmp_path, [account], outbox_path=pg_outbox_url) as m:
        ids = await m.enqueue_many([message(i) for i in range(12)])
    per_worker = await run_workers(tmp_path, account, pg_outbox_url, 5.0)
    sent = sum(per_worker)
    assert len(srv.messages) == 5
    assert sent == 5
    assert counts(pg_outbox_url, postgres) == {"sent": 5, "queued": 7}
    async with mailer(tmp_path, [account], outbox_path=pg_outbox_url) as m:
        paused = await m.paused_accounts()
        hold = paused["biuro"]
        assert hold.error is not None and hold.error.key == "outbox.daily_limit"
        local = datetime.now().astimezone()
        assert hold.until is not None and hold.until > local
        assert hold.until.astimezone().time().replace(microsecond=0).isoformat() == "00:00:00"
        assert {(await m.status(i)).status.value for i in ids} == {"sent", "queued"}
        # Flushing again sends nothing more today.
        report = await m.flush()
        assert report.sent == 0
    assert len(srv.messages) == 5
    # The operator sees why, in Polish: held until midnight, the daily limit reached.
    config = tmp_path / "config" / "accounts.toml"
    write_accounts(config, srv, daily_limit=5)
    config.write_text(f'outbox = "{pg_outbox_url}"\n' + config.read_text(encoding="utf-8"))
    capsys.readouterr()
    argv = ["--config", str(config), "--lang", "pl", "outbox", "list"]
    assert await asyncio.to_thread(main, argv) == 0  # (the CLI runs its own event loop)
    out = capsys.readouterr().out
    assert "Wysyłka z konta „biuro” jest wstrzymana do" in out, out
    assert "Wyczerpano dzienny limit tego konta (5 wiadomości na dzień)." in out, out


async def test_send_slots_that_cannot_be_counted_send_nothing(
    tmp_path: Path, smtp_server: Any, pg_outbox_url: str, postgres: str
) -> None:
    """The slots table is gone (a DBA dropped it): a limited account sends nothing, as its
    limit could not be kept; the flush ends with a storage key and the mail stays queued."""
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl", daily_limit=100)
    async with mailer(tmp_path, [account], outbox_path=pg_outbox_url) as m:
        await m.enqueue_many([message(i) for i in range(3)])
        schema = parse_location(pg_outbox_url).schema
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'DROP TABLE "{schema}".send_limits')
        with pytest.raises(MailplugError) as info:
            await m.flush()
        assert info.value.key == "storage.io_error"
        assert "send_limits" in info.value.message("en")
        assert info.value.message("pl") != info.value.message("en")
    assert srv.messages == []
    assert counts(pg_outbox_url, postgres) == {"queued": 3}
