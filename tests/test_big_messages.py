"""Big attachments in flat memory: streamed composition, body files beside the SQLite
outbox, streamed SMTP DATA — against a real aiosmtpd server and real files.

(The memory figures come from ``bench/big_attachment.py``; these tests check what
is stored and what arrives, byte for byte.)
"""

from __future__ import annotations

import asyncio
import email.policy
import hashlib
import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import mailer
from tests.test_cli_outbox import write_accounts
from tests.test_storage_faults import small_disk  # noqa: F401 - the 4 MB tmpfs fixture

import mailplug.compose as compose_module
from mailplug import AsyncMailer, Attachment, Message
from mailplug.body import STREAM_THRESHOLD, Body, Spool, as_bytes, size_of
from mailplug.cli import main
from mailplug.client_headers import strip_client_headers
from mailplug.errors import MailplugError
from mailplug.models import Account
from mailplug.outbox import NewEntry, entries_for
from mailplug.outgoing import Outgoing
from mailplug.storage import Status
from mailplug.transport import Envelope
from mailplug_smtp.session import _data_payload, _DotStuffer
from mailplug_sqlite import bodyfiles

MB = 1_000_000
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def random_file(path: Path, size: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    with path.open("wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(rng.randbytes(n))
            left -= n
    return path


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while piece := f.read(1 << 20):
            h.update(piece)
    return h.hexdigest()


def body_files(data_dir: Path) -> list[Path]:
    folder = bodyfiles.directory(data_dir / "outbox.sqlite3")
    return sorted(p for p in folder.glob("??/*") if p.is_file())


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


# -- composition -------------------------------------------------------------------


def with_file(attachment: Path, subject: str = "x") -> Message:
    """A plain message carrying the file ``attachment``."""
    return Message(
        to="k@klient.example", subject=subject, text="x", attachments=[Attachment(path=attachment)]
    )


def big_message(attachment: Path, **fields: Any) -> Message:
    return Message(
        to="klient@klient.example",
        subject="Raport roczny",
        text="W załączeniu raport.\n",
        html='<p>Raport <img src="cid:logo"></p>',
        attachments=[
            Attachment(path=attachment, content_type="application/pdf"),
            Attachment(
                content=b"\x89PNG" + bytes(range(256)) * 300,
                filename="logo.png",
                content_type="image/png",
                inline=True,
                content_id="logo",
            ),
        ],
        **fields,
    )


def test_streamed_composition_is_the_in_memory_one_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big attachment goes through a spool file in chunks; the message is the same
    bytes the in-memory composer writes (same headers, boundaries, base64 lines)."""
    attachment = random_file(tmp_path / "raport.pdf", 2 * MB + 5)  # not a multiple of 57
    account = Account(name="biuro", email="biuro@firma.pl", transport="smtp")
    message = big_message(attachment)
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(compose_module, "_boundaries", itertools.count(1))
    streamed = compose_module.compose(message, account, now=NOW, spool=spool)
    assert isinstance(streamed.data, Body)
    (spooled,) = spool.iterdir()
    assert spooled.stat().st_mode & 0o777 == 0o600
    assert streamed.data.size == spooled.stat().st_size
    monkeypatch.setattr(compose_module, "_boundaries", itertools.count(1))
    monkeypatch.setattr(compose_module, "STREAM_THRESHOLD", 1 << 40)
    whole = compose_module.compose(message, account, now=NOW)
    assert isinstance(whole.data, bytes)
    assert streamed.data.read() == whole.data
    assert streamed.envelope == whole.envelope
    parsed = message_from_bytes(streamed.data.read(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    parts = {p.get_filename(): p for p in parsed.iter_attachments()}
    assert parts["raport.pdf"].get_content() == attachment.read_bytes()
    assert streamed.data.digest == hashlib.sha256(whole.data).hexdigest()
    streamed.data.discard()
    assert list(spool.iterdir()) == []


def test_small_messages_stay_bytes(tmp_path: Path) -> None:
    account = Account(name="biuro", email="biuro@firma.pl", transport="smtp")
    small = random_file(tmp_path / "maly.bin", STREAM_THRESHOLD // 2)
    composed = compose_module.compose(big_message(small), account, spool=tmp_path)
    assert isinstance(composed.data, bytes)
    assert [p for p in tmp_path.iterdir() if p.name.startswith("mailplug-")] == []


def test_spool_write_failure_is_a_storage_error_and_leaves_nothing(tmp_path: Path) -> None:
    account = Account(name="biuro", email="biuro@firma.pl", transport="smtp")
    attachment = random_file(tmp_path / "raport.pdf", 2 * MB)
    with pytest.raises(MailplugError) as caught:
        compose_module.compose(big_message(attachment), account, spool=tmp_path / "missing")
    assert caught.value.key in ("storage.cannot_open", "storage.io_error")


def test_unreadable_attachment_in_a_streamed_message_is_a_file_error(tmp_path: Path) -> None:
    account = Account(name="biuro", email="biuro@firma.pl", transport="smtp")
    folder = tmp_path / "katalog.pdf"
    folder.mkdir()
    message = Message(
        to="a@b.example",
        subject="x",
        text="x",
        attachments=[Attachment(content=b"x" * 2 * MB, filename="a.bin"), Attachment(path=folder)],
    )
    spool = tmp_path / "spool"
    spool.mkdir()
    with pytest.raises(MailplugError) as caught:
        compose_module.compose(message, account, spool=spool)
    assert caught.value.key == "file.is_folder"
    assert list(spool.iterdir()) == []  # the half-written spool went


# -- dot-stuffing in pieces ---------------------------------------------------------


def test_dot_stuffing_in_pieces_equals_the_whole_message() -> None:
    """Pieces cut anywhere (between CR and LF, before a dot) give the bytes
    ``_data_payload`` gives for the whole message."""
    rng = random.Random(7)
    alphabet = [b".", b"\r", b"\n", b"\r\n", b"a", b"..", b"\r\n.", b" "]
    for _ in range(400):
        data = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60)))
        cuts = sorted(rng.sample(range(len(data) + 1), min(len(data) + 1, rng.randrange(4))))
        pieces = [data[a:b] for a, b in itertools.pairwise([0, *cuts, len(data)])]
        stuffer = _DotStuffer()
        out = b"".join(stuffer.feed(p) for p in pieces) + stuffer.end()
        assert out == _data_payload(data), (data, pieces)


# -- headers of a big message --------------------------------------------------------


def test_headers_of_a_body_are_read_and_added_without_reading_it_whole(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.write(b"X-Mozilla-Status: 0001\r\nFCC: imap://jan@poczta/Wyslane\r\nSubject: Big\r\n\r\n")
    spool.write(b"A" * 76 + b"\r\n" * (STREAM_THRESHOLD // 2))
    body = spool.body()
    assert isinstance(body, Body)
    whole = body.read()
    outgoing = Outgoing(
        Account(name="b", email="b@firma.pl", transport="smtp"),
        Envelope("b@firma.pl", ("a@b.example",), "<1@firma.pl>"),
        body,
    )
    assert outgoing.header("Subject") == "Big"
    outgoing.add_header("X-Tenant", "42")
    assert isinstance(outgoing.body, Body) and outgoing.body.path == body.path
    assert outgoing.body.read() == b"X-Tenant: 42\r\n" + whole
    stripped = strip_client_headers(outgoing.body)
    assert isinstance(stripped, Body)
    assert (
        stripped.read() == b"X-Tenant: 42\r\nSubject: Big\r\n\r\n" + whole.split(b"\r\n\r\n", 1)[1]
    )
    del body, outgoing
    stripped.discard()  # the spool is owned by the first body: it goes with the last user
    assert not Path(stripped.path).exists()


# -- through the outbox and the SMTP server ------------------------------------------


async def test_big_attachment_is_stored_as_a_file_and_arrives_byte_for_byte(
    tmp_path: Path, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spool))
    srv = smtp_server(size_limit=None)
    account = srv.account(name="biuro", email="biuro@firma.pl")
    attachment = random_file(tmp_path / "film.mp4", 30 * MB)
    data_dir = tmp_path / "data"
    async with mailer(tmp_path, [account], max_message_size=None) as m:
        entry_id = await m.enqueue(
            Message(
                to="klient@klient.example",
                subject="Film",
                text="Film w załączniku.\n",
                attachments=[Attachment(path=attachment)],
            )
        )
        (stored,) = body_files(data_dir)
        assert list(spool.iterdir()) == []  # the spool went once the outbox had its copy
        assert stored.parent.parent.stat().st_mode & 0o777 == 0o700
        assert stored.stat().st_mode & 0o777 == 0o600
        entry = await m.status(entry_id)
        assert entry.size == stored.stat().st_size > 40 * MB
        with sqlite3.connect(data_dir / "outbox.sqlite3") as conn:
            ((data, file),) = conn.execute("SELECT data, file FROM bodies").fetchall()
        assert data == b"" and file == stored.name == sha256(stored)
        report = await m.flush()
        assert report.sent == 1
        (received,) = srv.messages
        assert hashlib.sha256(received.data).hexdigest() == stored.name
        parsed = received.message
        (part,) = parsed.iter_attachments()
        assert part.get_content() == attachment.read_bytes()
        assert "BODY=8BITMIME" in received.envelope.mail_options
        outbox = await m.runtime.outbox()
        assert (
            await outbox.purge(before=datetime.now(UTC) + timedelta(days=1), statuses=[Status.SENT])
            == 1
        )
    assert body_files(data_dir) == []


async def test_big_messages_in_a_pipelined_stream_with_small_ones(
    tmp_path: Path, smtp_server: Any
) -> None:
    """Big and small messages alternate on one pipelined session; each arrives whole."""
    srv = smtp_server(size_limit=None)
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=1)
    files = [random_file(tmp_path / f"z{i}.bin", 2 * MB + i, seed=i) for i in range(3)]
    async with mailer(tmp_path, [account], max_message_size=None) as m:
        for i, f in enumerate(files):
            await m.enqueue(
                Message(
                    to=f"k{i}@klient.example",
                    subject=f"duża {i}",
                    text="x\n",
                    attachments=[Attachment(path=f)],
                )
            )
            await m.enqueue(Message(to=f"m{i}@klient.example", subject=f"mała {i}", text=".\n"))
        report = await m.flush()
    assert report.sent == 6
    got = {r.message["Subject"]: r for r in srv.messages}
    for i, f in enumerate(files):
        (part,) = got[f"duża {i}"].message.iter_attachments()
        assert part.get_content() == f.read_bytes()
    assert {r.connection for r in srv.messages} == {srv.messages[0].connection}


async def test_server_size_limit_refuses_before_any_data(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(size_limit=2 * MB)
    account = srv.account(name="biuro", email="biuro@firma.pl")
    attachment = random_file(tmp_path / "duzy.bin", 2 * MB)
    async with mailer(tmp_path, [account], max_message_size=None) as m:
        entry_id = await m.enqueue(with_file(attachment))
        await m.flush()
        entry = await m.status(entry_id)
    assert entry.status is Status.FAILED
    assert entry.error is not None and "size" in entry.error.key
    assert srv.messages == [] and srv.rejected == []


async def test_max_message_size_refuses_before_anything_is_stored(
    tmp_path: Path, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attachments alone fit the limit, the composed message does not: it is
    refused after composition, and its spool file is gone."""
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    attachment = random_file(tmp_path / "duzy.bin", 3 * MB)
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spool))
    async with mailer(tmp_path, [account], max_message_size=3 * MB * 4 // 3 + 10) as m:
        with pytest.raises(MailplugError) as caught:
            await m.enqueue(with_file(attachment))
        assert await m.waiting() == 0
    assert caught.value.key == "message.too_big"
    assert list(spool.iterdir()) == []
    assert body_files(tmp_path / "data") == []


# -- body files: sharing, cancel, missing, orphans, crash ---------------------------


def _entry(n: int, body: Body) -> NewEntry:
    mid = f"<{n}@firma.pl>"
    return NewEntry(
        id=f"{n:016x}",
        message_id=mid,
        account="biuro",
        envelope=Envelope("biuro@firma.pl", ("k@klient.example",), mid),
        data=body,
    )


async def test_identical_bodies_share_one_file_until_the_last_entry_goes(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server()
    async with mailer(tmp_path, [srv.account(name="biuro", email="biuro@firma.pl")]) as m:
        outbox = await m.runtime.outbox()
        spool = Spool(tmp_path)
        spool.write(b"Subject: x\r\n\r\n" + b"z" * 2 * MB)
        body = spool.body()
        assert isinstance(body, Body)
        await outbox.insert(entries_for(outbox, [_entry(1, body), _entry(2, body)]))
        body.discard()
        (shared,) = body_files(tmp_path / "data")
        await outbox.cancel(["0000000000000001"], now=datetime.now(UTC))
        assert shared.exists()
        await outbox.cancel(["0000000000000002"], now=datetime.now(UTC))
        assert not shared.exists()


def test_missing_body_file_is_reported_and_fails_its_entry_with_advice(
    tmp_path: Path, smtp_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = smtp_server(size_limit=None)
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    account = srv.account(name="biuro", email="biuro@firma.pl")
    attachment = random_file(tmp_path / "duzy.bin", 2 * MB)

    async def enqueue() -> str:
        async with mailer(tmp_path, [account], max_message_size=None) as m:
            return await m.enqueue(with_file(attachment))

    entry_id = asyncio.run(enqueue())
    (stored,) = body_files(tmp_path / "data")
    stored.unlink()
    code, data = run_cli(capsys, "outbox", "check")
    assert code == 74 and data["ok"] is False and data["missing_bodies"] == [entry_id]
    assert main(["outbox", "check", "--lang", "pl"]) == 74
    out = capsys.readouterr().out
    assert "Brakuje treści 1 wiadomości" in out and entry_id in out
    code, data = run_cli(capsys, "outbox", "backup", str(tmp_path / "kopia.sqlite3"))
    assert code == 74 and data["body_files"] == 0 and data["missing_bodies"] == [entry_id]

    async def flush() -> tuple[Any, str]:
        async with mailer(tmp_path, [account], max_message_size=None) as m:
            await m.flush()
            entry = await m.status(entry_id)
            assert entry.error is not None
            return entry, m.reason(entry.error).advice("pl")

    entry, reason = asyncio.run(flush())
    assert entry.status is Status.FAILED
    assert entry.error.key == "storage.body_missing"
    assert ".bodies" in reason and "mailplug outbox retry" in reason
    assert srv.messages == []


CRASH = r"""
import asyncio, os, signal, sys
from pathlib import Path
from mailplug import AsyncMailer, Attachment, Message
import mailplug_sqlite.store as store

where = sys.argv[2]
original = store.insert

def insert(conn, *args, **kwargs):
    if where == "before-commit":
        os.kill(os.getpid(), signal.SIGKILL)
    out = original(conn, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return out

store.insert = insert
account = {"name": "biuro", "email": "biuro@firma.pl", "transport": "smtp", "auth": None,
           "settings": {"host": "127.0.0.1", "port": 1, "security": "none"}}

async def main():
    async with AsyncMailer([account], data_dir=Path(sys.argv[1]), entry_points=False,
                           max_message_size=None) as m:
        await m.enqueue(Message(to="k@klient.example", subject="x", text="x",
                                attachments=[Attachment(path=sys.argv[3])]))

asyncio.run(main())
"""


@pytest.mark.parametrize("where", ["before-commit", "after-commit"])
def test_kill_between_body_file_and_row_leaves_an_orphan_at_most(
    tmp_path: Path, smtp_server: Any, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    """kill -9 after the body file is written: before the row commits, the file is an
    orphan (reported by check, removed by purge once old); after, the message is
    queued with its file and is sent whole."""
    srv = smtp_server(size_limit=None)
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    attachment = random_file(tmp_path / "duzy.bin", 2 * MB)
    data_dir = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, str(data_dir), where, str(attachment)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    (stored,) = body_files(data_dir)
    code, data = run_cli(capsys, "outbox", "check")
    account = srv.account(name="biuro", email="biuro@firma.pl")
    if where == "before-commit":
        assert code == 0 and data["ok"] and data["orphan_files"] == [str(stored)]

        async def purge() -> None:
            async with mailer(tmp_path, [account]) as m:
                assert await m.waiting() == 0
                outbox = await m.runtime.outbox()
                await outbox.purge(before=datetime.now(UTC), statuses=[Status.SENT])
                assert stored.exists()  # young: an insert may still be about to commit it
                old = time.time() - bodyfiles.ORPHAN_GRACE - 60
                os.utime(stored, (old, old))
                await outbox.purge(before=datetime.now(UTC), statuses=[Status.SENT])

        asyncio.run(purge())
        assert body_files(data_dir) == []
        assert list((bodyfiles.directory(data_dir / "outbox.sqlite3") / "tmp").iterdir()) == []
    else:
        assert code == 0 and data["ok"] and data["orphan_files"] == []

        async def flush() -> int:
            async with mailer(tmp_path, [account], max_message_size=None) as m:
                return (await m.flush()).sent

        assert asyncio.run(flush()) == 1
        (received,) = srv.messages
        assert hashlib.sha256(received.data).hexdigest() == stored.name


def test_backup_copies_and_salvage_keeps_body_files(
    tmp_path: Path, smtp_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = smtp_server(size_limit=None)
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    account = srv.account(name="biuro", email="biuro@firma.pl")
    attachment = random_file(tmp_path / "duzy.bin", 2 * MB)

    async def enqueue() -> None:
        async with mailer(tmp_path, [account], max_message_size=None) as m:
            await m.enqueue(with_file(attachment, subject="duża"))
            await m.enqueue(Message(to="k@klient.example", subject="mała", text="x"))

    asyncio.run(enqueue())
    (stored,) = body_files(tmp_path / "data")
    copy = tmp_path / "kopia" / "outbox.sqlite3"
    code, data = run_cli(capsys, "outbox", "backup", str(copy))
    assert code == 0 and data["body_files"] == 1 and data["missing_bodies"] == []
    copied = bodyfiles.file_of(bodyfiles.directory(copy), stored.name)
    assert copied.read_bytes() == stored.read_bytes()
    assert copied.stat().st_ino != stored.stat().st_ino  # a copy, not a link
    # Salvage of the copy with its first page destroyed: both come back, the big one whole.
    with copy.open("r+b") as f:
        f.write(os.urandom(4096))
    rescued = tmp_path / "uratowany.sqlite3"
    code, data = run_cli(capsys, "outbox", "salvage", str(rescued), "--file", str(copy))
    assert code == 0 and data["rescued_total"] == 2 and data["lost"] == []

    async def flush() -> int:
        async with mailer(tmp_path, [account], outbox_path=rescued, max_message_size=None) as m:
            return (await m.flush()).sent

    assert asyncio.run(flush()) == 2
    big = next(r for r in srv.messages if r.message["Subject"] == "duża")
    assert hashlib.sha256(big.data).hexdigest() == stored.name


async def test_schema_1_outbox_is_migrated_and_keeps_its_mail(
    tmp_path: Path, smtp_server: Any
) -> None:
    """An outbox written before body files (schema 1, as an older mailplug left it, with
    one queued message) opens, migrates to the latest schema and sends its mail."""
    from mailplug_sqlite import schema

    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    path = tmp_path / "data" / "outbox.sqlite3"
    path.parent.mkdir(parents=True)
    data = b"From: biuro@firma.pl\r\nTo: k@klient.example\r\nSubject: stara\r\n"
    data += b"Message-ID: <stara-1@firma.pl>\r\n\r\nTresc.\r\n"
    past = time.time() - 60
    with sqlite3.connect(path) as conn:
        for statement in schema.MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO messages (seq, id, message_id, account, status, created_at, "
            "updated_at, age_from, due_at, subject, sender, to_list, envelope_from, size) "
            "VALUES (1, 'a1b2c3d4e5f60718', '<stara-1@firma.pl>', 'biuro', 'queued', ?, ?, ?, "
            "?, 'stara', 'biuro@firma.pl', '[\"k@klient.example\"]', 'biuro@firma.pl', ?)",
            (past, past, past, past, len(data)),
        )
        conn.execute("INSERT INTO bodies (seq, data) VALUES (1, ?)", (data,))
        conn.execute(
            "INSERT INTO recipients (seq, position, address, status) "
            "VALUES (1, 0, 'k@klient.example', 'pending')"
        )
    async with mailer(tmp_path, [account]) as m:
        assert (await m.flush()).sent == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
    (received,) = srv.messages
    assert received.data == data


def test_bytes_still_work_for_code_that_predates_bodies(tmp_path: Path) -> None:
    assert as_bytes(b"abc") == b"abc"
    entry = _entry(1, Body(random_file(tmp_path / "b", 10), length=10))

    class Old:  # an outbox that does not store bodies
        stores_bodies = False

    (plain,) = entries_for(Old(), [entry])  # type: ignore[arg-type]
    assert plain.data == (tmp_path / "b").read_bytes()


async def test_a_transport_that_does_not_stream_gets_the_bytes(tmp_path: Path) -> None:
    """A transport without ``streams_bodies`` (the memory one) is handed bytes, as before."""
    from mailplug.testing import memory_account
    from mailplug.testing.memory import MemoryTransport

    MemoryTransport.outbox.clear()
    attachment = random_file(tmp_path / "duzy.bin", 2 * MB)
    async with mailer(tmp_path, [memory_account("biuro", "biuro@firma.pl")]) as m:
        await m.enqueue(with_file(attachment))
        (stored,) = body_files(tmp_path / "data")
        assert (await m.flush()).sent == 1
    (sent,) = MemoryTransport.outbox
    assert isinstance(sent.data, bytes)
    assert hashlib.sha256(sent.data).hexdigest() == stored.name
    MemoryTransport.outbox.clear()


async def test_send_now_streams_a_big_message_past_the_outbox(
    tmp_path: Path, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``send`` (no outbox) streams the spool to the server, then the spool is gone."""
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spool))
    srv = smtp_server(size_limit=None)
    account = srv.account(name="biuro", email="biuro@firma.pl")
    attachment = random_file(tmp_path / "duzy.bin", 3 * MB)
    async with mailer(tmp_path, [account], max_message_size=None) as m:
        result = await m.send(with_file(attachment, subject="teraz"))
    assert [r.accepted for r in result.recipients] == [True]
    (received,) = srv.messages
    (part,) = received.message.iter_attachments()
    assert part.get_content() == attachment.read_bytes()
    assert body_files(tmp_path / "data") == []
    assert list(spool.iterdir()) == []


# -- PostgreSQL: big messages in rows of 1 MB ----------------------------------------


async def test_postgresql_keeps_a_big_message_in_chunks_and_sends_it_whole(
    tmp_path: Path, smtp_server: Any, pg_outbox_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from mailplug_postgres.options import parse_location

    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spool))
    srv = smtp_server(size_limit=None)
    account = srv.account(name="biuro", email="biuro@firma.pl")
    attachment = random_file(tmp_path / "duzy.bin", 5 * MB)
    options = parse_location(pg_outbox_url)
    async with mailer(tmp_path, [account], outbox=pg_outbox_url, max_message_size=None) as m:
        entry_id = await m.enqueue(with_file(attachment, subject="duża"))
        assert list(spool.iterdir()) == []
        size = (await m.status(entry_id)).size
        with psycopg.connect(options.conninfo) as conn:
            (data,) = conn.execute(f'SELECT data FROM "{options.schema}".bodies').fetchone()
            chunks = conn.execute(
                f"SELECT count(*), sum(octet_length(data)), max(octet_length(data)) "
                f'FROM "{options.schema}".body_chunks'
            ).fetchone()
        assert bytes(data) == b"" and chunks[1] == size and chunks[2] <= 1 << 20
        assert (await m.flush()).sent == 1
        assert list(spool.iterdir()) == []  # the claim's spool went after sending
        outbox = await m.outbox()
        assert (
            await outbox.purge(before=datetime.now(UTC) + timedelta(days=1), statuses=[Status.SENT])
            == 1
        )
        with psycopg.connect(options.conninfo) as conn:
            left = conn.execute(f'SELECT count(*) FROM "{options.schema}".body_chunks').fetchone()
        assert left == (0,)
    (received,) = srv.messages
    assert len(received.data) == size
    (part,) = received.message.iter_attachments()
    assert part.get_content() == attachment.read_bytes()


@pytest.mark.parametrize("tls", ["starttls", "tls"])
async def test_big_message_over_tls_arrives_whole(
    tmp_path: Path, smtp_server: Any, tls: str
) -> None:
    """The pieces go through the TLS layer's flow control as through a plain socket."""
    srv = smtp_server(tls=tls, size_limit=None)
    account = srv.account(name="biuro", email="biuro@firma.pl")
    attachment = random_file(tmp_path / "duzy.bin", 8 * MB)
    async with mailer(tmp_path, [account], max_message_size=None) as m:
        await m.enqueue(with_file(attachment, subject="tls"))
        (stored,) = body_files(tmp_path / "data")
        assert (await m.flush()).sent == 1
    (received,) = srv.messages
    assert received.tls
    assert hashlib.sha256(received.data).hexdigest() == stored.name


async def test_outbox_move_carries_a_body_file_into_postgresql_chunks(
    tmp_path: Path, smtp_server: Any, pg_outbox_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = smtp_server(size_limit=None)
    account = srv.account(name="biuro", email="biuro@firma.pl")
    attachment = random_file(tmp_path / "duzy.bin", 3 * MB)
    async with mailer(tmp_path, [account], max_message_size=None) as m:  # SQLite
        entry_id = await m.enqueue(with_file(attachment, subject="duża"))
    (stored,) = body_files(tmp_path / "data")
    assert await asyncio.to_thread(main, ["outbox", "move", "--to", pg_outbox_url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["moved"] == 1
    async with mailer(
        tmp_path / "pg", [account], outbox_path=pg_outbox_url, max_message_size=None
    ) as m:
        assert (await m.status(entry_id)).size == stored.stat().st_size
        assert (await m.flush()).sent == 1
    (received,) = srv.messages
    assert hashlib.sha256(received.data).hexdigest() == stored.name


# -- a full disk -------------------------------------------------------------------


@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs mounts are Linux")
@pytest.mark.parametrize("full", ["outbox", "spool"])
async def test_a_full_disk_refuses_a_big_message_and_leaves_nothing(
    tmp_path: Path,
    smtp_server: Any,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    full: str,
) -> None:
    """A body file (or the spool) that does not fit: ``storage.disk_full``, nothing queued,
    no half-written file left."""
    disk: Path = request.getfixturevalue("small_disk")  # a 4 MB tmpfs (root only)
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    attachment = random_file(tmp_path / "duzy.bin", 5 * MB)
    data_dir = disk / "data" if full == "outbox" else tmp_path / "data"
    spool = tmp_path / "spool" if full == "outbox" else disk / "spool"
    spool.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spool))
    async with AsyncMailer(
        [account], data_dir=data_dir, entry_points=False, max_message_size=None
    ) as m:
        with pytest.raises(MailplugError) as caught:
            await m.enqueue(with_file(attachment))
        assert caught.value.key == "storage.disk_full"
        assert caught.value.transient
        assert await m.waiting() == 0
    assert list(spool.iterdir()) == []
    folder = bodyfiles.directory(data_dir / "outbox.sqlite3")
    assert [p for p in folder.rglob("*") if p.is_file()] == []


# -- the connection lost half way through a big message ------------------------------


async def _half_way_server(cut_after: int) -> tuple[asyncio.Server, list[int]]:
    """A real SMTP peer that takes MAIL, RCPT and DATA, then hangs up after
    ``cut_after`` bytes of the message (a server crash, a dropped link)."""
    got: list[int] = []

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 halfway ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-halfway\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go on\r\n")
                await writer.drain()
                size = 0
                while size < cut_after and (chunk := await reader.read(1 << 16)):
                    size += len(chunk)
                got.append(size)
                writer.transport.abort()
                return
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(session, "127.0.0.1", 0)
    return server, got


async def test_connection_lost_half_way_defers_and_the_message_goes_whole_later(
    tmp_path: Path, smtp_server: Any
) -> None:
    """No final dot went out: the server has nothing (not "uncertain"), the entry waits
    with its body file, and a later attempt sends it whole."""
    attachment = random_file(tmp_path / "duzy.bin", 6 * MB)
    server, got = await _half_way_server(2 * MB)
    port = server.sockets[0].getsockname()[1]
    halfway = {
        "name": "biuro",
        "email": "biuro@firma.pl",
        "transport": "smtp",
        "auth": None,
        "settings": {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 10},
    }
    async with server, mailer(tmp_path, [halfway], max_message_size=None) as m:
        entry_id = await m.enqueue(with_file(attachment))
        (stored,) = body_files(tmp_path / "data")
        report = await m.flush()
        entry = await m.status(entry_id)
    assert report.sent == 0 and got and got[0] >= 2 * MB
    assert entry.status is Status.DEFERRED, entry.status
    assert entry.error is not None and entry.error.key == "smtp.disconnected"
    assert stored.exists()
    srv = smtp_server(size_limit=None)
    good = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [good], max_message_size=None) as m:
        # (A lost connection also pauses the account a while: the server is back now.)
        assert await m.resume_account("biuro")
        assert await m.retry(entry_id) == 1
        assert (await m.flush()).sent == 1
    (received,) = srv.messages
    assert hashlib.sha256(received.data).hexdigest() == stored.name


async def test_postgresql_claims_hand_out_few_big_messages_at_a_time(
    tmp_path: Path, pg_outbox_url: str
) -> None:
    """Each big claim is spooled before the claim returns: a claim takes at most
    BIG_PER_CLAIM of them (the rest stay due for the next one), small ones all."""
    from mailplug.testing.outbox_contract import make_entry
    from mailplug_postgres.store import BIG_PER_CLAIM

    async with mailer(tmp_path, [], outbox=pg_outbox_url) as m:
        outbox = await m.outbox()
        bigs = []
        for n in range(BIG_PER_CLAIM + 1):
            spool = Spool(tmp_path)
            spool.write(b"Subject: %d\r\n\r\n" % n + b"y" * (STREAM_THRESHOLD + 10))
            body = spool.body()
            assert isinstance(body, Body)
            bigs.append(replace(make_entry(n), data=body))
        smalls = [make_entry(10 + n) for n in range(3)]
        await outbox.insert([*bigs, *smalls])
        now = datetime.now(UTC) + timedelta(days=3650)  # (make_entry's mail is due in 2031)
        first = await outbox.claim("w1", limit=50, lease=60, now=now)
        sizes = sorted(size_of(c.data) for c in first)
        assert sum(s > STREAM_THRESHOLD for s in sizes) == BIG_PER_CLAIM
        assert len(first) == BIG_PER_CLAIM + len(smalls)
        second = await outbox.claim("w1", limit=50, lease=60, now=now)
        assert len(second) == 1 and size_of(second[0].data) > STREAM_THRESHOLD
        assert as_bytes(second[0].data) == as_bytes(bigs[-1].data)


async def test_big_raw_message_is_kept_as_a_file_and_sent_whole(
    tmp_path: Path, smtp_server: Any
) -> None:
    """``enqueue_raw`` (Django's backend) of big bytes: stored beside the database too."""
    srv = smtp_server(size_limit=None)
    account = srv.account(name="biuro", email="biuro@firma.pl")
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=" * 2 + b"\r\n"
    raw = (
        b"From: biuro@firma.pl\r\nTo: k@klient.example\r\nSubject: surowa\r\n"
        b"Message-ID: <surowa-1@firma.pl>\r\n\r\n" + line * (2 * MB // len(line))
    )
    async with mailer(tmp_path, [account], max_message_size=None) as m:
        await m.enqueue_raw(raw, recipients=["k@klient.example"])
        (stored,) = body_files(tmp_path / "data")
        assert (await m.flush()).sent == 1
    (received,) = srv.messages
    assert received.data == stored.read_bytes()
    assert received.data.endswith(raw[raw.index(b"\r\n\r\n") :])


def test_a_forked_child_leaves_the_parents_spool_alone(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.write(b"x" * (STREAM_THRESHOLD + 1))
    body = spool.body()
    assert isinstance(body, Body)
    pid = os.fork()
    if pid == 0:  # the child: its copy of the body goes, and the process ends normally
        body.discard()
        os._exit(0)
    os.waitpid(pid, 0)
    assert body.path.exists()
    body.discard()
    assert not body.path.exists()


async def test_postgresql_big_message_with_rows_missing_fails_with_advice(
    tmp_path: Path, smtp_server: Any, pg_outbox_url: str
) -> None:
    """Rows of a big message deleted behind the outbox's back: it is never sent cut short."""
    import psycopg

    from mailplug_postgres.options import parse_location

    srv = smtp_server(size_limit=None)
    account = srv.account(name="biuro", email="biuro@firma.pl")
    attachment = random_file(tmp_path / "duzy.bin", 3 * MB)
    options = parse_location(pg_outbox_url)
    async with mailer(tmp_path, [account], outbox=pg_outbox_url, max_message_size=None) as m:
        entry_id = await m.enqueue(with_file(attachment))
        with psycopg.connect(options.conninfo, autocommit=True) as conn:
            conn.execute(f'DELETE FROM "{options.schema}".body_chunks WHERE n = 2')
        await m.flush()
        entry = await m.status(entry_id)
    assert entry.status is Status.FAILED
    assert entry.error is not None and entry.error.key == "storage.body_missing"
    assert srv.messages == []


async def test_a_missing_body_file_fails_its_entry_with_a_transport_that_does_not_stream(
    tmp_path: Path,
) -> None:
    """The memory transport gets bytes: a body file that is gone fails that entry with
    ``storage.body_missing``; the others in the same stream are sent."""
    from mailplug.testing import memory_account
    from mailplug.testing.memory import MemoryTransport

    MemoryTransport.outbox.clear()
    attachment = random_file(tmp_path / "duzy.bin", 2 * MB)
    async with mailer(tmp_path, [memory_account("biuro", "biuro@firma.pl")]) as m:
        big = await m.enqueue(with_file(attachment, subject="duża"))
        small = await m.enqueue(Message(to="k@klient.example", subject="mała", text="x"))
        (stored,) = body_files(tmp_path / "data")
        stored.unlink()
        report = await m.flush()
        entry = await m.status(big)
        assert (await m.status(small)).status is Status.SENT
    assert report.sent == 1
    assert entry.status is Status.FAILED
    assert entry.error is not None and entry.error.key == "storage.body_missing"
    assert [s.message["Subject"] for s in MemoryTransport.outbox] == ["mała"]
    MemoryTransport.outbox.clear()
