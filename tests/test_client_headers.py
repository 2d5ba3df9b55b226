"""A mail program's own headers (Thunderbird's FCC, X-Identity-Key, X-Mozilla-*) never leave.

Stripped when Thunderbird's "Unsent Messages" are imported, and again where a message
leaves the outbox, whoever stored it: a raw entry carrying them is sent to a real
SMTP server without them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from tests.legacy_fixtures import thunderbird
from tests.outbox_support import mailer

from mailplug.client_headers import strip_client_headers
from mailplug.outbox import NewEntry
from mailplug.plugin import ImportedMessage, Kind, Status
from mailplug.transport import Envelope
from mailplug_legacy.message import parse

LEAKY = ("fcc", "x-identity-key", "x-account-key", "x-mozilla-draft-info", "x-mozilla-cloud-part")


def names(data: bytes) -> set[str]:
    return {k.lower() for k in message_from_bytes(data, policy=policy.default)}


def test_unsent_thunderbird_messages_lose_its_own_headers_on_import() -> None:
    raw = thunderbird(status="0800", msgid="<q1@firma.pl>")
    assert set(LEAKY) <= names(raw)  # what Thunderbird writes into Unsent Messages
    item = parse(raw, source=Path("Unsent Messages"), folder=Kind.QUEUED)
    assert isinstance(item, ImportedMessage) and item.kind is Kind.QUEUED
    kept = names(item.data)
    assert not kept & set(LEAKY) and not any(n.startswith("x-mozilla-") for n in kept)
    assert b"imap.firma.pl" not in item.data  # the login in FCC is gone
    assert {"from", "to", "subject", "message-id", "content-type"} <= kept


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
def test_strip_keeps_everything_else_byte_for_byte(eol: bytes) -> None:
    clean = eol.join([b"From: a@b.pl", b"Subject: x", b"  folded", b"", b"FCC: body stays", b""])
    assert strip_client_headers(clean) is clean  # nothing to do: the same object
    leaky = eol.join(
        [
            b"X-Mozilla-Status: 0800",
            b"From: a@b.pl",
            b"fcc : imap://jan%40firma.pl@imap.firma.pl/Sent",
            b"Subject: x",
            b"  folded",
            b"X-Mozilla-Draft-Info: internal/draft;",
            b" deliveryformat=4",
            b"",
            b"FCC: body stays",
            b"",
        ]
    )
    assert strip_client_headers(leaky) == clean


async def test_a_stored_message_with_them_is_sent_without_them(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server()
    account = srv.account(name="jan", email="jan@firma.pl")
    data = thunderbird(status="0800", msgid="<leak@firma.pl>").replace(b"\n", b"\r\n")
    async with mailer(tmp_path, [account]) as m:
        outbox = await m.outbox()
        await outbox.insert(
            [
                NewEntry.raw(
                    account="jan",
                    envelope=Envelope(
                        sender="jan@firma.pl",
                        recipients=("piotr@example.com",),
                        message_id="<leak@firma.pl>",
                    ),
                    data=data,
                    subject="x",
                    sender="jan@firma.pl",
                    status=Status.QUEUED,
                    created_at=datetime.now(UTC),
                    dedupe_key="test:leak",
                )
            ]
        )
        report = await asyncio.wait_for(m.flush(), 30)
        assert report.sent == 1
    (received,) = srv.by_message_id()["<leak@firma.pl>"]
    sent = names(received.data)
    assert not sent & set(LEAKY) and not any(n.startswith("x-mozilla-") for n in sent)
    assert b"imap.firma.pl" not in received.data
    assert message_from_bytes(received.data, policy=policy.default)["subject"]
