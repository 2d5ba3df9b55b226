"""A flusher killed with SIGKILL: its mail is visible as held, freed at once by an
operator (never while it lives), and the resend is marked as a possible duplicate.

The flusher is a real subprocess on the same SQLite file; the SMTP server is a
real aiosmtpd server in this process; the operator uses the real CLI.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import mailer, message
from tests.smtp_server import Script
from tests.test_cli_outbox import write_accounts

from mailplug.cli import main
from mailplug.dispatch import CLAIM_FACTOR
from mailplug.storage import Status

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

CONCURRENCY = 2
RUNNER = """
import asyncio, json, sys
from mailplug import AsyncMailer

cfg = json.loads(sys.argv[1])

async def main():
    async with AsyncMailer([cfg["account"]], data_dir=cfg["data_dir"], entry_points=False) as m:
        await m.flush(lease=cfg["lease"], concurrency=cfg["concurrency"])

asyncio.run(main())
"""


def start_flush(tmp_path: Path, account: dict[str, Any], *, lease: float) -> Any:
    cfg = {
        "account": account,
        "data_dir": str(tmp_path / "data"),
        "lease": lease,
        "concurrency": CONCURRENCY,
    }
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, json.dumps(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.01)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_a_killed_flushers_mail_is_shown_held_and_released_by_the_operator(
    tmp_path: Path, smtp_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = smtp_server(script=Script(delays={"data": 0.2}))
    account = srv.account(name="biuro", email="biuro@firma.pl")
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)

    async def enqueue() -> list[str]:
        async with mailer(tmp_path, [account]) as m:
            return await m.enqueue_many([message(i) for i in range(40)])

    ids = asyncio.run(enqueue())
    # A long lease: only the operator's release can free the mail soon.
    proc = start_flush(tmp_path, account, lease=600.0)
    try:
        wait_for(lambda: len(srv.messages) >= 3, 30)
        code, listed = run_cli(capsys, "outbox", "release")
        assert code == 0
        (holder,) = listed["holders"]
        assert holder["pid"] == proc.pid and holder["host"] == socket.gethostname()
        assert holder["alive"] is True
        # It holds what its connections can send soon, not a large batch.
        assert 1 <= len(holder["entries"]) <= CONCURRENCY * CLAIM_FACTOR
        worker = f"{holder['host']}:{holder['pid']}"
        code, refused = run_cli(capsys, "outbox", "release", worker)
        assert code == 75 and refused["error"]["key"] == "outbox.worker_alive"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    code, listed = run_cli(capsys, "outbox", "list", "--status", "sending")
    assert code == 0
    held = listed["entries"]
    assert held and all(e["held_by"]["worker"] == holder["worker"] for e in held)
    code, out = main(["outbox", "list", "--status", "sending", "--lang", "pl"]), capsys.readouterr()
    assert "zajęta przez nadawcę" in out.out and holder["worker"] in out.out
    code, shown = run_cli(capsys, "status", held[0]["id"])
    assert shown["held_by"]["until"] is not None

    code, released = run_cli(capsys, "outbox", "release", "--dead")
    assert code == 0
    assert {e for h in released["released"] for e in h["entries"]} == {e["id"] for e in held}
    code, again = run_cli(capsys, "outbox", "release", worker)
    assert code == 66 and again["error"]["key"] == "outbox.worker_unknown"

    async def flush() -> tuple[Any, list[Any]]:
        async with mailer(tmp_path, [account]) as m:
            report = await m.flush()  # at once: no waiting for the lease
            return report, [await m.status(i) for i in ids]

    report, entries = asyncio.run(flush())
    assert report.sent >= len(held)
    assert {e.status for e in entries} == {Status.SENT}
    delivered = {r.message_id for r in srv.messages}
    assert delivered == {e.message_id for e in entries}
    # The released ones went out after an interrupted attempt: marked as possible duplicates.
    code, shown = run_cli(capsys, "outbox", "show", held[0]["id"])
    outcomes = [(a["outcome"], a["possibly_duplicate"]) for a in shown["history"]]
    assert outcomes == [("uncertain", False), ("sent", True)]
    assert shown["history"][1]["note"] == "possibly delivered twice"


def test_release_of_another_hosts_sender_needs_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def hold() -> str:
        from mailplug.outbox import utcnow

        async with mailer(tmp_path, [ACCOUNT]) as m:
            (entry_id,) = await m.enqueue_many([message(1)])
            outbox = await m.outbox()
            claims = await outbox.claim(
                "elsewhere.example:4242:abcd", limit=5, lease=600, now=utcnow()
            )
            assert [c.id for c in claims] == [entry_id]
            return entry_id

    entry_id = asyncio.run(hold())
    Path(os.environ["MAILPLUG_CONFIG"]).parent.mkdir(parents=True, exist_ok=True)
    code, refused = run_cli(capsys, "outbox", "release", "elsewhere.example:4242")
    assert code == 69 and refused["error"]["key"] == "outbox.worker_elsewhere"
    code, none = run_cli(capsys, "outbox", "release", "--dead")
    assert code == 0 and none["released"] == []
    code, done = run_cli(capsys, "outbox", "release", "elsewhere.example:4242", "--force")
    assert code == 0 and done["released"][0]["entries"] == [entry_id]


ACCOUNT = {
    "name": "biuro",
    "email": "biuro@firma.pl",
    "transport": "memory",
}


def test_retry_of_an_unknown_or_sent_message_exits_66(
    tmp_path: Path, smtp_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = smtp_server()
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    code, unknown = run_cli(capsys, "outbox", "retry", "ffffffffffff")
    assert code == 66 and unknown["error"]["key"] == "outbox.not_found"
    code, sent = run_cli(capsys, "send", "--to", "jan@example.com", "--subject", "x", "--text", "y")
    assert code == 0
    code, _ = run_cli(capsys, "outbox", "flush")
    assert code == 0
    code, nothing = run_cli(capsys, "outbox", "retry", sent["id"], "--lang", "pl")
    assert code == 66 and nothing["error"]["key"] == "outbox.nothing_to_retry"
    assert "nie ma czego" in nothing["error"]["message"]
