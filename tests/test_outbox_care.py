"""``mailplug outbox check | backup | salvage`` on real SQLite files, damaged with real bytes."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import mailer, message
from tests.test_cli_outbox import write_accounts

from mailplug.cli import main
from mailplug.storage import Status

N = 120


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


@pytest.fixture
def outbox(tmp_path: Path, smtp_server: Any) -> Any:
    """An outbox of N messages (bodies of different sizes, some over a page), a third sent."""
    srv = smtp_server()
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    account = srv.account(name="biuro", email="biuro@firma.pl")

    async def fill() -> list[str]:
        async with mailer(tmp_path, [account]) as m:
            ids = await m.enqueue_many([message(i, text="treść " * (i * 20)) for i in range(N)])
            await m.flush(limit=N // 3)
            return ids

    ids = asyncio.run(fill())
    srv.messages.clear()

    class Outbox:
        path = tmp_path / "data" / "outbox.sqlite3"
        server = srv

        def __init__(self) -> None:
            self.ids = ids

        def entries(self, path: Path) -> dict[str, Any]:
            async def read() -> dict[str, Any]:
                async with mailer(tmp_path, [account], outbox_path=path) as m:
                    return {e.id: e for e in await m.query(limit=10 * N)}

            return asyncio.run(read())

        def flush(self, path: Path) -> Any:
            async def go() -> Any:
                async with mailer(tmp_path, [account], outbox_path=path) as m:
                    return await m.flush()

            return asyncio.run(go())

    return Outbox()


def damage_first_page(path: Path) -> None:
    with path.open("r+b") as f:
        f.write(os.urandom(4096))


def damage_random_pages(path: Path, share: float, seed: int) -> int:
    pages = path.stat().st_size // 4096
    rng = random.Random(seed)
    chosen = rng.sample(range(1, pages), max(1, int(pages * share)))
    with path.open("r+b") as f:
        for page in chosen:
            f.seek(page * 4096)
            f.write(os.urandom(4096))
    return len(chosen)


def test_check_gives_a_plain_verdict(outbox: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run(capsys, "outbox", "check")
    assert code == 0 and data["ok"] is True and data["problems"] == []
    main(["outbox", "check", "--lang", "pl"])
    assert "jest w porządku" in capsys.readouterr().out
    damage_random_pages(outbox.path, 0.05, seed=1)
    code, data = run(capsys, "outbox", "check")
    assert code == 74 and data["ok"] is False and data["problems"]
    damage_first_page(outbox.path)
    code, data = run(capsys, "outbox", "check")
    assert code == 74 and data["ok"] is False
    main(["outbox", "check", "--lang", "pl"])
    assert "uszkodzony" in capsys.readouterr().out


def test_backup_is_consistent_and_includes_the_wal(
    outbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    # Another program holds the outbox open with fresh writes still in the WAL.
    holder = sqlite3.connect(outbox.path, isolation_level=None)
    holder.execute("PRAGMA wal_autocheckpoint = 0")
    holder.execute("UPDATE messages SET subject = 'zmieniony' WHERE status = 'queued'")
    wal = outbox.path.with_name(outbox.path.name + "-wal")
    assert wal.stat().st_size > 0
    copy = tmp_path / "kopia.sqlite3"
    try:
        code, data = run(capsys, "outbox", "backup", str(copy))
    finally:
        holder.close()
    assert code == 0 and data["pages"] > 0
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    entries = outbox.entries(copy)
    assert set(entries) == set(outbox.ids)
    assert {e.subject for e in entries.values() if e.status is Status.QUEUED} == {"zmieniony"}
    code, data = run(capsys, "outbox", "backup", str(copy))
    assert code != 0 and data["error"]["key"] == "storage.cannot_open"


def test_salvage_rescues_everything_when_the_first_page_is_destroyed(
    outbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = outbox.entries(outbox.path)
    damage_first_page(outbox.path)
    new = tmp_path / "uratowany.sqlite3"
    code, data = run(capsys, "outbox", "salvage", str(new))
    assert code == 0
    assert data["rescued_total"] == N and data["lost"] == []
    after = outbox.entries(new)
    assert {i: e.status for i, e in after.items()} == {i: e.status for i, e in before.items()}
    assert {i: e.message_id for i, e in after.items()} == {
        i: e.message_id for i, e in before.items()
    }
    report = outbox.flush(new)
    waiting = [i for i, e in before.items() if e.status is Status.QUEUED]
    assert report.sent == len(waiting), report.problems
    delivered = Counter(r.message_id for r in outbox.server.messages)
    assert set(delivered) == {before[i].message_id for i in waiting}
    assert set(delivered.values()) == {1}


@pytest.mark.parametrize("seed", [3, 11])
def test_salvage_rescues_every_readable_entry_from_random_damage(
    outbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    before = outbox.entries(outbox.path)
    kept = tmp_path / "before.sqlite3"
    shutil.copyfile(outbox.path, kept)
    damage_random_pages(outbox.path, 0.1, seed=seed)
    new = tmp_path / "uratowany.sqlite3"
    code, data = run(capsys, "outbox", "salvage", str(new))
    assert code == 0
    rescued = outbox.entries(new)
    lost = {x["id"] for x in data["lost"]}
    by_mid = {e.message_id: e for e in before.values()}
    assert rescued and {e.message_id for e in rescued.values()} <= set(by_mid)
    assert lost <= set(before) and not lost & set(rescued)
    assert len(rescued) + len(lost) + data["unreadable_bodies"] <= N
    # Entries rescued with their own row keep their state; rebuilt ones get a new id.
    for entry_id, entry in rescued.items():
        if entry_id in before:
            assert entry.status is before[entry_id].status
    assert len([i for i in rescued if i not in before]) == data["reconstructed"]
    code, checked = run(capsys, "outbox", "check", "--file", str(new))
    assert code == 0 and checked["ok"]
    # What was rescued is whole: the waiting ones go out, byte-identical to the original.
    outbox.flush(new)
    waiting = {
        e.message_id for e in rescued.values() if by_mid[e.message_id].status is Status.QUEUED
    }
    delivered = {r.message_id: r.data for r in outbox.server.messages}
    assert waiting and waiting <= set(delivered)
    outbox.server.messages.clear()
    outbox.flush(kept)  # the undamaged copy sends the same bytes
    reference = {r.message_id: r.data for r in outbox.server.messages}
    assert all(delivered[m] == reference[m] for m in waiting)


def test_salvage_gives_a_waiting_entry_its_recipients_back_when_their_rows_are_lost(
    outbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Recipient rows on a lost page: the entry is rescued with To and Cc as its recipients
    (Bcc cannot be known, and the report says so), and it goes out once flushed."""
    import sqlite3

    before = outbox.entries(outbox.path)
    queued = sorted(i for i, e in before.items() if e.status is Status.QUEUED)[:3]
    conn = sqlite3.connect(outbox.path)
    with conn:
        conn.execute(
            "DELETE FROM recipients WHERE seq IN (SELECT seq FROM messages WHERE id IN (?, ?, ?))",
            queued,
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    new = tmp_path / "uratowany.sqlite3"
    code, data = run(capsys, "outbox", "salvage", str(new))
    assert code == 0 and sorted(data["recipients_rebuilt"]) == queued
    rescued = outbox.entries(new)
    for entry_id in queued:
        assert [r.address for r in rescued[entry_id].recipients] == list(before[entry_id].to)
    assert main(["outbox", "salvage", str(tmp_path / "again.sqlite3"), "--lang", "pl"]) == 0
    out = capsys.readouterr().out
    assert "3 czekające wiadomości straciły listy odbiorców" in out and queued[0] in out
    outbox.flush(new)
    delivered = {r.message_id for r in outbox.server.messages}
    assert {before[i].message_id for i in queued} <= delivered
