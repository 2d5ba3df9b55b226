"""A server that takes only N recipients per transaction ("452 4.5.3 Too many recipients").

The rest of the recipients go in a further transaction on the same connection at
once (as Postfix does), and the session remembers the limit for the next
messages.  Real aiosmtpd server on 127.0.0.1, with and without PIPELINING.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import mailer
from tests.smtp_server import Received, Script

from mailplug import Message
from mailplug.outbox import RecipientStatus
from mailplug.storage import Status


def addresses(n: int, tag: str = "") -> list[str]:
    return [f"odbiorca{tag}{i}@example.com" for i in range(n)]


@pytest.mark.parametrize("pipelining", [True, False])
async def test_the_rest_go_in_further_transactions_on_the_same_connection(
    tmp_path: Path, smtp_server: Any, pipelining: bool
) -> None:
    limit = 3
    srv = smtp_server(script=Script(max_recipients=limit), pipelining=pipelining)
    account = srv.account(name="biuro", email="biuro@firma.pl")
    first, second = addresses(8, "a"), addresses(7, "b")
    async with mailer(tmp_path, [account]) as m:
        ids = await m.enqueue_many(
            [
                Message(to=first, subject="Zebranie", text="Do wszystkich."),
                Message(to=second, subject="Zebranie 2", text="Do wszystkich."),
            ]
        )
        report = await m.flush(concurrency=1)
        entries = [await m.status(i) for i in ids]
    assert report.counts == {"sent": 2}
    assert [e.status for e in entries] == [Status.SENT, Status.SENT]
    assert all(r.status is RecipientStatus.SENT for e in entries for r in e.recipients)
    # Every recipient got the message once, in transactions of at most the limit.
    got: dict[str, list[str]] = {}
    for received in srv.messages:
        assert 1 <= len(received.envelope.rcpt_tos) <= limit
        for rcpt in received.envelope.rcpt_tos:
            got.setdefault(rcpt, []).append(received.message_id or "")
    assert sorted(got) == sorted(first + second)
    assert all(len(ids_) == 1 for ids_ in got.values())
    assert len({r.connection for r in srv.messages}) == 1  # one session throughout
    # The first message taught the limit: the second was cut up front, so the server
    # saw exactly one RCPT per recipient of it (no refused RCPT to redo).
    rcpts = [verb for _, verb in srv.commands if verb == "RCPT"]
    assert len(rcpts) == len(first) + (len(first) - limit) + len(second)
    assert [
        len(r.envelope.rcpt_tos) for r in srv.messages if r.message_id == entries[1].message_id
    ] == [3, 3, 1]


async def test_a_further_transaction_that_fails_defers_only_its_recipients(
    tmp_path: Path, smtp_server: Any
) -> None:
    recipients = addresses(5)

    def data(received: Received) -> str | None:
        # The second transaction (the recipients past the limit) is refused for now.
        return (
            "451 4.3.0 Try again later" if recipients[0] not in received.envelope.rcpt_tos else None
        )

    srv = smtp_server(script=Script(max_recipients=2, data=data))
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [account]) as m:
        (entry_id,) = await m.enqueue_many([Message(to=recipients, subject="x", text="y")])
        await m.flush()
        entry = await m.status(entry_id)
    states = {r.address: r.status for r in entry.recipients}
    assert states[recipients[0]] is RecipientStatus.SENT
    assert states[recipients[1]] is RecipientStatus.SENT
    later = [states[a] for a in recipients[2:]]
    assert later == [RecipientStatus.PENDING] * 3
    assert entry.status is Status.DEFERRED
    refused = [r for r in entry.recipients if r.status is RecipientStatus.PENDING]
    assert all(r.error is not None and r.error.code == 451 for r in refused)
