"""Bounce tracking: reports matched to a real SQLite outbox after a real SMTP send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from mailplug import AsyncMailer, Message
from mailplug.events import StatusEvent
from mailplug.outbox import RecipientStatus
from mailplug.status import Status
from mailplug.testing.smtp import SMTPServer

CORPUS = Path(__file__).parent / "corpus" / "reports" / "messages"


def dsn(original: bytes, *rows: tuple[str, str, str]) -> bytes:
    """An RFC 3464 report about ``original``: rows of (address, action, diagnostic)."""
    blocks = []
    for address, action, diagnostic in rows:
        blocks.append(
            f"Final-Recipient: rfc822; {address}\r\nAction: {action}\r\n"
            f"Status: {diagnostic.split()[1]}\r\nDiagnostic-Code: smtp; {diagnostic}\r\n"
        )
    headers = original.split(b"\r\n\r\n", 1)[0].decode()
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        "To: sender@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Date: Thu, 03 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\n"
        "This is the mail system at host mx.example.net.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n" + "\r\n".join(blocks) + "\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n" + headers + "\r\n\r\n--B--\r\n"
    ).encode()


def receipt(message_id: str, reader: str, disposition: str) -> bytes:
    return (
        f"From: {reader}\r\nTo: sender@example.com\r\nSubject: Return Receipt\r\n"
        "Date: Thu, 03 Dec 2026 11:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nThe message was displayed.\r\n"
        "--B\r\nContent-Type: message/disposition-notification\r\n\r\n"
        f"Reporting-UA: example.net; Mail\r\nFinal-Recipient: rfc822; {reader}\r\n"
        f"Original-Message-ID: {message_id}\r\n"
        f"Disposition: manual-action/MDN-sent-manually; {disposition}\r\n\r\n--B--\r\n"
    ).encode()


async def sent_entry(
    smtp_server: Callable[..., SMTPServer], tmp_path: Path, events: list[StatusEvent]
) -> tuple[AsyncMailer, str, str, bytes]:
    srv = smtp_server()
    mailer = AsyncMailer(
        [srv.account(name="biuro")],
        data_dir=tmp_path / "data",
        on_status=events.append,
        entry_points=False,
    )
    entry_id = await mailer.enqueue(
        Message(
            sender="sender@example.com",
            to=["jan@example.pl", "anna@example.pl"],
            subject="Faktura 12/2026",
            text="W załączniku faktura.",
        )
    )
    await mailer.flush()
    entry = await mailer.queue.status(entry_id)
    assert entry.status is Status.SENT
    return mailer, entry_id, entry.message_id, srv.messages[-1].data


async def test_bounce_after_acceptance_marks_recipient_and_entry(
    smtp_server: Callable[..., SMTPServer], tmp_path: Path
) -> None:
    events: list[StatusEvent] = []
    mailer, entry_id, _message_id, data = await sent_entry(smtp_server, tmp_path, events)
    async with mailer:
        bounce = dsn(data, ("jan@example.pl", "failed", "550 5.1.1 User unknown"))
        tracked = await mailer.track_report(bounce)
        assert (tracked.entry_id, tracked.matched_by) == (entry_id, "message-id")
        entry = await mailer.queue.status(entry_id)
        assert entry.status is Status.PARTIALLY_BOUNCED
        states = {s.address: s for s in entry.recipients}
        assert states["jan@example.pl"].status is RecipientStatus.BOUNCED
        assert states["anna@example.pl"].status is RecipientStatus.SENT
        error = states["jan@example.pl"].error
        assert error is not None and error.key == "smtp.recipient.unknown"
        assert error.host == "mx.example.net"
        assert "adres" in mailer.reason(error).message("pl").lower()
        last = events[-1]
        assert last.status is Status.PARTIALLY_BOUNCED and last.previous is Status.SENT
        assert last.recipients == ("jan@example.pl",)
        assert last.details["recipient_status"] == "bounced"

        # Fetching the same report again changes nothing and emits nothing.
        count = len(events)
        again = await mailer.track_report(bounce)
        assert again.entry_id == entry_id and again.changes == []
        assert len(events) == count

        # The second recipient bounces too: the whole message bounced.
        await mailer.track_report(
            dsn(data, ("anna@example.pl", "failed", "552 5.2.2 Mailbox full"))
        )
        entry = await mailer.queue.status(entry_id)
        assert entry.status is Status.BOUNCED


async def test_delay_then_read_receipt(
    smtp_server: Callable[..., SMTPServer], tmp_path: Path
) -> None:
    events: list[StatusEvent] = []
    mailer, entry_id, message_id, data = await sent_entry(smtp_server, tmp_path, events)
    async with mailer:
        await mailer.track_report(dsn(data, ("anna@example.pl", "delayed", "451 4.7.1 Greylisted")))
        entry = await mailer.queue.status(entry_id)
        assert entry.status is Status.SENT
        anna = next(s for s in entry.recipients if s.address == "anna@example.pl")
        assert anna.status is RecipientStatus.DELAYED
        assert anna.error is not None and anna.error.key == "smtp.rejected.greylisted"

        tracked = await mailer.track_report(receipt(message_id, "anna@example.pl", "displayed"))
        assert tracked.matched_by == "message-id"
        entry = await mailer.queue.status(entry_id)
        anna = next(s for s in entry.recipients if s.address == "anna@example.pl")
        assert anna.status is RecipientStatus.READ
        assert events[-1].details["recipient_status"] == "read"
        # A late delay notice does not undo the read receipt.
        await mailer.track_report(dsn(data, ("anna@example.pl", "delayed", "451 4.7.1 Later")))
        entry = await mailer.queue.status(entry_id)
        assert next(s for s in entry.recipients if s.address == "anna@example.pl").status is (
            RecipientStatus.READ
        )


async def test_forged_autoreply_and_untagged_reports_are_not_recorded(
    smtp_server: Callable[..., SMTPServer], tmp_path: Path
) -> None:
    events: list[StatusEvent] = []
    mailer, entry_id, _message_id, _data = await sent_entry(smtp_server, tmp_path, events)
    async with mailer:
        count = len(events)
        forged = await mailer.track_report(
            (CORPUS / "hostile/forged-report-unknown-message-id.eml").read_bytes()
        )
        assert forged.entry_id is None and forged.unmatched == "unknown-message"
        auto = await mailer.track_report(
            (CORPUS / "sieve/vacation-default-subject.eml").read_bytes()
        )
        assert auto.report.kind == "autoreply" and auto.entry_id is None and auto.unmatched is None
        bare = await mailer.track_report(
            (CORPUS / "outlook/gelesen-text-receipt-no-references.eml").read_bytes()
        )
        assert bare.unmatched == "no-reference"
        assert len(events) == count
        assert (await mailer.queue.status(entry_id)).status is Status.SENT


async def test_envelope_tag_matches_a_bounce_that_quotes_nothing(
    smtp_server: Callable[..., SMTPServer], tmp_path: Path
) -> None:
    events: list[StatusEvent] = []
    mailer, entry_id, _message_id, _data = await sent_entry(smtp_server, tmp_path, events)
    async with mailer:
        bare = EmailMessage()
        bare["From"] = "MAILER-DAEMON@mx.example.net"
        bare["To"] = f"bounces+{entry_id}@example.com"
        bare["Subject"] = "failure notice"
        bare["Date"] = format_datetime(datetime.now(UTC))
        bare.set_content(
            "Hi. This is the qmail-send program at mx.example.net.\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
            "<jan@example.pl>:\n192.0.2.1 does not like recipient.\n"
            "Remote host said: 550 5.1.1 No such user\n"
        )
        tracked = await mailer.track_report(bare.as_bytes())
        assert (tracked.entry_id, tracked.matched_by) == (entry_id, "envelope-tag")
        assert (await mailer.queue.status(entry_id)).status is Status.PARTIALLY_BOUNCED


def test_demo_ends_with_a_bounce_after_acceptance() -> None:
    import subprocess
    import sys

    root = Path(__file__).parent.parent
    done = subprocess.run(
        [sys.executable, str(root / "examples" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    last = done.stdout.rsplit("== bounce after acceptance", 1)[1]
    assert "wysłano -> zwrócono (niedoręczona)" in last
    assert "Adres odbiorcy nie istnieje" in last


async def test_bounce_address_carries_the_outbox_id(
    smtp_server: Callable[..., SMTPServer], tmp_path: Path
) -> None:
    srv = smtp_server()
    data = srv.account(name="biuro")
    data["bounce_address"] = "bounces+{id}@example.com"
    async with AsyncMailer([data], data_dir=tmp_path / "data", entry_points=False) as mailer:
        entry_id = await mailer.enqueue(
            Message(sender="sender@example.com", to=["jan@example.pl"], subject="x", text="y")
        )
        await mailer.flush()
        assert srv.messages[-1].envelope.mail_from == f"bounces+{entry_id}@example.com"
        bare = (
            f"From: MAILER-DAEMON@mx.example.net\r\nTo: bounces+{entry_id}@example.com\r\n"
            "Subject: failure notice\r\n\r\n"
            "Hi. This is the qmail-send program at mx.example.net.\r\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
            "<jan@example.pl>:\r\nRemote host said: 550 5.1.1 No such user\r\n"
        ).encode()
        tracked = await mailer.track_report(bare)
        assert tracked.matched_by == "envelope-tag"
        assert (await mailer.queue.status(entry_id)).status is Status.BOUNCED


def test_bounce_address_needs_the_id_placeholder() -> None:
    from mailplug.errors import MailplugError
    from mailplug.models import Account

    base = {"name": "a", "email": "a@example.com"}
    for wrong in ("bounces@example.com", "bounces{id}@example.com", "x+{id}+{id}@example.com"):
        try:
            Account.model_validate({**base, "bounce_address": wrong})
        except MailplugError as exc:
            assert exc.key == "account.invalid_settings"
            assert exc.params["field"] == "bounce_address"
        else:
            raise AssertionError(f"{wrong} was accepted")
    ok = Account.model_validate({**base, "bounce_address": "bounces+{id}@example.com"})
    assert ok.bounce_address == "bounces+{id}@example.com"


def test_outbox_list_show_and_json_tell_what_reports_said(
    smtp_server: Callable[..., SMTPServer], capsys: pytest.CaptureFixture[str]
) -> None:
    """Bounced, partially bounced, delayed, read and deleted-unread entries: the table says
    the status and who bounced/read it, with the reason; ``show`` per recipient; ``--json``
    carries localized ``status_text`` for the entry and each recipient, and ``notes``."""
    import asyncio
    import json
    import os

    from mailplug.cli import main
    from mailplug.config import Config, save_config
    from mailplug.models import Account

    srv = smtp_server()
    save_config(
        Config(
            path=Path(os.environ["MAILPLUG_CONFIG"]),
            accounts=[Account.model_validate(srv.account(name="biuro"))],
        )
    )
    pairs = {
        "zwrot": ("jan@example.pl", "anna@example.pl"),
        "czesc": ("ola@example.pl", "ewa@example.pl"),
        "opoznienie": ("piotr@example.pl",),
        "przeczytano": ("zofia@example.pl",),
        "usunieto": ("adam@example.pl",),
    }
    for subject, to in pairs.items():
        args = ["send", "--subject", subject, "--text", "x"]
        for address in to:
            args += ["--to", address]
        assert main(args) == 0
    assert main(["outbox", "flush"]) == 0
    sent = {r.message_id: r.data for r in srv.messages}

    async def record() -> dict[str, str]:
        async with AsyncMailer([], data_dir=Path(os.environ["MAILPLUG_DATA_DIR"])) as mailer:
            entries = {e.subject: e for e in await mailer.query(limit=10)}
            data = {s: sent[e.message_id] for s, e in entries.items()}
            mid = {s: e.message_id for s, e in entries.items()}
            unknown = "550 5.1.1 User unknown"
            await mailer.track_report(
                dsn(data["zwrot"], *((a, "failed", unknown) for a in pairs["zwrot"]))
            )
            await mailer.track_report(dsn(data["czesc"], ("ola@example.pl", "failed", unknown)))
            await mailer.track_report(
                dsn(data["opoznienie"], ("piotr@example.pl", "delayed", "451 4.7.1 Greylisted"))
            )
            await mailer.track_report(receipt(mid["przeczytano"], "zofia@example.pl", "displayed"))
            await mailer.track_report(receipt(mid["usunieto"], "adam@example.pl", "deleted"))
            return {s: e.id for s, e in entries.items()}

    ids = asyncio.run(record())
    capsys.readouterr()
    assert main(["--lang", "pl", "outbox", "list"]) == 0
    table = capsys.readouterr().out
    rows = {s: next(line for line in table.splitlines() if s in line) for s in pairs}
    assert "zwrócono" in rows["zwrot"] and "jan@example.pl" in rows["zwrot"]
    assert rows["zwrot"].rstrip().endswith("(+1)")
    assert "częściowo" in rows["czesc"] and "ola@example.pl" in rows["czesc"]
    assert "wysłano" in rows["opoznienie"] and "opóźnion" in rows["opoznienie"].lower()
    assert "przeczytan" in rows["przeczytano"]
    assert "usunięt" in rows["usunieto"]
    assert main(["--lang", "pl", "outbox", "list", "--json"]) == 0
    entries = {e["subject"]: e for e in json.loads(capsys.readouterr().out)["entries"]}
    assert entries["zwrot"]["status"] == "bounced"
    assert entries["zwrot"]["status_text"].startswith("zwrócono")
    assert entries["czesc"]["status"] == "partially-bounced"
    states = {r["address"]: r for e in entries.values() for r in e["recipients"]}
    assert states["ola@example.pl"]["status"] == "bounced"
    assert states["ola@example.pl"]["error"]["key"] == "smtp.recipient.unknown"
    assert states["ewa@example.pl"]["status"] == "sent"
    assert states["piotr@example.pl"]["status"] == "delayed"
    assert states["zofia@example.pl"]["status"] == "read"
    assert states["adam@example.pl"]["status"] == "deleted-unread"
    texts = {a: r["status_text"] for a, r in states.items()}
    assert (
        len(
            {
                texts[a]
                for a in (
                    "ola@example.pl",
                    "piotr@example.pl",
                    "zofia@example.pl",
                    "adam@example.pl",
                    "ewa@example.pl",
                )
            }
        )
        == 5
    )
    assert all(entries[s]["notes"] for s in pairs)
    assert main(["--lang", "pl", "status", ids["czesc"]]) == 0
    shown = capsys.readouterr().out
    assert texts["ola@example.pl"] in shown and texts["ewa@example.pl"] in shown
