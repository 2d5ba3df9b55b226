"""``mailplug outbox move --to postgresql://…``: a SQLite outbox moved without losing anything."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from tests.outbox_support import mailer, message

from mailplug.cli import main
from mailplug.outbox import AccountPause, utcnow
from mailplug.storage import Status
from mailplug_postgres.options import parse_location


async def test_move_copies_waiting_mail_and_history_once_and_resumes(
    tmp_path: Path,
    smtp_server: Any,
    pg_outbox_url: str,
    postgres: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [account]) as m:  # the SQLite outbox in tmp_path/data
        sent = await m.enqueue_many([message(i) for i in range(3)])
        assert (await m.flush()).sent == 3
        waiting = await m.enqueue_many([message(i) for i in range(3, 8)])
        await (await m.outbox()).pause_account(AccountPause("sklep", since=utcnow()))
        # One sent message's Sent-folder copy still waits (its IMAP server was down).
        outbox = await m.outbox()
        await outbox.want_sent_copies([sent[0]], now=utcnow())
        before = {i: await m.status(i) for i in [*sent, *waiting]}
    assert len(srv.messages) == 3

    assert await asyncio.to_thread(main, ["outbox", "move", "--to", pg_outbox_url, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["moved"], first["skipped"], first["pauses"]) == (8, 0, 1)

    # Interrupted half-way: some messages never arrived.  Moving again fills the gap only.
    schema = parse_location(pg_outbox_url).schema
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f'DELETE FROM "{schema}".messages WHERE id = ANY(%s)', (waiting[:2],))
    assert await asyncio.to_thread(main, ["outbox", "move", "--to", pg_outbox_url, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["moved"], again["skipped"]) == (2, 6)

    async with mailer(tmp_path / "pg", [account], outbox_path=pg_outbox_url) as m:
        for entry_id, old in before.items():
            new = await m.status(entry_id)
            assert (new.status, new.message_id, new.subject) == (
                old.status,
                old.message_id,
                old.subject,
            )
            assert [a.outcome for a in new.history] == [a.outcome for a in old.history]
            assert [r.status for r in new.recipients] == [r.status for r in old.recipients]
            assert new.sent_copy == old.sent_copy
        assert (await m.status(sent[0])).sent_copy is not None
        assert "sklep" in await (await m.outbox()).paused_accounts()
        assert (await m.flush()).sent == 5
        assert {(await m.status(i)).status for i in waiting} == {Status.SENT}
    ids = [r.message_id for r in srv.messages]
    assert len(ids) == len(set(ids)) == 8  # nothing sent twice, nothing lost
