"""Messages, addresses, attachments and accounts: validation before anything is sent."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailplug import Account, Address, AsyncMailer, Attachment, Message
from mailplug.errors import (
    ConfigurationError,
    FileError,
    MessageError,
)
from mailplug.testing import MemoryTransport, memory_account


def test_address_forms_and_idn() -> None:
    a = Address.parse("Jan Kowalski <jan@example.pl>")
    assert (a.name, a.email) == ("Jan Kowalski", "jan@example.pl")
    idn = Address.parse("ala@żółw.pl")
    assert idn.ascii_email == "ala@xn--w-uga1v8h.pl"
    assert not idn.needs_smtputf8
    utf = Address.parse("łukasz@example.pl")
    assert utf.needs_smtputf8
    assert Address.parse("A@Example.PL").key() == "A@example.pl"


@pytest.mark.parametrize(
    "bad", ["no-at-sign", "a@", "@b.pl", "a b@c.pl", "a@-bad-.pl", "a@localhost", "a@@b.pl"]
)
def test_invalid_addresses_name_the_field(bad: str) -> None:
    with pytest.raises(MessageError) as info:
        Message(to=["ok@example.com", bad], subject="x")
    assert info.value.key == "message.invalid_address"
    assert info.value.params["field"] == "to"
    assert bad.strip() in info.value.message("en")
    assert "nie jest prawidłowym adresem e-mail" in info.value.message("pl")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject": "Hi\r\nBcc: victim@example.com"}, "subject"),
        ({"to": "Eve\n <e@example.com>"}, "to"),
        ({"headers": {"X-Tag": "a\nb"}}, "X-Tag"),
        ({"sender": "Ann\r <a@example.com>"}, "from"),
        ({"attachments": [{"content": b"x", "filename": "a\nb.txt"}]}, "attachments.filename"),
        ({"message_id": "<a@b>\r\nX: y"}, "message-id"),
    ],
)
def test_line_breaks_in_any_header_are_refused(
    kwargs: dict[str, object], field: str | None
) -> None:
    base: dict[str, object] = {"to": "a@example.com"}
    base.update(kwargs)
    with pytest.raises(MessageError) as info:
        Message(**base)  # type: ignore[arg-type]
    assert info.value.key == "message.header_injection"
    if field:
        assert info.value.params["field"] == field
    assert "zawiera znak nowego wiersza" in info.value.message("pl")


def test_reserved_headers_must_use_their_fields() -> None:
    with pytest.raises(MessageError) as info:
        Message(to="a@example.com", headers={"Bcc": "x@example.com"})
    assert info.value.key == "message.invalid"


def test_message_id_fixed_at_creation_and_send_at_utc() -> None:
    m = Message(sender="a@firma.pl", to="b@example.com", send_at=datetime(2030, 1, 1, 12))
    assert m.message_id.startswith("<") and m.message_id.endswith("@firma.pl>")
    assert m.model_copy().message_id == m.message_id
    assert m.send_at is not None and m.send_at.tzinfo is UTC
    assert Message(to="b@example.com", message_id="abc@x").message_id == "<abc@x>"


def test_recipients_deduplicated_and_bcc_hidden_from_repr() -> None:
    m = Message(to="a@example.com", cc="A@EXAMPLE.com", bcc="secret@example.com")
    assert [r.email for r in m.recipients] == ["a@example.com", "secret@example.com"]
    assert "secret@example.com" not in repr(m)


async def test_empty_recipient_list_is_refused_before_sending() -> None:
    MemoryTransport.outbox.clear()
    async with AsyncMailer([memory_account()], outbox=None, entry_points=False) as mailer:
        with pytest.raises(MessageError) as info:
            await mailer.send(Message(subject="nobody"))
    assert info.value.key == "message.no_recipients"
    assert info.value.message("pl") == "Wiadomość nie ma odbiorców."
    assert MemoryTransport.outbox == []


async def test_missing_attachment_names_the_file_and_sends_nothing(tmp_path: Path) -> None:
    MemoryTransport.outbox.clear()
    missing = tmp_path / "faktura.pdf"
    msg = Message(to="a@example.com", attachments=[Attachment(path=missing)])
    async with AsyncMailer([memory_account()], outbox=None, entry_points=False) as mailer:
        with pytest.raises(FileError) as info:
            await mailer.send(msg)
    err = info.value
    assert err.key == "file.missing" and err.category == "file"
    assert str(missing) in err.message("pl")
    assert err.message("pl").startswith("Problem z plikiem e-mail")
    # A missing file is not helped by a restart: the advice says where to look.
    assert "zrestartuj" not in err.advice("pl").lower()
    assert "nazwę pliku" in err.advice("pl")
    assert MemoryTransport.outbox == []


async def test_unreadable_attachment_directory(tmp_path: Path) -> None:
    msg = Message(to="a@example.com", attachments=[Attachment(path=tmp_path)])
    async with AsyncMailer([memory_account()], outbox=None, entry_points=False) as mailer:
        with pytest.raises(FileError) as info:
            await mailer.send(msg)
    assert info.value.params["file"] == str(tmp_path)


async def test_locked_attachment(tmp_path: Path) -> None:
    target = tmp_path / "locked.docx"
    target.write_bytes(b"data")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl,sys,time\n"
            f"f=open({str(target)!r},'rb'); fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('locked', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"locked"
        msg = Message(to="a@example.com", attachments=[Attachment(path=target)])
        async with AsyncMailer([memory_account()], outbox=None, entry_points=False) as mailer:
            with pytest.raises(FileError) as info:
                await mailer.send(msg)
        assert info.value.key == "file.locked"
    finally:
        holder.kill()
        holder.wait(timeout=10)
    # Once the other program lets go, the same file is fine.
    with open(target, "rb") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
    assert time.monotonic() > 0


def test_account_settings_errors_name_the_field() -> None:
    with pytest.raises(ConfigurationError) as info:
        Account.model_validate({"name": "biuro", "email": "biuro@firma.pl", "colour": "red"})
    err = info.value
    assert err.key == "account.invalid_settings"
    assert err.params["field"] == "colour"
    assert err.message("pl").startswith(
        "Nieprawidłowe lub niekompletne ustawienia konta pocztowego"
    )
    with pytest.raises(ConfigurationError) as info2:
        Account.model_validate({"name": "biuro"})
    assert info2.value.params["field"] == "email"


def test_account_repr_and_public_dict_hide_secrets() -> None:
    acc = Account.model_validate(
        {
            "name": "biuro",
            "email": "biuro@firma.pl",
            "settings": {"host": "smtp.firma.pl", "api_token": "tok-123"},
            "auth_settings": {"username": "biuro", "password": "hunter2"},
        }
    )
    assert "hunter2" not in repr(acc) and "tok-123" not in repr(acc)
    dumped = str(acc.public_dict())
    assert "hunter2" not in dumped and "tok-123" not in dumped
    assert acc.public_dict()["auth_settings"]["username"] == "biuro"


def test_account_auth_none_from_toml_string() -> None:
    acc = Account.model_validate({"name": "x", "email": "x@example.com", "auth": "none"})
    assert acc.auth is None


def test_invalid_message_sentence_has_no_pydantic_english() -> None:
    from mailplug.errors import MessageError

    with pytest.raises(MessageError) as info:
        Message(to="a@example.com", subject="x", send_at="yesterday-ish")  # type: ignore[arg-type]
    err = info.value
    assert err.key == "message.invalid"
    polish = err.message("pl")
    assert "„Wyślij o”" in polish and "musi być datą z godziną" in polish
    assert "Input should" not in polish and "valid datetime" not in polish
    assert "must be a date and time" in err.message("en")


def test_field_names_in_message_errors_are_the_users_words() -> None:
    from mailplug.errors import MessageError

    with pytest.raises(MessageError) as info:
        Message(to="bad address", subject="x")
    err = info.value
    assert "w polu „Do”" in err.message("pl") and "w polu to" not in err.message("pl")
    assert "field To" in err.message("en")
