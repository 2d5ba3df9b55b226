"""Bad input is refused up front, with a key, never blocking and never a traceback.

Real named pipes, real bytes in other character sets through a real ``mailplug``
subprocess's standard input, and accounts whose settings cannot work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import mailer
from tests.test_cli_outbox import write_accounts

from mailplug import Attachment, Message
from mailplug.errors import ConfigurationError, FileError, MessageError

POLISH = "Zażółć gęślą jaźń - faktura nr 7"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    yield path


def run(tmp_path: Path, *argv: str, stdin: bytes = b"") -> tuple[int, Any]:
    env = {**os.environ, "LANG": "C.UTF-8"}
    done = subprocess.run(
        [sys.executable, "-m", "mailplug", *argv, "--json"],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=60,  # a read that blocks would otherwise hang the run
    )
    out = done.stdout.decode("utf-8")
    assert "Traceback" not in done.stderr.decode("utf-8", "replace")
    return done.returncode, json.loads(out) if out.strip() else None


@pytest.fixture
def accounts(tmp_path: Path, smtp_server: Any) -> Any:
    srv = smtp_server()
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    return srv


SEND = ("send", "--to", "jan@example.com", "--subject", "Faktura")


@needs_fifo
@pytest.mark.timeout(60)
def test_a_named_pipe_is_refused_as_attachment_html_and_config(
    tmp_path: Path, fifo: Path, accounts: Any
) -> None:
    code, data = run(tmp_path, *SEND, "--text", "x", "--attach", str(fifo))
    assert code == 66 and data["error"]["key"] == "file.not_regular"
    code, data = run(tmp_path, *SEND, "--html", str(fifo))
    assert code == 66 and data["error"]["key"] == "file.not_regular"
    code, data = run(tmp_path, *SEND, "--text", "x", "--config", str(fifo))
    assert code == 78 and data["error"]["key"] == "config.unreadable"


@needs_fifo
@pytest.mark.timeout(60)
async def test_attachment_from_a_named_pipe_is_refused_by_the_api(
    tmp_path: Path, fifo: Path
) -> None:
    account = {"name": "biuro", "email": "biuro@firma.pl", "transport": "memory"}
    async with mailer(tmp_path, [account]) as m:
        with pytest.raises(FileError) as info:
            await m.enqueue(
                Message(to="jan@example.com", subject="x", attachments=[Attachment(path=fifo)])
            )
        assert info.value.key == "file.not_regular"
        assert "potok" in info.value.message("pl")
        assert await m.waiting() == 0


@pytest.mark.parametrize("charset", ["windows-1250", "iso-8859-2", "utf-16"])
def test_stdin_in_another_charset_is_decoded_as_declared_or_refused(
    tmp_path: Path, accounts: Any, charset: str
) -> None:
    raw = (POLISH + "\n").encode(charset)
    if charset != "utf-16":  # (UTF-16 carries a byte-order mark: recognised without help)
        code, data = run(tmp_path, *SEND, "--text", "-", stdin=raw)
        assert code == 65 and data["error"]["key"] == "message.undecodable"
    extra = ("--charset", charset) if charset != "utf-16" else ()
    code, data = run(tmp_path, *SEND, "--text", "-", *extra, stdin=raw)
    assert code == 0 and data["status"] == "queued", data
    code, _ = run(tmp_path, "outbox", "flush")
    assert code == 0
    (received,) = accounts.messages
    assert received.message.get_body(("plain",)).get_content().strip() == POLISH


def test_an_html_file_declares_its_charset_or_is_refused(tmp_path: Path, accounts: Any) -> None:
    declared = tmp_path / "declared.html"
    declared.write_bytes(
        f'<html><head><meta charset="iso-8859-2"></head><body><p>{POLISH}</p></body></html>'.encode(
            "iso-8859-2"
        )
    )
    undeclared = tmp_path / "undeclared.html"
    undeclared.write_bytes(f"<p>{POLISH}</p>".encode("windows-1250"))
    code, data = run(tmp_path, *SEND, "--html", str(undeclared))
    assert code == 65 and data["error"]["key"] == "message.undecodable"
    code, data = run(tmp_path, *SEND, "--html", str(undeclared), "--charset", "cp1250")
    assert code == 0, data
    code, data = run(tmp_path, *SEND, "--html", str(declared))
    assert code == 0, data
    code, _ = run(tmp_path, "outbox", "flush")
    assert code == 0
    bodies = [r.message.get_body(("html",)).get_content() for r in accounts.messages]
    assert len(bodies) == 2 and all(POLISH in b for b in bodies)


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"text": "Dzień dobry \udcc5\udc82"}, "text"),
        ({"subject": "Faktura \ud800"}, "subject"),
        ({"text": "x", "html": "<p>\udfff</p>"}, "html"),
    ],
)
async def test_lone_surrogates_are_a_message_error(
    tmp_path: Path, fields: dict[str, str], where: str
) -> None:
    account = {"name": "biuro", "email": "biuro@firma.pl", "transport": "memory"}
    fields = {"subject": "x", **fields}
    async with mailer(tmp_path, [account]) as m:
        with pytest.raises(MessageError) as info:
            await m.enqueue(Message(to="jan@example.com", **fields))
        with pytest.raises(MessageError):
            await m.send(Message(to="jan@example.com", **fields))
    assert info.value.key == "message.invalid_text"
    assert info.value.params["field"] == where


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"settings": {"host": "smtp.example.com", "port": "abc"}}, "account.invalid_settings"),
        ({"settings": {"host": "smtp.example.com", "port": 99999}}, "account.invalid_settings"),
        ({"settings": {"port": 587}}, "account.invalid_settings"),
        ({"transport": "pigeon"}, "account.transport_unknown"),
        ({"auth": "telepathy"}, "account.auth_unknown"),
    ],
)
async def test_an_account_that_cannot_work_takes_no_mail_unless_asked(
    tmp_path: Path, change: dict[str, Any], key: str
) -> None:
    account = {
        "name": "biuro",
        "email": "biuro@firma.pl",
        "auth": "none",
        "settings": {"host": "smtp.example.com"},
        **change,
    }
    message = Message(to="jan@example.com", subject="x", text="y")
    async with mailer(tmp_path, [account]) as m:
        with pytest.raises(ConfigurationError) as info:
            await m.enqueue(message)
        assert info.value.key == key
        assert await m.waiting() == 0
        # The host knows and will fix the account before sending.
        await m.enqueue(message, allow_unready_account=True)
        assert await m.waiting() == 1


def test_cli_send_for_an_account_that_cannot_work_exits_78(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server()
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv, port=99999)
    code, data = run(tmp_path, *SEND, "--text", "x")
    assert code == 78 and data["error"]["key"] == "account.invalid_settings"
    code, data = run(tmp_path, "outbox", "count")
    assert code == 0


async def test_a_message_over_the_size_limit_is_refused_before_it_is_stored(
    tmp_path: Path,
) -> None:
    account = {"name": "biuro", "email": "biuro@firma.pl", "transport": "memory"}
    huge = tmp_path / "film.mp4"
    with huge.open("wb") as f:
        f.truncate(4_000_000_000)  # sparse: refused by its size, never read into memory
    async with mailer(tmp_path, [account]) as m:
        with pytest.raises(MessageError) as info:
            await m.enqueue(
                Message(to="jan@example.com", subject="x", attachments=[Attachment(path=huge)])
            )
        assert info.value.key == "message.too_big"
        # Before: "35.0 MB" in every language (a raw format, not babel's).
        assert "more than the 33.4\u00a0MB allowed" in info.value.message("en")
        assert "więcej niż dozwolone 33,4\u00a0MB" in info.value.message("pl")
        assert "za duża: 5\u00a0GB" in info.value.message("pl")  # base64 of 4 GB
        assert await m.waiting() == 0
    async with mailer(tmp_path, [account], max_message_size=100_000) as m:
        with pytest.raises(MessageError) as info:
            await m.enqueue(Message(to="jan@example.com", subject="x", text="y" * 150_000))
        assert info.value.key == "message.too_big"
        await m.enqueue(Message(to="jan@example.com", subject="x", text="y" * 50_000))
        assert await m.waiting() == 1


def test_cli_send_of_a_too_big_attachment_exits_65(tmp_path: Path, accounts: Any) -> None:
    huge = tmp_path / "backup.tar"
    with huge.open("wb") as f:
        f.truncate(1_000_000_000)
    code, data = run(tmp_path, *SEND, "--text", "x", "--attach", str(huge))
    assert code == 65 and data["error"]["key"] == "message.too_big"
