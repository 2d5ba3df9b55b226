"""Never lose, never double: a flush killed with SIGKILL, and two processes flushing at once.

The flushes run in real subprocesses against the same SQLite file and a real
aiosmtpd server in this process; deliveries are counted at the server by
Message-ID.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import mailer, message
from tests.smtp_server import Script

from mailplug.storage import Status

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

RUNNER = """
import asyncio, json, sys
from mailplug import AsyncMailer

cfg = json.loads(sys.argv[1])

async def main():
    async with AsyncMailer([cfg["account"]], data_dir=cfg["data_dir"], entry_points=False) as m:
        report = await m.flush(lease=cfg["lease"], concurrency=cfg["concurrency"], batch=8)
        print(json.dumps(report.counts), flush=True)

asyncio.run(main())
"""


def start_flush(tmp_path: Path, account: dict[str, Any], *, lease: float, concurrency: int) -> Any:
    cfg = {
        "account": account,
        "data_dir": str(tmp_path / "data"),
        "lease": lease,
        "concurrency": concurrency,
    }
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, json.dumps(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.01)


async def test_kill_9_mid_flush_loses_nothing(tmp_path: Path, smtp_server: Any) -> None:
    concurrency = 3
    srv = smtp_server(script=Script(delays={"data": 0.15}))
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [account]) as m:
        ids = await m.enqueue_many([message(i) for i in range(30)])
    proc = start_flush(tmp_path, account, lease=1.0, concurrency=concurrency)
    try:
        await asyncio.to_thread(wait_for, lambda: len(srv.messages) >= 6, 30)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    before = len(srv.messages)
    async with mailer(tmp_path, [account]) as m:
        statuses = Counter([(await m.status(i)).status for i in ids])
        assert statuses[Status.SENDING] >= 1  # the dead worker's leases are still there
        await asyncio.sleep(1.1)  # ...until they run out
        report = await m.flush()
        entries = [await m.status(i) for i in ids]
    assert {e.status for e in entries} == {Status.SENT}
    counts = Counter(r.message_id for r in srv.messages)
    assert set(counts) == {e.message_id for e in entries}  # every message delivered
    duplicates = sum(n - 1 for n in counts.values())
    # Only messages in flight (or finished but not yet recorded) at the kill go twice.
    assert duplicates <= 2 * concurrency
    assert report.sent == len(ids) - (before - duplicates)
    interrupted = [a for e in entries for a in e.history if a.error_key == "outbox.interrupted"]
    assert len(interrupted) == statuses[Status.SENDING]


async def test_two_processes_flushing_at_once_send_each_message_once(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server(script=Script(delays={"data": 0.05}))
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [account]) as m:
        # More than one flusher's claim window (connections x CLAIM_FACTOR), so both must work.
        ids = await m.enqueue_many([message(i) for i in range(300)])
    procs = [start_flush(tmp_path, account, lease=60, concurrency=2) for _ in range(2)]
    outputs = []
    for proc in procs:
        out, err = await asyncio.to_thread(proc.communicate, timeout=60)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    async with mailer(tmp_path, [account]) as m:
        entries = [await m.status(i) for i in ids]
    assert {e.status for e in entries} == {Status.SENT}
    counts = Counter(r.message_id for r in srv.messages)
    assert set(counts) == {e.message_id for e in entries}
    assert set(counts.values()) == {1}
    assert sum(o.get("sent", 0) for o in outputs) == 300
    # Both really took part.
    assert all(o.get("sent", 0) > 0 for o in outputs)
