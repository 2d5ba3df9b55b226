"""Enqueueing already-composed MIME, and the status texts a host shows people."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import message
from tests.smtp_server import Script

from mailplug import Mailer
from mailplug.errors import MailplugError
from mailplug.events import StatusEvent
from mailplug.storage import Status


def sync_mailer(tmp_path: Path, account: dict[str, Any], **options: Any) -> Mailer:
    return Mailer([account], data_dir=tmp_path / "data", entry_points=False, **options)


def _mime(**headers: str) -> bytes:
    msg = EmailMessage()
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Treść zażółć.\n")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
    return msg.as_bytes()  # LF line endings, as frameworks render them


def test_enqueue_raw_sends_the_bytes_as_they_are(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    data = _mime(
        From="Biuro <biuro@firma.pl>",
        To="ala@example.com",
        Cc="ola@example.com",
        Subject="Umowa nr 7",
        Message_ID="<umowa-7@firma.pl>",
        X_Custom="tak",
    )
    with sync_mailer(tmp_path, srv.account(name="biuro", email="biuro@firma.pl")) as m:
        recipients = ["ala@example.com", "ola@example.com", "ukryta@example.com"]
        first = m.enqueue_raw(data, recipients=recipients)
        assert m.enqueue_raw(data, recipients=recipients) == first  # same Message-ID: stored once
        entry = m.status(first)
        assert (entry.subject, entry.message_id) == ("Umowa nr 7", "<umowa-7@firma.pl>")
        assert m.flush().sent == 1
    (received,) = srv.messages
    assert sorted(received.envelope.rcpt_tos) == sorted(recipients)
    assert received.envelope.mail_from == "biuro@firma.pl"
    got = received.message
    assert got["X-Custom"] == "tak" and got["Message-ID"] == "<umowa-7@firma.pl>"
    assert "Bcc" not in got and "ukryta" not in received.data.decode()
    assert [p.get_filename() for p in got.iter_attachments()] == ["a.pdf"]


def test_enqueue_raw_adds_message_id_and_date_when_missing(tmp_path: Path) -> None:
    with Mailer(data_dir=tmp_path / "d", entry_points=False) as m:
        m.add_account({"name": "a", "email": "a@firma.pl", "transport": "memory"})
        entry_id = m.enqueue_raw(
            b"From: a@firma.pl\nSubject: x\n\nbody\n", recipients=["b@example.com"]
        )
        entry = m.status(entry_id)
        assert entry.message_id.endswith("@firma.pl>")
        data = m.run(lambda a: _data(a, entry_id))
        assert (
            data.startswith(b"Message-ID: " + entry.message_id.encode()) and b"\r\nDate: " in data
        )
        assert b"\n" not in data.replace(b"\r\n", b"")


async def _data(mailer: Any, entry_id: str) -> bytes:
    outbox = await mailer.outbox()
    now = datetime.now(UTC)
    (claim,) = await outbox.claim("test", limit=1, lease=30, now=now)
    await outbox.release("test", [claim.id], now=now)
    return bytes(claim.data)


@pytest.mark.parametrize(
    ("data", "recipients", "key"),
    [
        (b"From: a@firma.pl\r\nSubject: x\r\n\r\nbody", [], "message.no_recipients"),
        (
            b"From: a@firma.pl\n\nx",
            ["b@example.com\r\nBcc: evil@x.com"],
            "message.header_injection",
        ),
        (b"From: a@firma.pl\n\nx", ["not-an-address"], "message.invalid_address"),
        (b"From: a@firma.pl\nSubject: x\rBcc: e@x.com\n\nx", ["b@example.com"], "message.invalid"),
        (b"From: a@firma.pl\nno colon here\n\nx", ["b@example.com"], "message.invalid"),
        (b"Subject: no From\n\nx", ["b@example.com"], "message.invalid"),
        (b"From: a@firma.pl\nSubject: no body separator", ["b@example.com"], "message.invalid"),
        (b"From: a@firma.pl\nMessage-ID: nonsense\n\nx", ["b@example.com"], "message.invalid"),
        ("From: a@firma.pl\n\nx", ["b@example.com"], "message.invalid"),
    ],
)
def test_enqueue_raw_refuses_what_cannot_be_sent(
    tmp_path: Path, data: Any, recipients: list[str], key: str
) -> None:
    with Mailer(data_dir=tmp_path / "d", entry_points=False) as m:
        m.add_account({"name": "a", "email": "a@firma.pl", "transport": "memory"})
        with pytest.raises(MailplugError) as caught:
            m.enqueue_raw(data, recipients=recipients)
        assert caught.value.key == key
        assert caught.value.message("pl") and caught.value.message("pl") != caught.value.message(
            "en"
        )
        assert m.waiting() == 0


def test_describe_entries_and_events_in_both_languages(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(script=Script(rcpt={"nikt@example.com": "550 5.1.1 No such user"}))
    events: list[StatusEvent] = []
    with sync_mailer(
        tmp_path, srv.account(name="biuro", email="biuro@firma.pl"), on_status=events.append
    ) as m:
        ok = m.enqueue(message(1, subject="Umowa"))
        bad = m.enqueue(message(2, to="nikt@example.com"))
        waiting = m.describe(m.status(ok), "pl")
        assert (waiting.status, waiting.reason, waiting.subject) == (Status.QUEUED, None, "Umowa")
        assert waiting.status_text != m.describe(m.status(ok), "en").status_text
        assert str(waiting) == waiting.status_text
        m.flush()
        failed_pl = m.describe(m.status(bad), "pl")
        failed_en = m.describe(m.status(bad), "en")
        assert failed_pl.error_key == "smtp.recipient.unknown" == failed_en.error_key
        assert failed_pl.reason and failed_en.reason and failed_pl.reason != failed_en.reason
        assert failed_pl.advice and failed_en.advice
        assert str(failed_pl) == f"{failed_pl.status_text}: {failed_pl.reason}"
        last = next(e for e in reversed(events) if e.id == bad)
        assert m.describe(last, "en") == failed_en  # an event renders like the entry


@pytest.mark.parametrize(
    ("n", "pl", "en"),
    [
        (1, "1 wiadomość czeka na wysłanie.", "1 message is waiting to be sent."),
        (3, "3 wiadomości czekają na wysłanie.", "3 messages are waiting to be sent."),
        (5, "5 wiadomości czeka na wysłanie.", "5 messages are waiting to be sent."),
        (22, "22 wiadomości czekają na wysłanie.", "22 messages are waiting to be sent."),
    ],
)
def test_waiting_text_is_plural_aware(tmp_path: Path, n: int, pl: str, en: str) -> None:
    m = Mailer(data_dir=tmp_path / "d", entry_points=False)
    assert (m.waiting_text(n, "pl"), m.waiting_text(n, "en")) == (pl, en)
