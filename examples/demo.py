"""``make demo``: the outbox end to end, on this machine only.

An embedded SMTP server (aiosmtpd) on 127.0.0.1 plays the demo account's
mail server and refuses some recipients the way real servers do: an unknown
user (550 5.1.1), a full mailbox (552 5.2.2), a temporary problem (451 4.3.0)
and greylisting (450 4.2.0).  A handful of messages is queued in a temporary
outbox, sent with a progress bar, and the status of each is shown with the
reason, in Polish and in English.  No network, no setup, nothing left behind.

The demo is a list of sections (:data:`SECTIONS`); later parts append theirs.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from mailplug import AsyncMailer, Message, texts
from mailplug import outbox_keys as k
from mailplug.cli._base import ProgressBar, bar_text, format_table
from mailplug.dispatch import FlushProgress
from mailplug.storage import Status

CUSTOMER = "klient.example"

#: How the demo server answers RCPT TO for these recipients.
REFUSALS = {
    f"nieznany@{CUSTOMER}": "550 5.1.1 <nieznany@klient.example>: Recipient address rejected: "
    "User unknown in virtual mailbox table",
    f"pelna@{CUSTOMER}": "552 5.2.2 <pelna@klient.example>: Mailbox full, quota exceeded",
    f"awaria@{CUSTOMER}": "451 4.3.0 <awaria@klient.example>: Temporary lookup failure",
    f"nowy@{CUSTOMER}": "450 4.2.0 <nowy@klient.example>: Recipient address rejected: "
    "Greylisted, please try again in 180 seconds",
}


# -- the embedded server ---------------------------------------------------------


class DemoHandler:
    """aiosmtpd handler: refuses the recipients in :data:`REFUSALS`, keeps the rest."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = REFUSALS.get(address.lower())
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        await asyncio.sleep(0.15)  # slow enough to watch the progress bar move
        return "250 2.0.0 OK: queued as DEMO"


@dataclass
class Demo:
    """What the sections share."""

    data_dir: Path
    handler: DemoHandler = field(default_factory=DemoHandler)
    port: int = 0
    server: asyncio.AbstractServer | None = None
    mailer: AsyncMailer | None = None
    ids: list[str] = field(default_factory=list)

    @property
    def m(self) -> AsyncMailer:
        assert self.mailer is not None
        return self.mailer


def title(text: str) -> None:
    print(f"\n== {text} " + "=" * max(0, 74 - len(text)))


# -- sections -----------------------------------------------------------------------


async def start_server(demo: Demo) -> None:
    """An SMTP server on 127.0.0.1 (a free port) plays the account's mail server."""
    loop = asyncio.get_running_loop()
    demo.server = await loop.create_server(
        lambda: SMTP(demo.handler, hostname="mx.klient.example", ident="demo server"),
        "127.0.0.1",
        0,
    )
    demo.port = demo.server.sockets[0].getsockname()[1]
    account = {
        "name": "demo",
        "email": "biuro@firma.example",
        "display_name": "Biuro Firma",
        "transport": "smtp",
        "auth": None,
        "settings": {
            "host": "127.0.0.1",
            "port": demo.port,
            "security": "none",  # a local demo server; real accounts use starttls or tls
            "max_connections": 2,
            "connect_timeout": 5,
            "timeout": 10,
        },
    }
    demo.mailer = AsyncMailer([account], data_dir=demo.data_dir, entry_points=False)
    title("mailplug demo")
    print(f"SMTP server: 127.0.0.1:{demo.port}   outbox: {demo.data_dir / 'outbox.sqlite3'}")


async def queue_messages(demo: Demo) -> None:
    """Queue a handful of messages: composed once, stored durably, nothing sent yet."""
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    messages = [
        Message(to=f"jan.kowalski@{CUSTOMER}", subject="Faktura VAT 12/2026", text="W załączeniu."),
        Message(
            to=[f"anna@{CUSTOMER}", f"nieznany@{CUSTOMER}"],
            subject="Oferta na przyszły rok",
            text="Szanowni Państwo, …",
        ),
        Message(to=f"pelna@{CUSTOMER}", subject="Przypomnienie o płatności", text="Uprzejmie…"),
        Message(to=f"awaria@{CUSTOMER}", subject="Potwierdzenie zamówienia", text="Dziękujemy."),
        Message(to=f"nowy@{CUSTOMER}", subject="Zaproszenie na szkolenie", text="Zapraszamy."),
        Message(
            to=f"ewa@{CUSTOMER}",
            subject="Życzenia świąteczne (wysyłka jutro)",
            text="Wesołych Świąt!",
            send_at=tomorrow,
        ),
        Message(
            to=f"szef@{CUSTOMER}",
            subject="PILNE: umowa do podpisu",
            text="Proszę o podpis dziś.",
            priority=1,
        ),
    ]
    demo.ids = await demo.m.enqueue_many(messages)
    waiting = await demo.m.waiting()
    title("queued / w buforze")
    for lang in ("pl", "en"):
        print(demo.m.translator.gettext(texts.WAITING, lang, n=waiting))


async def flush_outbox(demo: Demo) -> None:
    """Send everything due, two connections at a time, with a progress bar."""
    title("sending / wysyłanie")

    def line(p: FlushProgress) -> str:
        total = max(p.total, p.done, 1)
        return f"[{bar_text(p.done, total, 30)}] {p.done}/{total}"

    bar = ProgressBar(sys.stderr, line)
    report = await demo.m.flush(progress=bar)
    bar.close()
    print(
        ", ".join(f"{status}: {n}" for status, n in sorted(report.counts.items()))
        + f"  ({report.elapsed:.1f} s)"
    )
    print(f"server received {len(demo.handler.received)} message(s)")


async def show_statuses(demo: Demo) -> None:
    """The status of each message and, for each refused recipient, why — in Polish and English."""
    t = demo.m.translator
    entries = [await demo.m.status(i) for i in demo.ids]
    for lang in ("pl", "en"):
        title(f"status ({lang})")
        headers = [t.gettext(x, lang) for x in (k.COL_STATUS, k.COL_SUBJECT, k.COL_REASON)]
        rows = []
        for e in entries:
            status = t.gettext(texts.STATUS_TEXTS[e.status], lang)
            reasons = []
            if e.status is Status.QUEUED and e.send_at is not None:
                when = e.send_at.astimezone().strftime("%Y-%m-%d %H:%M")
                reasons.append(t.gettext(k.SCHEDULED_FOR, lang).format(when=when))
            for r in e.recipients:
                if r.error is not None:
                    error = demo.m.reason(r.error)
                    reasons.append(f"{r.address}: {error.message(lang)}")
            if not reasons and e.error is not None:
                reasons.append(demo.m.reason(e.error).message(lang))
            rows.append([status, e.subject, reasons[0] if reasons else ""])
            rows += [["", "", more] for more in reasons[1:]]
        print(*format_table(rows, headers), sep="\n")
        waiting = await demo.m.waiting()
        print("\n" + t.gettext(texts.WAITING, lang, n=waiting))
    deferred = next(e for e in entries if e.status is Status.DEFERRED)
    assert deferred.error is not None
    error = demo.m.reason(deferred.error)
    title("one reason in full / pełny opis jednej przyczyny")
    print(error.render("pl"))
    print()
    print(error.render("en"))


#: The demo, in order.  Append sections here (each ``async def section(demo)``).
SECTIONS: list[Callable[[Demo], Awaitable[Any]]] = [
    start_server,
    queue_messages,
    flush_outbox,
    show_statuses,
]


# -- account check (issue 7): a misconfigured account explained in Polish -----------


async def account_check(demo: Demo) -> None:
    """``mailplug accounts test``: an account set to TLS-from-the-first-byte on a STARTTLS port.

    A second embedded server speaks only STARTTLS (like port 587).  The check
    connects, sees the TLS handshake read a plaintext greeting, tries STARTTLS
    on the same port and names the setting to change, with the value that
    works.  Nothing is sent.
    """
    import json
    import ssl

    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    ca_file = demo.data_dir / "demo-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            DemoHandler(), hostname="smtp.firma.example", tls_context=context, require_starttls=True
        ),
        "127.0.0.1",
        0,
    )
    port = server.sockets[0].getsockname()[1]
    account = {
        "name": "biuro",
        "email": "biuro@firma.example",
        "auth": None,
        "settings": {
            "host": "127.0.0.1",
            "port": port,
            "security": "tls",  # the mistake: this port starts in plaintext and offers STARTTLS
            "ca_file": str(ca_file),
        },
    }
    try:
        async with AsyncMailer([account], outbox=None, entry_points=False, lang="pl") as mailer:
            report = await mailer.check_account(
                "biuro", timeout=3.0, probe_timeout=1.0, try_ports={}
            )
    finally:
        server.close()
        await server.wait_closed()
    title("account check / sprawdzenie konta (mailplug accounts test biuro)")
    print(report.render("pl"))
    failure = report.failure
    if failure is not None:
        error = failure.to_dict("pl", translator=mailer.translator)["error"]
        print("\n--json (for a settings dialog / dla okna ustawień):")
        shown = {k: error[k] for k in ("key", "setting", "suggested_value", "fix")}
        print(json.dumps(shown, ensure_ascii=False, indent=2))


SECTIONS.append(account_check)


# -- bounce tracking (issue 15): "sent" was not the end of the story -----------------

BOUNCE = """\
From: Mail Delivery System <MAILER-DAEMON@mx.klient.example>
To: biuro@firma.example
Subject: Undelivered Mail Returned to Sender
Date: {date}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"

--DSN
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.klient.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{rcpt}>: host mail.klient.example[192.0.2.25] said: 550 5.1.1
    <{rcpt}>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--DSN
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.klient.example

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.klient.example
Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User
    unknown in virtual mailbox table

--DSN
Content-Type: text/rfc822-headers

{headers}
--DSN--
"""


async def bounce_after_acceptance(demo: Demo) -> None:
    """The server took "Faktura VAT 12/2026" (250, "wysłano"); minutes later the customer's
    server sends a bounce to the account's inbox.  ``mailplug bounces fetch`` reads it over
    IMAP; here the same report is handed to ``track_report`` directly: matched by its
    Message-ID, the recipient becomes "bounced" with the same reason as a live 550."""
    from email.utils import format_datetime

    entry = await demo.m.status(demo.ids[0])
    sent = next(e for e in demo.handler.received if entry.message_id.encode() in e.content)
    headers = sent.content.split(b"\r\n\r\n", 1)[0].decode().replace("\r\n", "\n")
    raw = BOUNCE.format(
        date=format_datetime(datetime.now(UTC)), rcpt=entry.recipients[0].address, headers=headers
    )
    before = entry.status
    tracked = await demo.m.track_report(raw.replace("\n", "\r\n").encode())
    after = await demo.m.status(demo.ids[0])
    t = demo.m.translator
    title("bounce after acceptance / zwrot po przyjęciu (mailplug bounces fetch)")
    print(f"report: {tracked.report.kind}, matched by {tracked.matched_by} -> {after.id}")
    for lang in ("pl", "en"):
        change = " -> ".join(t.gettext(texts.STATUS_TEXTS[s], lang) for s in (before, after.status))
        print(f"\n{after.subject}: {change}")
        for r in after.recipients:
            if r.error is not None:
                print(f"  {r.address}: {demo.m.reason(r.error).message(lang)}")
                print(f"  {demo.m.reason(r.error).advice(lang)}")


SECTIONS.append(bounce_after_acceptance)


async def run() -> None:
    with tempfile.TemporaryDirectory(prefix="mailplug-demo-") as tmp:
        demo = Demo(data_dir=Path(tmp))
        try:
            for section in SECTIONS:
                await section(demo)
        finally:
            if demo.mailer is not None:
                await demo.mailer.aclose()
            if demo.server is not None:
                demo.server.close()
                await demo.server.wait_closed()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
