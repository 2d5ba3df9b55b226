"""The copy of sent mail in the Sent folder, against a real private Dovecot.

After delivery, never in its way: the copy lands once in the folder marked
``\\Sent`` (or the one set in ``imap.sent_folder``) with ``\\Seen`` and the send
time; with the IMAP server down the message is sent all the same and its copy
waits, then lands once when the server is back; Gmail's preset saves none.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.dovecot_server import Dovecot, available

from mailplug import AsyncMailer, Message, hookimpl
from mailplug.cli import main
from mailplug.config import Config, save_config
from mailplug.copying import BACKOFF, TRIES, save_copies, wants_copy
from mailplug.models import Account
from mailplug.outbox import CopyStatus
from mailplug.status import Status
from mailplug.testing.smtp import SMTPServer

pytestmark = pytest.mark.skipif(not available(), reason="dovecot-imapd is not installed")

USER, PASSWORD = "biuro@example.com", "Sekret-IMAP-9"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot.start({USER: PASSWORD})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BIURO_IMAP_PASSWORD", PASSWORD)
    return "BIURO_IMAP_PASSWORD"


def account(srv: SMTPServer, dovecot: Dovecot, env: str, **imap: Any) -> dict[str, Any]:
    data = srv.account(
        name="biuro",
        email=USER,
        auth="password",
        auth_settings={"username": USER, "password_env": env},
        ca_file=str(dovecot.ca_file),
    )
    data["imap"] = {**dovecot.imap("tls"), **imap}
    return data


async def send_one(mailer: AsyncMailer, subject: str = "Faktura 12/2026") -> str:
    return await mailer.enqueue(
        Message(sender=USER, to=["jan@example.pl"], subject=subject, text="W załączniku faktura.")
    )


def _lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


async def test_copy_lands_once_in_the_special_use_sent_folder(
    smtp_server: Callable[..., SMTPServer], dovecot: Dovecot, password: str, tmp_path: Path
) -> None:
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    async with AsyncMailer([account(srv, dovecot, password)], data_dir=tmp_path) as mailer:
        entry_id = await send_one(mailer)
        report = await mailer.flush()
        assert report.counts == {"sent": 1} and report.copies_wanted == 1
        assert report.copies is not None and report.copies.saved == 1
        entry = await mailer.queue.status(entry_id)
        assert entry.status is Status.SENT and entry.sent_copy is not None
        assert (entry.sent_copy.status, entry.sent_copy.folder) == (CopyStatus.SAVED, "Sent")
        (copy,) = dovecot.messages(USER, "Sent")
        flags, internaldate, raw = copy
        assert "\\Seen" in flags
        # Exactly the bytes the SMTP server received, dated when it was sent.
        assert _lf(raw) == _lf(srv.messages[-1].data)
        assert entry.sent_at is not None
        stamp = datetime.strptime(internaldate, "%d-%b-%Y %H:%M:%S %z")
        assert abs(stamp - entry.sent_at) < timedelta(seconds=1)
        assert dovecot.messages(USER, "INBOX") == []

        # Flushing again (nothing to send, nothing due) saves nothing more.
        again = await mailer.flush()
        assert again.copies is not None and again.copies.tried == 0
        assert len(dovecot.messages(USER, "Sent")) == 1


async def test_copy_lands_in_the_configured_folder(
    smtp_server: Callable[..., SMTPServer], dovecot: Dovecot, password: str, tmp_path: Path
) -> None:
    dovecot.create(USER, "Wyslane-firma")
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    data = account(srv, dovecot, password, sent_folder="Wyslane-firma", save_sent="on")
    async with AsyncMailer([data], data_dir=tmp_path) as mailer:
        entry_id = await send_one(mailer)
        await mailer.flush()
        entry = await mailer.queue.status(entry_id)
        assert entry.sent_copy is not None and entry.sent_copy.folder == "Wyslane-firma"
    assert len(dovecot.messages(USER, "Wyslane-firma")) == 1
    assert dovecot.messages(USER, "Sent") == []


async def test_imap_down_send_succeeds_copy_waits_then_lands_once(
    smtp_server: Callable[..., SMTPServer], dovecot: Dovecot, password: str, tmp_path: Path
) -> None:
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    dovecot.halt()
    async with AsyncMailer([account(srv, dovecot, password)], data_dir=tmp_path) as mailer:
        entry_id = await send_one(mailer)
        report = await mailer.flush()
        # Delivery is untouched by the copy: sent, counted as sent, the copy waits.
        assert report.counts == {"sent": 1} and len(srv.messages) == 1
        assert report.copies is not None and report.copies.retrying == 1
        entry = await mailer.queue.status(entry_id)
        assert entry.status is Status.SENT and entry.error is None
        copy = entry.sent_copy
        assert copy is not None and copy.status is CopyStatus.PENDING and copy.attempts == 1
        assert copy.error is not None and copy.error.key == "check.imap.connect_failed"
        assert copy.next_attempt_at is not None
        assert copy.next_attempt_at - datetime.now(UTC) > timedelta(seconds=BACKOFF[0] - 10)
        reason = mailer.reason(copy.error)
        assert "IMAP" in reason.message("pl") and reason.advice("pl")

        # Not due yet: nothing is tried.
        early = await save_copies(mailer.runtime)
        assert early.tried == 0

        dovecot.resume()
        later = copy.next_attempt_at + timedelta(seconds=1)
        done = await save_copies(mailer.runtime, clock=lambda: later)
        assert done.saved == 1
        entry = await mailer.queue.status(entry_id)
        assert entry.sent_copy is not None and entry.sent_copy.status is CopyStatus.SAVED
        assert entry.sent_copy.attempts == 2 and entry.status is Status.SENT
        assert len(dovecot.messages(USER, "Sent")) == 1
        # Nothing left to do.
        assert (
            await save_copies(mailer.runtime, clock=lambda: later + timedelta(days=1))
        ).tried == 0
    assert len(dovecot.messages(USER, "Sent")) == 1


async def test_retry_after_a_lost_append_reply_saves_no_second_copy(
    smtp_server: Callable[..., SMTPServer], dovecot: Dovecot, password: str, tmp_path: Path
) -> None:
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    dovecot.halt()
    async with AsyncMailer([account(srv, dovecot, password)], data_dir=tmp_path) as mailer:
        entry_id = await send_one(mailer)
        await mailer.flush()
        entry = await mailer.queue.status(entry_id)
        assert entry.sent_copy is not None and entry.sent_copy.status is CopyStatus.PENDING
        dovecot.resume()
        # The APPEND of an earlier try reached the server, its answer did not.
        dovecot.append(USER, srv.messages[-1].data, folder="Sent")
        later = datetime.now(UTC) + timedelta(seconds=BACKOFF[0] + 1)
        done = await save_copies(mailer.runtime, clock=lambda: later)
        assert done.saved == 1
    assert len(dovecot.messages(USER, "Sent")) == 1


async def test_copy_is_given_up_after_the_last_try(
    smtp_server: Callable[..., SMTPServer], dovecot: Dovecot, password: str, tmp_path: Path
) -> None:
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    data = account(srv, dovecot, password, sent_folder="Nie-ma-takiego")
    async with AsyncMailer([data], data_dir=tmp_path) as mailer:
        entry_id = await send_one(mailer)
        await mailer.flush()
        now = datetime.now(UTC)
        for _ in range(TRIES + 2):  # bounded: more rounds than tries
            now += timedelta(seconds=max(BACKOFF) + 1)
            await save_copies(mailer.runtime, clock=lambda when=now: when)
        entry = await mailer.queue.status(entry_id)
        copy = entry.sent_copy
        assert copy is not None and copy.status is CopyStatus.FAILED
        assert copy.attempts == TRIES and entry.status is Status.SENT
        assert copy.error is not None and copy.error.key == "imap.sent.folder_missing"
        assert copy.error.params["folder"] == "Nie-ma-takiego"
        assert "Nie-ma-takiego" in mailer.reason(copy.error).message("pl")


async def test_wrong_password_keeps_the_copy_waiting_and_the_secret_out(
    smtp_server: Callable[..., SMTPServer],
    dovecot: Dovecot,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("BIURO_IMAP_PASSWORD", "zle-haslo-123")
    # The SMTP server takes that password (delivery works), the IMAP server does not.
    srv = smtp_server(users={USER: "zle-haslo-123"}, tls="starttls")
    async with AsyncMailer(
        [account(srv, dovecot, "BIURO_IMAP_PASSWORD")], data_dir=tmp_path
    ) as mailer:
        entry_id = await send_one(mailer)
        report = await mailer.flush()
        assert report.counts == {"sent": 1}
        entry = await mailer.queue.status(entry_id)
    copy = entry.sent_copy
    assert copy is not None and copy.error is not None
    assert copy.error.key == "check.imap.login_failed"
    assert "zle-haslo-123" not in json.dumps(entry.to_dict())


def test_no_folder_marked_sent_and_none_set(
    smtp_server: Callable[..., SMTPServer], password: str, tmp_path: Path
) -> None:
    import asyncio

    server = Dovecot.start({USER: PASSWORD}, special_use=False)
    try:
        srv = smtp_server(users={USER: PASSWORD}, tls="starttls")

        async def run() -> Any:
            async with AsyncMailer([account(srv, server, password)], data_dir=tmp_path) as mailer:
                entry_id = await send_one(mailer)
                await mailer.flush()
                return await mailer.queue.status(entry_id)

        entry = asyncio.run(run())
    finally:
        server.stop()
    assert entry.sent_copy is not None and entry.sent_copy.error is not None
    assert entry.sent_copy.error.key == "imap.sent.no_folder"


async def test_gmail_preset_saves_no_copy(
    smtp_server: Callable[..., SMTPServer], password: str, tmp_path: Path
) -> None:
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    data = srv.account(name="gmail", email=USER, auth=None)
    # Gmail's IMAP server: its SMTP server puts every sent message in "Sent Mail" itself.
    data["imap"] = {"host": "imap.gmail.com", "port": 993, "security": "tls"}
    async with AsyncMailer([data], data_dir=tmp_path) as mailer:
        assert not wants_copy(mailer.runtime, mailer.runtime.accounts["gmail"])
        entry_id = await send_one(mailer)
        report = await mailer.flush()
        assert report.counts == {"sent": 1} and report.copies_wanted == 0
        assert (await mailer.queue.status(entry_id)).sent_copy is None


async def test_save_sent_follows_presets_and_settings(tmp_path: Path) -> None:
    runtime = AsyncMailer([], data_dir=tmp_path).runtime
    base = {"name": "a", "email": USER, "auth": None}

    def wants(settings: dict[str, Any], **imap: Any) -> bool:
        acc = Account.model_validate({**base, "settings": settings, "imap": imap or None})
        return wants_copy(runtime, acc)

    m365 = {"host": "smtp.office365.com", "port": 587}
    assert not wants(m365, host="outlook.office365.com")
    assert not wants({"host": "smtp.gmail.com"}, host="imap.gmail.com")
    assert wants({"host": "smtp.gmail.com"}, host="imap.gmail.com", save_sent=True)
    assert wants({"host": "mail.firma.pl"}, host="mail.firma.pl")
    assert wants({"host": "smtp.home.pl"}, host="imap.home.pl", save_sent="auto")
    assert not wants({"host": "mail.firma.pl"}, host="mail.firma.pl", save_sent="off")
    assert not wants({"host": "mail.firma.pl"})  # no IMAP settings: nowhere to save


async def test_worker_saves_the_copy_beside_sending(
    smtp_server: Callable[..., SMTPServer], dovecot: Dovecot, password: str, tmp_path: Path
) -> None:
    import asyncio

    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    async with AsyncMailer([account(srv, dovecot, password)], data_dir=tmp_path) as mailer:
        stop = asyncio.Event()
        worker = asyncio.create_task(mailer.work(stop=stop, poll_interval=0.1))
        try:
            entry_id = await send_one(mailer)
            for _ in range(200):  # bounded: 20 s at most
                entry = await mailer.queue.status(entry_id)
                if entry.sent_copy is not None and entry.sent_copy.status is CopyStatus.SAVED:
                    break
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await asyncio.wait_for(worker, 30)
        assert entry.status is Status.SENT and entry.sent_copy is not None
        assert entry.sent_copy.status is CopyStatus.SAVED
    assert len(dovecot.messages(USER, "Sent")) == 1


def test_outbox_list_and_show_tell_the_copy_failed(
    smtp_server: Callable[..., SMTPServer],
    dovecot: Dovecot,
    password: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    config = Path(os.environ["MAILPLUG_CONFIG"])
    dovecot.halt()
    acc = Account.model_validate(account(srv, dovecot, password))
    save_config(Config(path=config, accounts=[acc]))
    assert (
        main(
            [
                "send",
                "--account",
                "biuro",
                "--to",
                "jan@example.pl",
                "--subject",
                "Faktura",
                "--text",
                "x",
            ]
        )
        == 0
    )
    main(["--lang", "pl", "outbox", "flush"])
    assert "Kopie w folderze Wysłane: zapisane 0, do ponowienia 1" in capsys.readouterr().out
    assert main(["--lang", "pl", "outbox", "list"]) == 0
    out = capsys.readouterr().out
    assert "wysłano" in out and "Kopia w folderze Wysłane" in out
    assert main(["--lang", "pl", "outbox", "list", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["entries"]
    assert entry["status"] == "sent" and entry["sent_copy"]["status"] == "pending"
    assert entry["sent_copy"]["error"]["key"] == "check.imap.connect_failed"
    assert entry["sent_copy"]["status_text"].startswith("jeszcze niezapisana")
    assert any("Kopia w folderze Wysłane" in n for n in entry["notes"])
    assert main(["--lang", "pl", "status", entry["id"]]) == 0
    shown = capsys.readouterr().out
    assert "Kopia w folderze Wysłane: jeszcze niezapisana" in shown
    assert "Co zrobić" in shown or "zrobić" in shown


async def test_full_mailbox_is_the_quota_key_and_the_copy_waits(
    smtp_server: Callable[..., SMTPServer], password: str, tmp_path: Path
) -> None:
    server = Dovecot.start({USER: PASSWORD}, quota_kb=1)
    try:
        srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
        async with AsyncMailer([account(srv, server, password)], data_dir=tmp_path) as mailer:
            entry_id = await mailer.enqueue(
                Message(sender=USER, to=["jan@example.pl"], subject="Duża", text="x" * 4000)
            )
            report = await mailer.flush()
            assert report.counts == {"sent": 1}
            entry = await mailer.queue.status(entry_id)
        assert server.messages(USER, "Sent") == []
    finally:
        server.stop()
    copy = entry.sent_copy
    assert copy is not None and copy.status is CopyStatus.PENDING
    assert copy.error is not None and copy.error.key == "imap.sent.quota"
    assert "pełna" in mailer.reason(copy.error).message("pl")


async def test_postgres_outbox_copy_waits_for_imap_then_lands_once(
    smtp_server: Callable[..., SMTPServer],
    dovecot: Dovecot,
    password: str,
    tmp_path: Path,
    pg_outbox_url: str,
) -> None:
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    dovecot.halt()
    async with AsyncMailer(
        [account(srv, dovecot, password)], data_dir=tmp_path, outbox_path=pg_outbox_url
    ) as mailer:
        entry_id = await send_one(mailer)
        report = await mailer.flush()
        assert report.counts == {"sent": 1}
        assert report.copies is not None and report.copies.retrying == 1
        entry = await mailer.queue.status(entry_id)
        assert entry.sent_copy is not None and entry.sent_copy.status is CopyStatus.PENDING
        assert entry.sent_copy.error is not None
        assert entry.sent_copy.error.key == "check.imap.connect_failed"
        dovecot.resume()
        later = datetime.now(UTC) + timedelta(seconds=BACKOFF[0] + 1)
        assert (await save_copies(mailer.runtime, clock=lambda: later)).saved == 1
        copy = (await mailer.queue.status(entry_id)).sent_copy
        assert copy is not None and copy.status is CopyStatus.SAVED
    assert len(dovecot.messages(USER, "Sent")) == 1


class _BrokenCopier:
    """A third-party copier with a bug (registered first, it replaces the built-in one)."""

    @hookimpl
    def mailplug_register_sent_copiers(self, register: Any) -> None:
        async def copier(account: Any, copies: Any, **_: Any) -> Any:
            raise RuntimeError("oops")

        register("imap", copier)


async def test_a_broken_copier_never_touches_delivery(
    smtp_server: Callable[..., SMTPServer], tmp_path: Path
) -> None:
    srv = smtp_server()
    data = srv.account(name="biuro", email=USER)
    data["imap"] = {"host": "127.0.0.1", "port": 1, "security": "tls"}
    async with AsyncMailer(
        [data], data_dir=tmp_path, entry_points=False, plugins=[_BrokenCopier()]
    ) as mailer:
        entry_id = await send_one(mailer)
        report = await mailer.flush()
        assert report.counts == {"sent": 1} and len(srv.messages) == 1
        entry = await mailer.queue.status(entry_id)
    assert entry.status is Status.SENT and entry.error is None
    copy = entry.sent_copy
    assert copy is not None and copy.status is CopyStatus.PENDING
    assert copy.error is not None and copy.error.key == "outbox.sent_copy_bug"
    assert "oops" in mailer.reason(copy.error).message("en")


# -- direct sends (send(), send --now): one try right after delivery ----------------


def _send_now(*extra: str) -> int:
    argv = ["--lang", "pl", "send", "--now", "--account", "biuro", "--to", "jan@example.pl"]
    return main([*argv, "--subject", "Faktura", "--text", "x", *extra])


def test_send_now_saves_the_copy_once_and_says_where(
    smtp_server: Callable[..., SMTPServer],
    dovecot: Dovecot,
    password: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    acc = Account.model_validate(account(srv, dovecot, password))
    save_config(Config(path=Path(os.environ["MAILPLUG_CONFIG"]), accounts=[acc]))
    assert _send_now() == 0
    out = capsys.readouterr().out
    assert "Kopię zapisano w folderze „Sent”." in out
    (copy,) = dovecot.messages(USER, "Sent")
    assert _lf(copy[2]) == _lf(srv.messages[-1].data) and "\\Seen" in copy[0]
    assert _send_now("--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sent_copy"]["status"] == "saved" and data["sent_copy"]["folder"] == "Sent"
    assert len(dovecot.messages(USER, "Sent")) == 2  # one copy per message sent


def test_direct_send_with_imap_down_is_sent_and_says_the_copy_is_not_saved(
    smtp_server: Callable[..., SMTPServer],
    dovecot: Dovecot,
    password: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    data = account(srv, dovecot, password)

    async def send() -> Any:
        async with AsyncMailer([data], outbox=None, data_dir=tmp_path) as mailer:
            return await mailer.send(
                Message(sender=USER, to=["jan@example.pl"], subject="Faktura", text="x")
            )

    dovecot.halt()
    try:
        result = asyncio.run(send())
        assert [r.address for r in result.accepted] == ["jan@example.pl"]
        copy = result.details["sent_copy"]
        assert copy.status is CopyStatus.FAILED and copy.error is not None
        assert copy.error.key == "check.imap.connect_failed"
        assert len(srv.messages) == 1
        acc = Account.model_validate(data)
        save_config(Config(path=Path(os.environ["MAILPLUG_CONFIG"]), accounts=[acc]))
        assert _send_now() == 0  # the message went: the copy's failure is not the send's
        out = capsys.readouterr().out
        assert "Nie zapisano kopii w folderze Wysłane:" in out
        assert "zapis kopii nie zostanie ponowiony" in out and PASSWORD not in out
    finally:
        dovecot.resume()
    assert dovecot.messages(USER, "Sent") == []
