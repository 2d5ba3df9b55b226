"""``bounces fetch`` against a real Dovecot: fetch → match → states → events, idempotence."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.dovecot_server import Dovecot, available
from tests.test_tracking import dsn, receipt

from mailplug import AsyncMailer, Message
from mailplug.cli import main
from mailplug.config import Config, save_config
from mailplug.errors import MailplugError
from mailplug.events import StatusEvent
from mailplug.models import Account
from mailplug.outbox import RecipientStatus
from mailplug.status import Status
from mailplug.testing.smtp import SMTPServer
from mailplug_imap.fetch import fetch_reports

pytestmark = pytest.mark.skipif(not available(), reason="dovecot-imapd is not installed")

USER, PASSWORD = "biuro@example.com", "Sekret-IMAP-9"
CORPUS = Path(__file__).parent / "corpus" / "reports" / "messages"


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


def account(srv: SMTPServer, dovecot: Dovecot, env: str, security: str = "tls") -> dict[str, Any]:
    data = srv.account(
        name="biuro",
        email=USER,
        auth="password",
        auth_settings={"username": USER, "password_env": env},
        ca_file=str(dovecot.ca_file),
    )
    data["imap"] = dovecot.imap(security)
    return data


async def sent(mailer: AsyncMailer, srv: SMTPServer) -> tuple[str, str, bytes]:
    entry_id = await mailer.enqueue(
        Message(
            sender=USER,
            to=["jan@example.pl", "anna@example.pl"],
            subject="Faktura 12/2026",
            text="W załączniku faktura.",
        )
    )
    await mailer.flush()
    entry = await mailer.queue.status(entry_id)
    assert entry.status is Status.SENT
    return entry_id, entry.message_id, srv.messages[-1].data


async def test_fetch_records_bounce_and_receipt_once(
    smtp_server: Callable[..., SMTPServer], dovecot: Dovecot, password: str, tmp_path: Path
) -> None:
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    events: list[StatusEvent] = []
    async with AsyncMailer(
        [account(srv, dovecot, password)], data_dir=tmp_path, on_status=events.append
    ) as mailer:
        entry_id, message_id, data = await sent(mailer, srv)
        dovecot.append(USER, dsn(data, ("jan@example.pl", "failed", "550 5.1.1 User unknown")))
        dovecot.append(USER, receipt(message_id, "anna@example.pl", "displayed"))
        dovecot.append(USER, (CORPUS / "sieve/vacation-default-subject.eml").read_bytes())
        forged = (CORPUS / "hostile/forged-report-unknown-message-id.eml").read_bytes()
        dovecot.append(USER, forged)
        dovecot.append(USER, (CORPUS / "none/meeting-accepted.eml").read_bytes())
        before = len(events)

        result = await fetch_reports(mailer, "biuro")
        assert result.examined == 5
        assert len(result.reports) == 4  # the meeting reply is ordinary mail
        entry = await mailer.queue.status(entry_id)
        assert entry.status is Status.PARTIALLY_BOUNCED
        states = {r.address: r for r in entry.recipients}
        assert states["jan@example.pl"].status is RecipientStatus.BOUNCED
        assert states["jan@example.pl"].error is not None
        assert states["jan@example.pl"].error.key == "smtp.recipient.unknown"
        assert states["anna@example.pl"].status is RecipientStatus.READ
        assert [e.details["recipient_status"] for e in events[before:]] == ["bounced", "read"]
        assert [r["unmatched"] for r in result.unmatched] == ["unknown-message"]
        flags = dovecot.flags(USER)
        assert sum("$MailplugProcessed" in f for f in flags) == 4
        assert "\\Seen" not in flags[-1]  # ordinary mail stays as it was

        # Again: processed reports are not fetched (only the ordinary mail is looked at
        # again), nothing is recorded, no event fires.
        count = len(events)
        again = await fetch_reports(mailer, "biuro")
        assert (again.examined, again.reports, len(events)) == (1, [], count)
        assert (await mailer.queue.status(entry_id)).status is Status.PARTIALLY_BOUNCED


async def test_starttls_dry_run_changes_nothing(
    smtp_server: Callable[..., SMTPServer], dovecot: Dovecot, password: str, tmp_path: Path
) -> None:
    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    async with AsyncMailer(
        [account(srv, dovecot, password, security="starttls")], data_dir=tmp_path
    ) as mailer:
        entry_id, _, data = await sent(mailer, srv)
        dovecot.append(USER, dsn(data, ("anna@example.pl", "failed", "552 5.2.2 Mailbox full")))
        result = await fetch_reports(mailer, "biuro", dry_run=True)
        assert result.examined == 1 and result.reports[0]["entry_id"] == entry_id
        assert result.changes == 0 and result.marked == []
        assert (await mailer.queue.status(entry_id)).status is Status.SENT
        assert "$MailplugProcessed" not in dovecot.flags(USER)[0]


async def test_wrong_password_is_the_imap_login_key(
    smtp_server: Callable[..., SMTPServer],
    dovecot: Dovecot,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("BIURO_IMAP_PASSWORD", "wrong")
    srv = smtp_server()
    async with AsyncMailer(
        [account(srv, dovecot, "BIURO_IMAP_PASSWORD")], data_dir=tmp_path
    ) as mailer:
        with pytest.raises(MailplugError) as caught:
            await fetch_reports(mailer, "biuro")
    assert caught.value.key == "check.imap.login_failed"
    assert "wrong" not in str(caught.value) and "wrong" not in repr(caught.value)


async def test_untrusted_certificate_is_refused(
    smtp_server: Callable[..., SMTPServer], dovecot: Dovecot, password: str, tmp_path: Path
) -> None:
    srv = smtp_server()
    data = account(srv, dovecot, password)
    data["settings"].pop("ca_file", None)  # the system store does not know the test CA
    async with AsyncMailer([data], data_dir=tmp_path) as mailer:
        with pytest.raises(MailplugError) as caught:
            await fetch_reports(mailer, "biuro")
    assert caught.value.key == "check.imap.tls_failed"


def test_cli_fetch_json(
    smtp_server: Callable[..., SMTPServer],
    dovecot: Dovecot,
    password: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os

    srv = smtp_server()
    config = Path(os.environ["MAILPLUG_CONFIG"])
    save_config(
        Config(path=config, accounts=[Account.model_validate(account(srv, dovecot, password))])
    )
    dovecot.append(USER, (CORPUS / "hostile/forged-report-unknown-message-id.eml").read_bytes())
    assert main(["--lang", "pl", "bounces", "fetch", "biuro", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["examined"] == 1 and out["reports"][0]["unmatched"] == "unknown-message"
    assert main(["--lang", "pl", "bounces", "fetch", "biuro"]) == 0
    assert "raporty: 0" in capsys.readouterr().out


async def test_watch_wakes_on_new_mail_with_idle(
    smtp_server: Callable[..., SMTPServer], dovecot: Dovecot, password: str, tmp_path: Path
) -> None:
    import asyncio

    from mailplug_imap.fetch import watch_reports

    srv = smtp_server(users={USER: PASSWORD}, tls="starttls")
    async with AsyncMailer([account(srv, dovecot, password)], data_dir=tmp_path) as mailer:
        entry_id, _, data = await sent(mailer, srv)
        first = asyncio.Event()
        # every=300 (IDLE waits at most 30 s): the 25 s bound below needs the IDLE wake-up.
        task = asyncio.create_task(
            watch_reports(mailer, "biuro", every=300, cycles=2, on_result=lambda _: first.set())
        )
        await asyncio.wait_for(first.wait(), 30)
        await asyncio.sleep(0.5)  # the session is idling now
        bounce = dsn(data, ("jan@example.pl", "failed", "550 5.1.1 User unknown"))
        await asyncio.to_thread(dovecot.append, USER, bounce)
        results = await asyncio.wait_for(task, 25)
        assert results[0].idled and results[0].examined == 0
        assert results[1].reports[0]["entry_id"] == entry_id
        assert (await mailer.queue.status(entry_id)).status is Status.PARTIALLY_BOUNCED
