"""The outbox stops taking writes mid-flush: a full disk, damaged pages.

A flush must end promptly with the storage error (never hang), list what it
could not record, and lose nothing once the outbox takes writes again; the
long-running worker backs off and saves what it could not record before.
The disk is a real size-limited filesystem (a 4 MB tmpfs, mounted as root);
damage is real bytes overwritten in the SQLite file.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import mailer, message

from mailplug.dispatch import FlushReport
from mailplug.errors import StorageError
from mailplug.storage import Status

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmpfs mounts are Linux")

#: What the free space is cut down to before flushing: room for a few transactions.
ROOM = 200_000


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 4 MB tmpfs, unmounted at the end."""
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root (CI runs as root)")
    mount = Path(tempfile.mkdtemp(prefix="mailplug-small-disk-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], timeout=30, check=False)
        mount.rmdir()


def fill(mount: Path, leave: int = ROOM) -> Path:
    """Fill the filesystem with a file until ``leave`` bytes are free."""
    st = os.statvfs(mount)
    free = st.f_bavail * st.f_frsize
    filler = mount / "filler"
    with filler.open("wb") as f:
        f.write(b"\0" * max(0, free - leave))
    return filler


async def queue(root: Path, account: Any, n: int) -> list[str]:
    ids: list[str] = []
    async with mailer(root, [account]) as m:
        for start in range(0, n, 10):
            batch = [message(i, text="x" * 3000) for i in range(start, start + 10)]
            ids += await m.enqueue_many(batch)
    return ids


async def statuses(root: Path, account: Any, ids: list[str]) -> dict[str, Status]:
    async with mailer(root, [account]) as m:
        return {i: (await m.status(i)).status for i in ids}


async def test_a_full_disk_ends_the_flush_and_loses_nothing(
    small_disk: Path, smtp_server: Any
) -> None:
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    ids = await queue(small_disk, account, 120)
    filler = fill(small_disk)
    async with mailer(small_disk, [account]) as m:
        with pytest.raises(StorageError) as info:
            # (The bound only keeps a regression from hanging the test run.)
            await asyncio.wait_for(m.flush(lease=2.0), timeout=120)
    error = info.value
    assert error.key == "storage.disk_full"
    report = error.report
    assert isinstance(report, FlushReport) and report.error is error
    assert report.unrecorded, "the disk filled before any result was left unsaved"
    filler.unlink()
    stuck = {
        i for i, s in (await statuses(small_disk, account, ids)).items() if s is Status.SENDING
    }
    # Exactly the entries the report lists are left "sending" (leased to the dead flush).
    assert stuck == {u.id for u in report.unrecorded}
    assert all(u.free_at >= report.started for u in report.unrecorded)
    delivered_unsaved = {u.message_id for u in report.unrecorded if u.status is Status.SENT}

    await asyncio.sleep(2.1)  # the leases run out
    async with mailer(small_disk, [account]) as m:
        again = await asyncio.wait_for(m.flush(), timeout=120)
    assert again.error is None and not again.unrecorded
    final = await statuses(small_disk, account, ids)
    assert set(final.values()) == {Status.SENT}
    counts = Counter(r.message_id for r in srv.messages)
    assert len(counts) == len(ids)  # nothing lost
    # Only a delivery whose result could not be saved is made twice.
    assert {mid for mid, n in counts.items() if n > 1} <= delivered_unsaved


async def test_the_worker_backs_off_and_saves_its_results_when_space_returns(
    small_disk: Path, smtp_server: Any
) -> None:
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    ids = await queue(small_disk, account, 120)
    filler = fill(small_disk)
    errors: list[tuple[str, float]] = []
    space_back = asyncio.Event()

    def on_error(error: StorageError, retry_in: float) -> None:
        errors.append((error.key, retry_in))
        if filler.exists():
            filler.unlink()  # the operator frees space
            space_back.set()

    async with mailer(small_disk, [account]) as m:
        stop = asyncio.Event()
        task = asyncio.create_task(m.work(stop=stop, on_error=on_error, poll_interval=0.2))
        await asyncio.wait_for(space_back.wait(), timeout=120)
        for _ in range(600):
            if (await m.counts())["sent"] == len(ids):
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, timeout=60)
    assert errors[0] == ("storage.disk_full", 1.0)
    assert set((await statuses(small_disk, account, ids)).values()) == {Status.SENT}
    counts = Counter(r.message_id for r in srv.messages)
    assert len(counts) == len(ids)
    # The worker kept the results it could not save and saved them first: no second copies.
    assert max(counts.values()) == 1


def _env(data: Path, config: Path) -> dict[str, str]:
    return {**os.environ, "MAILPLUG_DATA_DIR": str(data), "MAILPLUG_CONFIG": str(config)}


def _accounts(path: Path, srv: Any) -> Path:
    path.write_text(
        'version = 1\n\n[accounts.biuro]\nemail = "biuro@firma.pl"\nauth = "none"\n'
        f'settings = {{ host = "{srv.host}", port = {srv.port}, security = "none" }}\n',
        encoding="utf-8",
    )
    return path


def test_cli_flush_on_a_full_disk_exits_75_and_lists_the_unsaved(
    small_disk: Path, smtp_server: Any, tmp_path: Path
) -> None:
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    ids = asyncio.run(queue(small_disk, account, 120))
    fill(small_disk)
    config = _accounts(tmp_path / "accounts.toml", srv)
    done = subprocess.run(
        [sys.executable, "-m", "mailplug", "outbox", "flush", "--json"],
        env=_env(small_disk / "data", config),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 75, done.stderr
    data = json.loads(done.stdout)
    assert data["error"]["key"] == "storage.disk_full"
    assert data["error"]["message"]
    (small_disk / "filler").unlink()
    stuck = {
        i
        for i, s in asyncio.run(statuses(small_disk, account, ids)).items()
        if s.value == "sending"
    }
    assert {u["id"] for u in data["unrecorded"]} == stuck
    assert all(u["free_at"] for u in data["unrecorded"])


def test_damaged_pages_end_the_flush_with_exit_74(smtp_server: Any, tmp_path: Path) -> None:
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    asyncio.run(queue(tmp_path, account, 200))
    path = tmp_path / "data" / "outbox.sqlite3"
    size = path.stat().st_size
    with path.open("r+b") as f:  # 8 KB of the message pages in the middle
        f.seek(size // 2 // 4096 * 4096)
        f.write(os.urandom(8192))
    config = _accounts(tmp_path / "accounts.toml", srv)
    done = subprocess.run(
        [sys.executable, "-m", "mailplug", "outbox", "flush", "--json"],
        env=_env(tmp_path / "data", config),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 74, (done.stdout, done.stderr)
    assert json.loads(done.stdout)["error"]["key"] == "storage.corrupt"
