"""Several worker processes on one PostgreSQL outbox: limits held across all of them,
nothing lost and nothing sent twice except what was in flight when a worker was killed.

The workers are real subprocesses; the SMTP sink is a real aiosmtpd server in
this process counting Message-IDs and concurrent sessions.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
from tests.outbox_support import mailer, message
from tests.smtp_server import Script

from mailplug.storage import Status
from mailplug_postgres.options import parse_location

RUNNER = """
import asyncio, json, sys
from mailplug import AsyncMailer

cfg = json.loads(sys.argv[1])

async def main():
    async with AsyncMailer(
        [cfg["account"]], data_dir=cfg["data_dir"], outbox_path=cfg["url"], entry_points=False
    ) as m:
        sent = 0
        idle = 0
        while idle < cfg["idle_rounds"]:
            report = await m.flush(lease=cfg["lease"], concurrency=cfg["concurrency"], batch=20)
            sent += report.sent
            idle = idle + 1 if report.claimed == 0 else 0
            await asyncio.sleep(0.1)
        print(json.dumps({"sent": sent}), flush=True)

asyncio.run(main())
"""


def start_worker(
    tmp_path: Path,
    n: int,
    url: str,
    account: dict[str, Any],
    *,
    concurrency: int | None,
    lease: float,
    idle_rounds: int,
) -> subprocess.Popen[str]:
    cfg = {
        "account": account,
        "data_dir": str(tmp_path / f"worker{n}"),
        "url": url,
        "lease": lease,
        "concurrency": concurrency,
        "idle_rounds": idle_rounds,
    }
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, json.dumps(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def counts(url: str, postgres: str) -> dict[str, int]:
    schema = parse_location(url).schema
    with psycopg.connect(postgres) as conn:
        rows = conn.execute(
            f'SELECT status, count(*) FROM "{schema}".messages GROUP BY status'
        ).fetchall()
    return {status: n for status, n in rows}


async def test_max_connections_holds_across_worker_processes(
    tmp_path: Path, smtp_server: Any, pg_outbox_url: str
) -> None:
    """Three processes, an account allowing 2 connections: the server never sees 3."""
    srv = smtp_server(script=Script(delays={"data": 0.03}))
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=2)
    async with mailer(tmp_path, [account], outbox_path=pg_outbox_url) as m:
        ids = await m.enqueue_many([message(i) for i in range(90)])
    workers = [
        start_worker(tmp_path, n, pg_outbox_url, account, concurrency=None, lease=60, idle_rounds=5)
        for n in range(3)
    ]
    outputs = []
    for proc in workers:
        out, err = await asyncio.to_thread(proc.communicate, timeout=120)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    async with mailer(tmp_path, [account], outbox_path=pg_outbox_url) as m:
        entries = [await m.status(i) for i in ids]
    assert {e.status for e in entries} == {Status.SENT}
    delivered = Counter(r.message_id for r in srv.messages)
    assert set(delivered) == {e.message_id for e in entries}
    assert set(delivered.values()) == {1}  # no kills: no duplicates
    assert sum(o["sent"] for o in outputs) == 90
    assert srv.max_concurrent <= 2
    assert srv.max_concurrent == 2  # and the limit was used, not undercut


async def test_four_workers_and_kill_9_during_a_flush_of_5000(
    tmp_path: Path, smtp_server: Any, pg_outbox_url: str, postgres: str
) -> None:
    """Random workers die mid-flush and are replaced: every message arrives; the only
    duplicates are messages that were on the wire (or sent, not yet recorded) at a kill."""
    total = 5000
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=8)
    async with mailer(tmp_path, [account], outbox_path=pg_outbox_url) as m:
        for start in range(0, total, 1000):
            await m.enqueue_many([message(i) for i in range(start, start + 1000)])
    rng = random.Random(16)

    def start(n: int) -> subprocess.Popen[str]:
        return start_worker(
            tmp_path, n, pg_outbox_url, account, concurrency=2, lease=2.0, idle_rounds=20
        )

    workers = {n: start(n) for n in range(4)}
    kills = 0
    next_n = 4
    try:
        deadline = time.monotonic() + 240
        for goal in (total // 5, total // 2, (total * 4) // 5):
            while len(srv.messages) < goal:
                assert time.monotonic() < deadline, f"stuck at {len(srv.messages)}"
                await asyncio.sleep(0.05)
            victim = rng.choice(sorted(workers))
            os.kill(workers[victim].pid, signal.SIGKILL)
            await asyncio.to_thread(workers.pop(victim).wait, 10)
            kills += 1
            workers[next_n] = start(next_n)
            next_n += 1
        for proc in workers.values():
            _out, err = await asyncio.to_thread(proc.communicate, timeout=240)
            assert proc.returncode == 0, err
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    assert counts(pg_outbox_url, postgres) == {"sent": total}
    delivered = Counter(r.message_id for r in srv.messages)
    schema = parse_location(pg_outbox_url).schema
    with psycopg.connect(postgres) as conn:
        interrupted = {
            mid
            for (mid,) in conn.execute(
                f'SELECT DISTINCT m.message_id FROM "{schema}".attempts a JOIN '
                f'"{schema}".messages m USING (seq) WHERE a.error_key = %s',
                ("outbox.interrupted",),
            )
        }
    assert len(delivered) == total  # nothing lost
    duplicated = {mid for mid, n in delivered.items() if n > 1}
    assert duplicated <= interrupted  # only what was in flight at a kill went twice
    assert sum(n - 1 for n in delivered.values()) <= len(interrupted)
    assert kills == 3
